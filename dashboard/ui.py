"""Pieces several pages draw the same way: face thumbnails and links to a moment."""

from __future__ import annotations

import math

import altair as alt
import streamlit as st

from warehouse import catalog, queries
from warehouse.schema import EMOTIONS

EPISODE_PAGE = "app_pages/episode.py"
GRID_COLUMNS = 5
# One colour per emotion on every chart, so that a colour means the same thing on every page.
EMOTION_COLOURS = {
    "happy": "#f2b701",
    "angry": "#d62728",
    "surprise": "#ff7f0e",
    "sad": "#1f77b4",
    "fear": "#9467bd",
    "disgust": "#2ca02c",
    "neutral": "#9e9e9e",
}


def emotion_colour(field: str = "emotion") -> alt.Color:
    """An Altair colour channel with every emotion's fixed colour, in the warehouse's order."""
    return alt.Color(
        f"{field}:N",
        title="emotion",
        scale=alt.Scale(domain=list(EMOTIONS), range=[EMOTION_COLOURS[e] for e in EMOTIONS]),
        legend=alt.Legend(
            orient="bottom", columns=len(EMOTIONS)
        ),  # every emotion, even on a short chart
    )


def start_time(text: str | None, duration_s: float | None) -> float | None:
    """A `?t=` query parameter as seconds into an episode, or None when it is missing or is not
    a number between 0 and the episode's duration.

    Example:
        >>> start_time("12.5", 30.0), start_time("nan", 30.0), start_time("-1", 30.0)
        (12.5, None, None)
    """
    try:
        seconds = float(text) if text is not None else None
    except ValueError:
        return None
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return None
    if duration_s is not None and seconds > duration_s:
        return None
    return seconds


def moment_link(episode_id: str, time_s: float, label: str | None = None) -> None:
    """A link to the Episode page, playing `episode_id` from `time_s`."""
    st.page_link(
        EPISODE_PAGE,
        label=label or f"{episode_id} at {time_s:.0f} s",
        icon=":material/play_circle:",
        query_params={"episode": episode_id, "t": f"{time_s:g}"},
    )


def face_grid(con, faces: list[dict], columns: int = GRID_COLUMNS, links: bool = True) -> None:  # noqa: ANN001
    """Thumbnails of face rows (face_id, character, emotion, ...), with what the warehouse
    says of each and, with `links`, a link to its moment."""
    for start in range(0, len(faces), columns):
        cells = st.columns(columns)
        for cell, face in zip(cells, faces[start : start + columns], strict=False):
            with cell, st.container(border=True):
                jpeg = catalog.thumbnail(con, face["face_id"])
                if jpeg:
                    st.image(jpeg, width=96)
                caption = f"**{face['character']}** · {face['emotion']}"
                if "score" in face:
                    caption += f" · score {face['score']:.2f}"
                elif face.get("confidence") is not None:
                    caption += f" · {face['confidence']:.0%}"
                st.markdown(caption)
                if links and "episode_id" in face:
                    moment_link(face["episode_id"], face["time_s"])


def confidence(rows: list[dict]) -> str:
    """How far the top row of a character ranking with intervals can be trusted, in one
    sentence. A rival with too few tracks for an interval is too close to call when its share
    reaches the top's interval."""
    top = rows[0]
    rests = f"{top['total_seconds']:.0f} s on screen"
    if top.get("share_low") is None:
        return f"That share rests on {rests}, too few tracks to give it an interval."
    said = (
        f"That share rests on {rests}; its {queries.INTERVAL:.0%} interval is "
        f"{top['share_low']:.0%}-{top['share_high']:.0%}."
    )
    close = [
        r["character"]
        for r in rows[1:]
        if (r["share"] if r.get("share_high") is None else r["share_high"]) >= top["share_low"]
    ]
    if close:
        said += f" Too close to call against {', '.join(close)}: their intervals overlap."
    return said
