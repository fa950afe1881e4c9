"""The pass over one episode: frames -> boxes -> faces -> tracks -> rows and vectors.

Only wiring and timing live here; each stage is a function of its own module. Memory does not
grow with the episode's length: frames are decoded one at a time and dropped after their batch
(a few of them are kept for filling gaps), and what is kept per face is a few hundred bytes of
numbers and a small thumbnail.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np

from cascades.finder import CascadeSet
from core.video import Frame, read_frames
from core.vocabulary import OTHER
from indexer.faces import FaceClassifier, crops, thumbnail
from indexer.tracks import (
    GapFill,
    Named,
    Observation,
    Tracker,
    TrackSettings,
    smooth,
    vote_characters,
)
from warehouse.rows import EpisodeFaces
from warehouse.schema import EMOTIONS


@dataclass(frozen=True)
class PassSettings:
    # Frames looked at per second of video, chosen on what users read: the ranking of every
    # emotion's share, against the whole pass's time. On the 10 validation episodes of 60 s
    # (seed 210; `bench/pass_settings.py`, 2 cores, BENCHMARKS.md), clean footage:
    #
    #   fps  recall  happy rho  mean rho (7 emotions)  x real time
    #   1.0  0.890   0.813      0.864                  34.8
    #   1.5  0.883   0.868      0.900                  26.2
    #   2.0  0.882   0.798      0.901                  20.7
    #   3.0  0.882   0.848      0.914                  14.6
    #   4.0  0.881   0.832      0.911                  11.2
    #
    # Detection and emotion do not move with the rate; the ranking does, most from 1 to 1.5
    # (sampling alone, with every face found and named right, caps happy rho at 0.86 at 1 a
    # second and 0.98 at 1.5), and little after. 1.5 is the rate that gains it and stays over
    # 25x real time; each step past it costs a quarter of the speed for at most 0.014.
    sample_fps: float = 1.5
    # Sampled frames whose faces are classified in one model call (a GPU wants big batches;
    # 32 frames of 640x360 are about 22 MB).
    batch_frames: int = 32
    # The stages beside and after the cascades, each switchable so their effect can be measured.
    proposer: bool = True  # the learned proposer, where the cascade folder holds one
    character_head: bool = True  # drop faces the model calls `other`, name the rest
    # A face (with tracking: a track) is kept only when the head's mean probability of the
    # character it names is at least this: below it the head is unsure it is a face at all, and
    # that is where phantoms on real pictures sit. Chosen on phantoms in the training pictures'
    # views (`toon synth real-nonfaces --split train --seed 3`, 2,955 frames at 1 a second)
    # against the validation episodes (seed 210, and 211 worn; `bench/confidence_floor.py`):
    #
    #   floor  phantoms/1,000  clean P / R      worn P / R      mean rho clean / worn
    #   0      2.71            0.984 / 0.944    0.955 / 0.912   0.935 / 0.888
    #   0.7    1.02            0.988 / 0.939    0.964 / 0.904   0.941 / 0.875
    #   0.8    0.34            0.989 / 0.933    0.971 / 0.897   0.941 / 0.880
    #   0.9    0.34            0.992 / 0.924    0.979 / 0.891   0.931 / 0.897
    #
    # 0.8 is the lowest floor under 1 phantom per 1,000 frames; it costs about 0.01 recall.
    min_character_confidence: float = 0.8
    tracking: bool = True  # link faces into tracks, vote on the character, fill gaps
    smoothing: bool = True  # average emotion probabilities along each track
    tracks: TrackSettings = field(default_factory=TrackSettings)

    def __post_init__(self) -> None:
        if not self.sample_fps > 0:
            raise ValueError(f"sample_fps must be > 0, got {self.sample_fps}")
        if self.batch_frames < 1:
            raise ValueError(f"batch_frames must be >= 1, got {self.batch_frames}")
        if not 0.0 <= self.min_character_confidence < 1.0:
            raise ValueError(
                f"min_character_confidence must be in [0, 1), got {self.min_character_confidence}"
            )
        if self.smoothing and not self.tracking:
            raise ValueError("smoothing works along tracks: it needs tracking")


STAGES = ("decode", "detect", "classify", "track")


@dataclass(frozen=True)
class EpisodePass:
    """What one pass found: the faces to store, and how the stream and the stages went."""

    faces: EpisodeFaces
    frames_decoded: int
    last_time_s: float
    seconds: dict[str, float]  # wall time per stage (`STAGES`)


@dataclass(frozen=True)
class Batch:
    """Sampled frames decoded together: `frames[i]` is sample number `first + i`."""

    first: int
    frames: list[Frame]


class _Clock:
    """Wall time per stage: each `lap` charges the time since the last one to a stage."""

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(STAGES, 0.0)
        self._last = time.perf_counter()

    def lap(self, stage: str | None) -> None:
        """Charge the time since the last lap to `stage` (None: to no stage)."""
        now = time.perf_counter()
        if stage is not None:
            self.seconds[stage] += now - self._last
        self._last = now


def run_pass(
    path: Path,
    cascades: CascadeSet,
    classifier: FaceClassifier,
    settings: PassSettings = PassSettings(),
    on_frame: Callable[[Frame], None] | None = None,
) -> EpisodePass:
    """Index one video file; raises ValueError when it cannot be decoded."""
    stream = read_frames(path, sample_fps=settings.sample_fps)
    label = _labeller(classifier, settings)
    link = _TrackLinker(settings.tracks, label) if settings.tracking else _Unlinked()
    clock = _Clock()
    faces: list[Observation] = []
    sampled: list[tuple[int, float]] = []  # (index, time_s) of each frame looked at, no pixels
    for batch in _batches(stream, settings.batch_frames):
        clock.lap("decode")
        sampled += [(f.index, f.time_s) for f in batch.frames]
        found = cascades.detect_many([f.bgr for f in batch.frames], settings.proposer)
        clock.lap("detect")
        seen = _classify(
            classifier,
            [
                (batch.first + i, f, d.xyxy, list(d.character))
                for i, (f, d) in enumerate(zip(batch.frames, found, strict=True))
            ],
        )
        clock.lap("classify")
        faces += link(batch, seen, classifier, clock)
        for frame in batch.frames if on_frame else ():
            on_frame(frame)
        clock.lap(None)
    clock.lap("decode")
    kept = _finish(faces, classifier, settings, sampled, stream.last_time_s)
    clock.lap("track")
    return EpisodePass(kept, stream.frames_decoded, stream.last_time_s, clock.seconds)


def _batches(frames: Iterator[Frame], n: int) -> Iterator[Batch]:
    first = 0
    while chunk := list(islice(frames, n)):
        yield Batch(first, chunk)
        first += len(chunk)


def _labeller(classifier: FaceClassifier, s: PassSettings) -> Callable[[Observation], str]:
    """What a face looks like, to keep tracks of different characters apart: the character
    head's best guess where it is used, else the cascade that found it."""
    names = classifier.characters
    if s.character_head and names:
        return lambda o: names[int(np.argmax(o.character))]
    return lambda o: o.cascade_character


class _Unlinked:
    """No tracking: every face is a track of its own."""

    def __init__(self) -> None:
        self._next = 0

    def __call__(
        self, batch: Batch, seen: list[Observation], classifier: FaceClassifier, clock: _Clock
    ) -> list[Observation]:
        for o in seen:
            o.track, self._next = self._next, self._next + 1
        return seen


class _TrackLinker:
    """Links each sampled frame's faces into tracks, and classifies the boxes that fill a
    track's short gaps (kept only when they look like the track's character)."""

    def __init__(self, settings: TrackSettings, label: Callable[[Observation], str]) -> None:
        self.tracker = Tracker(settings)
        self.max_gap = settings.max_gap
        self.label = label
        self.recent: dict[int, Frame] = {}  # sampled frames a gap fill may still need

    def __call__(
        self, batch: Batch, seen: list[Observation], classifier: FaceClassifier, clock: _Clock
    ) -> list[Observation]:
        self.recent |= {batch.first + i: f for i, f in enumerate(batch.frames)}
        fills: list[GapFill] = []
        for sample in range(batch.first, batch.first + len(batch.frames)):
            mine = [o for o in seen if o.sample == sample]
            ids, gaps = self.tracker.step(
                sample,
                np.array([o.xyxy for o in mine]).reshape(-1, 4),
                np.array([self.label(o) for o in mine], dtype=object),
            )
            for o, k in zip(mine, ids, strict=True):
                o.track = int(k)
            fills += gaps
        clock.lap("track")
        filled = _classify(
            classifier, [(g.sample, self.recent[g.sample], g.xyxy[None], ["?"]) for g in fills]
        )
        for o, g in zip(filled, fills, strict=True):
            o.filled, o.track = True, g.track
        # a fill is kept only when the model sees the track's character in it: the face may
        # have left, or turned away, between the two ends
        kept = [o for o, g in zip(filled, fills, strict=True) if self.label(o) == g.label]
        end = batch.first + len(batch.frames)
        self.recent = {k: v for k, v in self.recent.items() if k >= end - self.max_gap}
        clock.lap("classify")
        return seen + kept


def _classify(
    classifier: FaceClassifier, jobs: list[tuple[int, Frame, np.ndarray, list[str]]]
) -> list[Observation]:
    """Crop and classify the boxes of several frames in one model call."""
    parts = [crops(frame.bgr, xyxy, classifier.size) for _, frame, xyxy, _ in jobs if len(xyxy)]
    if not parts:
        return []
    rgb = np.concatenate(parts)
    out = classifier.classify(rgb)
    observations = []
    n = 0
    for sample, frame, xyxy, names in jobs:
        for box, name in zip(xyxy, names, strict=True):
            observations.append(
                Observation(
                    sample=sample,
                    frame=frame.index,
                    time_s=frame.time_s,
                    xyxy=np.asarray(box, np.float64),
                    cascade_character=str(name),
                    emotion=out.emotion[n],
                    character=out.character[n],
                    embedding=out.embedding[n],
                    thumbnail=thumbnail(rgb[n]),
                )
            )
            n += 1
    return observations


def _slots(sample_time: np.ndarray, last_time_s: float, sample_fps: float) -> np.ndarray:
    """Screen time each sampled frame stands for: up to the next sampled frame (the last one:
    to the end of the stream, at most one sampling period)."""
    if len(sample_time) == 0:
        return sample_time
    period = 1.0 / sample_fps
    ends = np.append(sample_time[1:], min(sample_time[-1] + period, last_time_s + period))
    return np.maximum(ends - sample_time, 0.0)


def _named(faces: list[Observation], names: tuple[str, ...], s: PassSettings) -> list[Named]:
    """The faces kept, each with its character: by the head (per track where there are tracks,
    at least `min_character_confidence` sure), else by the cascade that found it."""
    if not (s.character_head and names):
        return [Named(o, o.cascade_character, 1.0) for o in faces]
    if s.tracking:
        kept = vote_characters(faces, names, s.tracks)
    else:
        best = [int(np.argmax(o.character)) for o in faces]
        kept = [
            Named(o, names[b], float(o.character[b]))
            for o, b in zip(faces, best, strict=True)
            if names[b] != OTHER
        ]
    return [k for k in kept if k.confidence >= s.min_character_confidence]


def _finish(
    faces: list[Observation],
    classifier: FaceClassifier,
    s: PassSettings,
    sampled: list[tuple[int, float]],
    last_time_s: float,
) -> EpisodeFaces:
    """Name, filter and smooth the faces, and lay them out as the warehouse's arrays."""
    kept = sorted(
        _named(faces, classifier.characters, s), key=lambda k: (k.face.sample, k.face.track)
    )
    obs = [k.face for k in kept]
    probs = smooth(obs, s.tracks.smooth_weights) if s.smoothing else [o.emotion for o in obs]
    sample_time = np.array([time_s for _, time_s in sampled])
    slots = _slots(sample_time, last_time_s, s.sample_fps)
    n = len(obs)
    return EpisodeFaces(
        time_s=np.array([o.time_s for o in obs]),
        frame=np.array([o.frame for o in obs], np.int64),
        character=np.array([k.character for k in kept], dtype=object),
        xyxy=np.array([o.xyxy for o in obs]).reshape(n, 4),
        probs=np.array(probs, np.float64).reshape(n, len(EMOTIONS)),
        track=_renumber([o.track for o in obs]),
        seconds=np.array([slots[o.sample] for o in obs]),
        filled=np.array([o.filled for o in obs], bool),
        character_confidence=np.array([k.confidence for k in kept]),
        embedding=np.array([o.embedding for o in obs], np.float32).reshape(
            n, classifier.embedding_dim
        ),
        thumbnails=[o.thumbnail for o in obs],
        sample_frame=np.array([index for index, _ in sampled], np.int64),
        sample_time_s=sample_time,
    )


def _renumber(tracks: list[int]) -> np.ndarray:
    """Track ids 0, 1, ... in order of first appearance."""
    order: dict[int, int] = {}
    return np.array([order.setdefault(t, len(order)) for t in tracks], np.int64)
