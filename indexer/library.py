"""Indexing a library of episodes into a warehouse, one episode per unit of work.

An episode is skipped when a file with the same bytes is already indexed with the same model,
cascade set and sampling rate; a file whose bytes changed replaces its old rows; a file the
decoder cannot read is stored as `status='failed'` with the reason, and the run goes on.
After every episode the warehouse publishes a snapshot, so readers see progress as it happens.
When the warehouse itself cannot be written (a full disk, a folder turned read-only) the run
stops there and says so; everything published before stays.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from indexer.faces import FaceClassifier
from indexer.finder import CascadeSet
from indexer.pipeline import PassSettings, run_pass
from model.store import EmotionModel, sha256
from synth.frames import Frame, check_regular, find_videos, probe
from warehouse.rows import EpisodeRecord, KnownEpisode
from warehouse.store import StorageError, Warehouse

STATUSES = ("indexed", "skipped", "failed")


@dataclass(frozen=True)
class Outcome:
    """What happened to one file."""

    path: str
    episode_id: str
    status: str  # one of STATUSES
    reason: str | None = None  # why it was skipped or failed
    faces: int = 0
    video_seconds: float = 0.0
    seconds: float = 0.0  # wall time spent on it


@dataclass(frozen=True)
class Summary:
    outcomes: tuple[Outcome, ...]
    seconds: float
    warehouse: str
    stopped: str | None = None  # why the run stopped before the end: the warehouse would not write

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def speed(self) -> float:
        """Seconds of video indexed per second of wall time (x real time)."""
        video = sum(o.video_seconds for o in self.outcomes if o.status == "indexed")
        busy = sum(o.seconds for o in self.outcomes if o.status == "indexed")
        return video / busy if busy > 0 else 0.0

    def as_json(self) -> dict:
        return {
            "warehouse": self.warehouse,
            "indexed": self.count("indexed"),
            "skipped": self.count("skipped"),
            "failed": self.count("failed"),
            "faces": sum(o.faces for o in self.outcomes),
            "seconds": round(self.seconds, 2),
            "speed_x_realtime": round(self.speed, 2),
            "stopped": self.stopped,
            "episodes": [
                {
                    "path": o.path,
                    "episode_id": o.episode_id,
                    "status": o.status,
                    "reason": o.reason,
                    "faces": o.faces,
                    "seconds": round(o.seconds, 2),
                }
                for o in self.outcomes
            ],
        }


def _new_id(path: Path, sha: str, taken: set[str]) -> str:
    """The file's stem (made safe to type), or stem-<hash> when another file has it."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", path.stem).strip("_") or "episode"
    return stem if stem not in taken else f"{stem}-{sha[:8]}"


@dataclass(frozen=True)
class Indexer:
    """The loaded cascades and model, and how to run the pass."""

    cascades: CascadeSet
    classifier: FaceClassifier
    settings: PassSettings

    @classmethod
    def load(cls, model_dir: Path, cascades_dir: Path, settings: PassSettings) -> Indexer:
        return cls(CascadeSet.load(cascades_dir), FaceClassifier(EmotionModel(model_dir)), settings)

    @property
    def model_sha256(self) -> str:
        return self.classifier.model.sha256


def _decide(
    path: Path, sha: str, known: list[KnownEpisode], indexer: Indexer, reindex: bool
) -> tuple[str, str | None]:
    """(episode_id to write, None), or (the episode_id that holds it, why it is skipped)."""
    mine = next((k for k in known if k.path == str(path)), None)
    same = [k for k in known if k.sha256 == sha and k.status == "indexed"]
    for k in same:
        current = (
            k.model_sha256 == indexer.model_sha256 and k.cascades_sha256 == indexer.cascades.sha256
        )
        if current:
            if k.path == str(path):
                return k.episode_id, "already indexed"
            return k.episode_id, f"same content as episode {k.episode_id}"
        if not reindex:
            return k.episode_id, (
                f"indexed as {k.episode_id} with another model or cascade set (--reindex redoes it)"
            )
        return k.episode_id, None
    if mine is not None:
        return mine.episode_id, None
    return _new_id(path, sha, {k.episode_id for k in known}), None


class Progress(Protocol):
    """What a progress display is told as a run goes."""

    def started(self, episodes: int) -> None: ...
    def episode(self, path: Path, frames: int) -> None: ...
    def frame(self, frame: Frame) -> None: ...
    def finished(self, outcome: Outcome) -> None: ...


def index_library(
    paths: list[Path],
    warehouse_dir: Path,
    indexer: Indexer,
    reindex: bool = False,
    progress: Progress | None = None,
) -> Summary:
    """Index every video under `paths` into the warehouse at `warehouse_dir`."""
    videos = find_videos(paths, every_entry=True)  # what is no video fails alone, below
    if not videos:
        raise ValueError(
            f"{', '.join(map(str, paths))}: no video files (.mp4, .mkv, .avi, .mov, .webm)"
        )
    if not any(os.path.lexists(v) for v in videos):  # nothing to index: a mistyped path
        raise FileNotFoundError(f"{videos[0]}: no such file or folder")
    start = time.perf_counter()
    outcomes: list[Outcome] = []
    if progress:
        progress.started(len(videos))
    with Warehouse(warehouse_dir) as wh:
        try:
            wh.set_cast(indexer.cascades.characters)
            for video in videos:
                outcome = _one_video(wh, indexer, video.resolve(), reindex, progress)
                outcomes.append(outcome)
                if outcome.status != "skipped":
                    wh.publish()
                if progress:
                    progress.finished(outcome)
            wh.publish()
        except StorageError as exc:
            stopped = str(exc)
        else:
            stopped = None
    return Summary(tuple(outcomes), time.perf_counter() - start, str(warehouse_dir), stopped)


def _one_video(
    wh: Warehouse, indexer: Indexer, path: Path, reindex: bool, progress: Progress | None
) -> Outcome:
    """Index, skip or fail one file."""
    t0 = time.perf_counter()
    try:
        check_regular(path)  # before reading: a pipe named like a video would block
        sha = sha256(path)
    except (ValueError, OSError) as exc:  # gone, a folder, a pipe, unreadable
        return _unreadable(wh, path, exc, t0)
    episode_id, skipped = _decide(path, sha, wh.known(), indexer, reindex)
    if skipped:
        return Outcome(str(path), episode_id, "skipped", skipped)
    return _index_one(wh, indexer, path, sha, episode_id, progress, t0)


def _reason(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _unreadable(wh: Warehouse, path: Path, exc: BaseException, t0: float) -> Outcome:
    """A path whose bytes cannot be read, stored as failed under its own episode id."""
    known = wh.known()
    mine = next((k for k in known if k.path == str(path)), None)
    tag = hashlib.sha256(str(path).encode()).hexdigest()
    episode_id = mine.episode_id if mine else _new_id(path, tag, {k.episode_id for k in known})
    base = dict(episode_id=episode_id, title=path.stem.replace("_", " "), path=str(path))
    return _failed(wh, base | {"sha256": None}, exc, t0)


def _failed(wh: Warehouse, base: dict, exc: BaseException, t0: float) -> Outcome:
    """Store the episode as failed with the first line of why; its Outcome."""
    reason = _reason(exc)
    wh.write_episode(
        EpisodeRecord(**base, status="failed", error=reason, index_seconds=time.perf_counter() - t0)
    )
    return Outcome(
        base["path"], base["episode_id"], "failed", reason, seconds=time.perf_counter() - t0
    )


def _index_one(
    wh: Warehouse,
    indexer: Indexer,
    path: Path,
    sha: str,
    episode_id: str,
    progress: Progress | None,
    t0: float,
) -> Outcome:
    base = dict(
        episode_id=episode_id,
        title=path.stem.replace("_", " "),
        path=str(path),
        sha256=sha,
        model_sha256=indexer.model_sha256,
        cascades_sha256=indexer.cascades.sha256,
        sample_fps=indexer.settings.sample_fps,
    )
    try:
        info = probe(path)
        if progress:
            progress.episode(path, info.frames)
        result = run_pass(
            path,
            indexer.cascades,
            indexer.classifier,
            indexer.settings,
            progress.frame if progress else None,
        )
    except (ValueError, OSError) as exc:
        return _failed(wh, base, exc, t0)
    duration = result.last_time_s + (1.0 / info.fps if info.fps > 0 else 0.0)
    seconds = time.perf_counter() - t0
    wh.write_episode(
        EpisodeRecord(
            **base,
            status="indexed",
            duration_s=duration,
            fps=info.fps,
            width=info.width,
            height=info.height,
            frames=result.frames_decoded,
            index_seconds=seconds,
        ),
        result.faces,
    )
    return Outcome(
        str(path),
        episode_id,
        "indexed",
        None,
        len(result.faces),
        duration,
        time.perf_counter() - t0,
    )
