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
from indexer.tracks import GapFill, Observation, Tracker, TrackSettings, smooth, vote_characters
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


@dataclass(frozen=True)
class EpisodePass:
    """What one pass found: the faces to store, and how the stream and the stages went."""

    faces: EpisodeFaces
    frames_decoded: int
    last_time_s: float
    seconds: dict[str, float]  # wall time per stage: decode, detect, classify, track


def _batches(frames: Iterator[Frame], n: int) -> Iterator[list[Frame]]:
    while chunk := list(islice(frames, n)):
        yield chunk


def run_pass(
    path: Path,
    cascades: CascadeSet,
    classifier: FaceClassifier,
    settings: PassSettings = PassSettings(),
    on_frame: Callable[[Frame], None] | None = None,
) -> EpisodePass:
    """Index one video file; raises ValueError when it cannot be decoded."""
    stream = read_frames(path, sample_fps=settings.sample_fps)
    clock = {"decode": 0.0, "detect": 0.0, "classify": 0.0, "track": 0.0}
    tracker = Tracker(settings.tracks)
    observations: list[Observation] = []
    sample_frame: list[int] = []
    sample_time: list[float] = []
    recent: dict[int, Frame] = {}  # sampled frames a gap fill may still need
    t0 = time.perf_counter()
    for chunk in _batches(stream, settings.batch_frames):
        t1 = time.perf_counter()
        clock["decode"] += t1 - t0
        first = len(sample_frame)
        sample_frame += [f.index for f in chunk]
        sample_time += [f.time_s for f in chunk]
        found = cascades.detect_many([f.bgr for f in chunk], settings.proposer)
        t2 = time.perf_counter()
        clock["detect"] += t2 - t1
        made = _classify(
            classifier,
            [
                (first + i, f, d.xyxy, list(d.character))
                for i, (f, d) in enumerate(zip(chunk, found, strict=True))
            ],
        )
        t3 = time.perf_counter()
        clock["classify"] += t3 - t2
        if settings.tracking:
            head = settings.character_head and len(classifier.characters) > 0
            recent |= {first + i: f for i, f in enumerate(chunk)}
            fills: list[GapFill] = []
            for i in range(len(chunk)):
                mine = [o for o in made if o.sample == first + i]
                ids, gaps = tracker.step(
                    first + i,
                    np.array([o.xyxy for o in mine]).reshape(-1, 4),
                    np.array([_label(o, head) for o in mine], dtype=object),
                )
                for o, k in zip(mine, ids, strict=True):
                    o.track = int(k)
                fills += gaps
            t4 = time.perf_counter()
            clock["track"] += t4 - t3
            filled = _classify(
                classifier,
                [(g.sample, recent[g.sample], g.xyxy[None], ["?"]) for g in fills],
            )
            for o, g in zip(filled, fills, strict=True):
                o.filled, o.track = True, g.track
            # a fill is kept only when the model sees the track's character in it: the face
            # may have left, or turned away, between the two ends
            made += [o for o, g in zip(filled, fills, strict=True) if _label(o, head) == g.label]
            keep = settings.tracks.max_gap
            recent = {k: v for k, v in recent.items() if k >= len(sample_frame) - keep}
            clock["classify"] += time.perf_counter() - t4
        else:
            for n, o in enumerate(made):
                o.track = len(observations) + n
        observations += made
        if on_frame:
            for frame in chunk:
                on_frame(frame)
        t0 = time.perf_counter()
    clock["decode"] += time.perf_counter() - t0
    t5 = time.perf_counter()
    faces = _finish(
        observations,
        classifier.characters,
        settings,
        np.array(sample_time),
        stream.last_time_s,
    )
    clock["track"] += time.perf_counter() - t5
    faces = EpisodeFaces(
        **{k: getattr(faces, k) for k in faces.__dataclass_fields__ if not k.startswith("sample")},
        sample_frame=np.array(sample_frame, np.int64),
        sample_time_s=np.array(sample_time),
    )
    return EpisodePass(faces, stream.frames_decoded, stream.last_time_s, clock)


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


def _label(o: Observation, head: bool) -> str:
    """The character a face looks like: the head's best guess, else the cascade's."""
    return str(int(np.argmax(o.character))) if head else o.cascade_character


def _slots(sample_time: np.ndarray, last_time_s: float, sample_fps: float) -> np.ndarray:
    """Screen time each sampled frame stands for: up to the next sampled frame (the last one:
    to the end of the stream, at most one sampling period)."""
    if len(sample_time) == 0:
        return sample_time
    period = 1.0 / sample_fps
    ends = np.append(sample_time[1:], min(sample_time[-1] + period, last_time_s + period))
    return np.maximum(ends - sample_time, 0.0)


def _finish(
    observations: list[Observation],
    names: tuple[str, ...],
    s: PassSettings,
    sample_time: np.ndarray,
    last_time_s: float,
) -> EpisodeFaces:
    """Name, filter and smooth the faces, and lay them out as the warehouse's arrays."""
    head = s.character_head and len(names) > 0
    if not head:
        kept = [(o, o.cascade_character, 1.0) for o in observations]
    elif s.tracking:
        kept = vote_characters(observations, names, s.tracks)
    else:
        kept = []
        for o in observations:
            best = int(np.argmax(o.character))
            if names[best] != OTHER:
                kept.append((o, names[best], float(o.character[best])))
    if head:
        kept = [k for k in kept if k[2] >= s.min_character_confidence]
    kept.sort(key=lambda item: (item[0].sample, item[0].track))
    obs = [o for o, _, _ in kept]
    probs = smooth(obs, s.tracks.smooth_weights) if s.smoothing else [o.emotion for o in obs]
    slots = _slots(sample_time, last_time_s, s.sample_fps)
    n = len(obs)
    return EpisodeFaces(
        time_s=np.array([o.time_s for o in obs]),
        frame=np.array([o.frame for o in obs], np.int64),
        character=np.array([c for _, c, _ in kept], dtype=object),
        xyxy=np.array([o.xyxy for o in obs]).reshape(n, 4),
        probs=np.array(probs, np.float64).reshape(n, len(EMOTIONS)),
        track=_renumber([o.track for o in obs]),
        seconds=np.array([slots[o.sample] for o in obs]),
        filled=np.array([o.filled for o in obs], bool),
        character_confidence=np.array([p for _, _, p in kept]),
        embedding=np.array([o.embedding for o in obs], np.float32).reshape(n, -1)
        if n
        else np.zeros((0, 128), np.float32),
        thumbnails=[o.thumbnail for o in obs],
    )


def _renumber(tracks: list[int]) -> np.ndarray:
    """Track ids 0, 1, ... in order of first appearance."""
    order: dict[int, int] = {}
    return np.array([order.setdefault(t, len(order)) for t in tracks], np.int64)
