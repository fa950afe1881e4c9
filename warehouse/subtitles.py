"""Emotion captions ("Tom: angry") that a browser's `<track>` or a video player shows."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from warehouse.catalog import timeline

FORMATS = ("vtt", "srt")
# Samples closer than this many seconds to touching count as one continuous stretch.
JOIN_TOLERANCE_S = 0.05


@dataclass(frozen=True)
class Cue:
    start_s: float
    end_s: float
    lines: tuple[str, ...]  # one "Name: emotion" per character on screen


def cues(rows: list[dict]) -> list[Cue]:
    """Timeline rows (time_s, seconds, character, emotion) -> cues, each a stretch of time in
    which the same characters show the same emotions, in time order."""
    spans: list[tuple[float, float, str, str]] = []  # (start, end, character, emotion)
    open_: dict[str, list] = {}
    for r in sorted(rows, key=lambda r: (r["character"], r["time_s"])):
        cur = open_.get(r["character"])
        end = r["time_s"] + r["seconds"]
        if cur and cur[3] == r["emotion"] and r["time_s"] <= cur[1] + JOIN_TOLERANCE_S:
            cur[1] = max(cur[1], end)
            continue
        if cur:
            spans.append(tuple(cur))
        open_[r["character"]] = [r["time_s"], end, r["character"], r["emotion"]]
    spans += [tuple(v) for v in open_.values()]
    edges = sorted({s for s, *_ in spans} | {e for _, e, *_ in spans})
    out: list[Cue] = []
    for start, end in zip(edges, edges[1:], strict=False):
        on = sorted((c, e) for s, t, c, e in spans if s < end - 1e-9 and t > start + 1e-9)
        if not on:
            continue
        lines = tuple(f"{c.capitalize()}: {e}" for c, e in on)
        if out and out[-1].lines == lines and abs(out[-1].end_s - start) < 1e-9:
            out[-1] = Cue(out[-1].start_s, end, lines)
        else:
            out.append(Cue(start, end, lines))
    return out


def _stamp(seconds: float, sep: str) -> str:
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def render(cue_list: list[Cue], fmt: str = "vtt") -> str:
    """WebVTT or SubRip text for the cues."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}. Choose one of: {', '.join(FORMATS)}")
    sep = "." if fmt == "vtt" else ","
    blocks = ["WEBVTT\n"] if fmt == "vtt" else []
    for n, c in enumerate(cue_list, start=1):
        blocks.append(
            f"{n}\n{_stamp(c.start_s, sep)} --> {_stamp(c.end_s, sep)}\n"
            + "\n".join(c.lines)
            + "\n"
        )
    return "\n".join(blocks)


def subtitles(con: duckdb.DuckDBPyConnection, episode_id: str, fmt: str = "vtt") -> str:
    """The episode's emotion captions as WebVTT or SubRip text."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}. Choose one of: {', '.join(FORMATS)}")
    return render(cues(timeline(con, episode_id)), fmt)
