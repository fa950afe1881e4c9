"""Indexing a library of episodes into a warehouse, one episode per unit of work.

An episode is skipped when a file with the same bytes is already indexed under the same
`PassKey` (model, cascade set, sampling rate and confidence floor); under another key it is
redone only when asked; a file whose bytes changed replaces its old rows; every entry
that cannot be read as a video (no such file, a link to nothing or links in a loop, a folder, a
pipe or a device named like a video, a file the decoder cannot open) is stored as
`status='failed'` with the reason, and the run goes on. A file is opened by the decoder before
its bytes are hashed, so a huge file that is no video is refused at once.
After every episode the warehouse publishes a snapshot, so readers see progress as it happens.
When the warehouse itself cannot be written (a full disk, a folder turned read-only) the run
stops there and says so; everything published before stays.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from core.files import sha256
from core.names import episode_slug
from core.video import VIDEO_SUFFIXES, find_videos, located, probe
from indexer.engines import (
    Analysis,
    Engine,
    Indexer,
    Job,
    LocalEngine,
    Progress,
    reason,
)
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

    @property
    def wall_speed(self) -> float:
        """Seconds of video indexed per second the whole run took (parallel engines beat
        `speed`, which counts each episode's own time)."""
        video = sum(o.video_seconds for o in self.outcomes if o.status == "indexed")
        return video / self.seconds if self.seconds > 0 else 0.0

    def as_json(self) -> dict:
        return {
            "warehouse": self.warehouse,
            "indexed": self.count("indexed"),
            "skipped": self.count("skipped"),
            "failed": self.count("failed"),
            "faces": sum(o.faces for o in self.outcomes),
            "seconds": round(self.seconds, 2),
            "speed_x_realtime": round(self.speed, 2),
            "wall_speed_x_realtime": round(self.wall_speed, 2),
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


# An episode id made from a file's name is cut to leave room for "-<8 hex digits>" (the id of a
# second file with that name) within the 128 characters an id may have.
_ID_STEM = 119


def _new_id(path: Path, sha: str, taken: set[str]) -> str:
    """The file's stem as an episode id (`episode_slug`: readable in any alphabet, one safe
    path component), or stem-<hash> when another file has it."""
    stem = episode_slug(path.stem)[:_ID_STEM].rstrip("._-") or "episode"
    return stem if stem not in taken else f"{stem}-{sha[:8]}"


def library_videos(paths: list[Path]) -> list[Path]:
    """Every entry under `paths` that is or asks to be a video, for `index_library`; raises
    (before anything is loaded) when there is nothing at all to index: every path is missing,
    or no entry has a video suffix."""
    videos = find_videos(paths, every_entry=True)  # what is no video fails alone, later
    if not videos:
        raise ValueError(
            f"{', '.join(map(str, paths))}: no video files ({', '.join(VIDEO_SUFFIXES)})"
        )
    if not any(os.path.lexists(v) for v in videos):  # nothing to index: a mistyped path
        raise FileNotFoundError(f"{videos[0]}: no such file or folder")
    return videos


def _decide(
    path: Path, sha: str, known: list[KnownEpisode], indexer: Indexer, reindex: bool
) -> tuple[str, str | None]:
    """(episode_id to write, None), or (the episode_id that holds it, why it is skipped)."""
    mine = next((k for k in known if k.path == str(path)), None)
    same = [k for k in known if k.sha256 == sha and k.status == "indexed"]
    for k in same:
        changes = k.key.changes(indexer.key)
        if not changes:
            if k.path == str(path):
                return k.episode_id, "already indexed"
            return k.episode_id, f"same content as episode {k.episode_id}"
        if not reindex:
            return k.episode_id, (
                f"indexed as {k.episode_id} with {' and '.join(changes)}; --reindex redoes it"
            )
        return k.episode_id, None
    if mine is not None:
        return mine.episode_id, None
    return _new_id(path, sha, {k.episode_id for k in known}), None


@dataclass(frozen=True)
class _Step:
    """One file of the run, planned before anything is analysed: skip it, store it as failed
    (its bytes cannot be read), or analyse it (`job`)."""

    path: Path
    episode_id: str
    skipped: str | None = None
    unreadable: BaseException | None = None
    job: Job | None = None
    # a copy of a file planned earlier in the run: not given to the engine; the writer skips it
    # when that file was indexed, and has the engine analyse it only when that one was not
    deferred: bool = False


def _plan(
    videos: list[Path], known: list[KnownEpisode], indexer: Indexer, reindex: bool
) -> Iterator[_Step]:
    """What to do with each file, decided in order; no two files get one id. A file planned
    here is not yet indexed (its pass may fail), so a second copy of it is planned too,
    deferred: the writer skips it if the first was stored, and has the engine analyse it if not.
    Lazily: a file is read (hashed) only when an engine is ready for it."""
    known = list(known)
    for video in videos:
        path = located(video)  # an entry that cannot be read is said under its own name
        try:
            # the decoder opens it before a byte is hashed: a pipe is refused from its metadata,
            # and a file that is no video (20 GB of zeros named .mp4) costs one look at its header
            probe(path)
            sha = sha256(path)
            path = path.resolve(strict=True)  # a file is known by where it is, not by a link
        except (ValueError, OSError, RuntimeError) as exc:  # gone, a loop, a pipe, no video
            mine = next((k for k in known if k.path == str(path)), None)
            tag = hashlib.sha256(str(path).encode()).hexdigest()
            episode_id = (
                mine.episode_id if mine else _new_id(path, tag, {k.episode_id for k in known})
            )
            yield _Step(path, episode_id, unreadable=exc)
            known = [k for k in known if k.episode_id != episode_id]
            known.append(KnownEpisode(episode_id, str(path), None, "failed", None, None))
            continue
        episode_id, skipped = _decide(path, sha, known, indexer, reindex)
        if skipped:
            yield _Step(path, episode_id, skipped=skipped)
            continue
        copy = any(k.sha256 == sha and k.status == "planned" for k in known)
        yield _Step(path, episode_id, job=Job(path, episode_id, sha), deferred=copy)
        known = [k for k in known if k.episode_id != episode_id]
        known.append(KnownEpisode(episode_id, str(path), sha, "planned", None, None))


class _Schedule:
    """The plan, read once by two readers at their own pace: the engine takes the jobs (it may
    read ahead to keep a cluster busy), the writer takes every step, in order."""

    def __init__(self, plan: Iterator[_Step]) -> None:
        self._plan = plan
        self._steps: deque[_Step] = deque()  # read from the plan, not yet taken by the writer
        self._jobs: deque[Job] = deque()  # read from the plan, not yet taken by the engine

    def _advance(self) -> bool:
        step = next(self._plan, None)
        if step is None:
            return False
        self._steps.append(step)
        if step.job and not step.deferred:
            self._jobs.append(step.job)
        return True

    def jobs(self) -> Iterator[Job]:
        while self._jobs or self._advance():
            if self._jobs:
                yield self._jobs.popleft()

    def steps(self) -> Iterator[_Step]:
        while self._steps or self._advance():
            yield self._steps.popleft()


def index_library(
    paths: list[Path],
    warehouse_dir: Path,
    indexer: Indexer,
    reindex: bool = False,
    progress: Progress | None = None,
    engine: Engine | None = None,
) -> Summary:
    """Index every video under `paths` into the warehouse at `warehouse_dir`, the passes run by
    `engine` (in this process by default), the rows stored here, in the files' order."""
    return index_videos(library_videos(paths), warehouse_dir, indexer, reindex, progress, engine)


def index_videos(
    videos: list[Path],
    warehouse_dir: Path,
    indexer: Indexer,
    reindex: bool = False,
    progress: Progress | None = None,
    engine: Engine | None = None,
) -> Summary:
    """`index_library` over the entries `library_videos` found."""
    engine = engine or LocalEngine(indexer)
    start = time.perf_counter()
    outcomes: list[Outcome] = []
    if progress:
        progress.started(len(videos))
    analyses: Iterator[Analysis] | None = None
    with Warehouse(warehouse_dir) as wh:
        try:
            wh.set_cast(indexer.cast)
            schedule = _Schedule(_plan(videos, wh.known(), indexer, reindex))
            analyses = engine.run(schedule.jobs(), progress)
            stored: dict[str, str] = {}  # sha256 -> episode_id of what this run indexed
            for step in schedule.steps():
                if step.skipped:
                    outcome = Outcome(str(step.path), step.episode_id, "skipped", step.skipped)
                elif step.unreadable is not None:
                    outcome = _store_failed(wh, step, None, reason(step.unreadable), 0.0)
                elif step.deferred and step.job.sha256 in stored:  # its first copy is in
                    first = stored[step.job.sha256]
                    why = f"same content as episode {first}"
                    outcome = Outcome(str(step.path), first, "skipped", why)
                else:
                    if step.deferred:  # its first copy failed: this one is tried now
                        analysis = _run_one(engine, step.job, progress)
                    else:
                        analysis = next(analyses)
                    outcome = _store(wh, indexer, step, analysis)
                    if outcome.status == "indexed":
                        stored[step.job.sha256] = step.episode_id
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
        finally:
            if analyses is not None:
                analyses.close()  # an engine stops what it still has running
    return Summary(tuple(outcomes), time.perf_counter() - start, str(warehouse_dir), stopped)


def _run_one(engine: Engine, job: Job, progress: Progress | None) -> Analysis:
    """One job on `engine`, beside the run it is already doing."""
    run = engine.run([job], progress)
    try:
        return next(run)
    finally:
        run.close()


def _base(step: _Step, indexer: Indexer | None) -> dict:
    base = dict(
        episode_id=step.episode_id, title=step.path.stem.replace("_", " "), path=str(step.path)
    )
    if indexer is None:
        return base | {"sha256": None}
    return base | dict(
        sha256=step.job.sha256,
        model_sha256=indexer.model_sha256,
        cascades_sha256=indexer.cascades.sha256,
        sample_fps=indexer.settings.sample_fps,
        min_character_confidence=indexer.settings.min_character_confidence,
    )


def _store_failed(
    wh: Warehouse, step: _Step, indexer: Indexer | None, why: str, seconds: float
) -> Outcome:
    """Store the episode as failed with the first line of why; its Outcome."""
    wh.write_episode(
        EpisodeRecord(**_base(step, indexer), status="failed", error=why, index_seconds=seconds)
    )
    return Outcome(str(step.path), step.episode_id, "failed", why, seconds=seconds)


def _store(wh: Warehouse, indexer: Indexer, step: _Step, analysis: Analysis) -> Outcome:
    if analysis.failed:
        return _store_failed(wh, step, indexer, analysis.error, analysis.seconds)
    info, result = analysis.info, analysis.result
    duration = result.last_time_s + (1.0 / info.fps if info.fps > 0 else 0.0)
    wh.write_episode(
        EpisodeRecord(
            **_base(step, indexer),
            status="indexed",
            duration_s=duration,
            fps=info.fps,
            width=info.width,
            height=info.height,
            frames=result.frames_decoded,
            index_seconds=analysis.seconds,
        ),
        result.faces,
    )
    return Outcome(
        str(step.path),
        step.episode_id,
        "indexed",
        None,
        len(result.faces),
        duration,
        analysis.seconds,
    )
