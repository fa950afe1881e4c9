"""Precision, recall and speed of a cascade against truth files.

A detection is a hit when its IoU with an owed face of the character is >= 0.5 (each face matched
once, best IoU first). Faces with `visible` < 0.5 are "don't care": not owed, and a detection on one
is neither a hit nor a false positive. Frames stream from the episodes one at a time; every way of
detecting (a cascade run, or raw windows grouped as OpenCV groups them) is scored by one loop.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cascades.annotations import boxes_by_character
from cascades.detect import Detector, DetectSettings, group_windows, windows_to_boxes
from cascades.samples import truth_frames
from core.detections import iou
from core.truth import DONT_CARE_VISIBLE

MATCH_IOU = 0.5


@dataclass(frozen=True)
class EvalFrame:
    """One frame and what evaluation needs of its truth, boxes (K, 4) xyxy in pixels."""

    image: np.ndarray  # BGR
    owed_xyxy: np.ndarray  # the character's faces with visible >= 0.5
    ignore_xyxy: np.ndarray  # its faces with visible < 0.5
    others: dict[str, np.ndarray] = field(default_factory=dict)  # other characters' faces


def eval_frames(
    folder: Path, character: str, frame_step: int = 1, *, allow_outside_images: bool = False
) -> Iterator[EvalFrame]:
    """Every `frame_step`-th frame of the episodes in `folder` with its truth, one at a time;
    or, when `folder` is a COCO file or an annotation list, every image it boxes (under its
    folder, unless `allow_outside_images`).

    Frames and truth checks are `cascades.samples.truth_frames`'; raises ValueError (once
    iterated to the end) when there was no frame at all.
    """
    n = 0
    if folder.is_file():
        boxed = boxes_by_character(folder, allow_outside_images=allow_outside_images)
        for _, bgr, boxes, hidden in boxed:
            if character not in boxes:
                raise ValueError(f"{folder}: no boxes of {character!r} (has: {', '.join(boxes)})")
            n += 1
            others = {k: v for k, v in boxes.items() if k != character and len(v)}
            yield EvalFrame(bgr, boxes[character], hidden, others)
        if not n:
            raise ValueError(f"{folder}: no frames to evaluate on")
        return
    for tf in truth_frames(folder, frame_step):
        owed, ignore = tf.faces_of(character)
        others: dict[str, list] = {}
        for r in tf.rows:
            if r.character != character and r.visible >= DONT_CARE_VISIBLE:
                others.setdefault(r.character, []).append(r.xyxy)
        n += 1
        yield EvalFrame(
            tf.frame.bgr, owed, ignore, {k: np.array(v, np.float64) for k, v in others.items()}
        )
    if not n:
        raise ValueError(f"{folder}: no frames to evaluate on")


def _centres_inside(dets: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """(N, M): whether detection n's centre lies inside box m."""
    cx, cy = (dets[:, 0] + dets[:, 2]) / 2, (dets[:, 1] + dets[:, 3]) / 2
    return (
        (cx[:, None] >= boxes[None, :, 0])
        & (cx[:, None] <= boxes[None, :, 2])
        & (cy[:, None] >= boxes[None, :, 1])
        & (cy[:, None] <= boxes[None, :, 3])
    )


def match(dets: np.ndarray, owed: np.ndarray, ignore: np.ndarray) -> tuple[int, int, np.ndarray]:
    """(hits, false positives, mask of unmatched detections) for one frame."""
    unmatched = np.ones(len(dets), bool)
    hits = 0
    if len(dets) and len(owed):
        m = iou(dets, owed)
        while True:
            i, j = np.unravel_index(np.argmax(m), m.shape)
            if m[i, j] < MATCH_IOU:
                break
            hits += 1
            unmatched[i] = False
            m[i, :] = -1
            m[:, j] = -1
    if unmatched.any() and len(ignore):
        on_ignored = (iou(dets, ignore) >= MATCH_IOU).any(axis=1)
        fp_mask = unmatched & ~on_ignored
    else:
        fp_mask = unmatched
    return hits, int(fp_mask.sum()), fp_mask


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    ms_per_frame: float
    frames: int
    hits: int
    false_positives: int
    owed: int
    # other character -> share of the frames showing it (visible >= 0.5) in which a false
    # detection is centred on its face
    confused_with: dict[str, float]

    def as_json(self) -> dict:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "ms_per_frame": round(self.ms_per_frame, 2),
            "frames": self.frames,
            "hits": self.hits,
            "false_positives": self.false_positives,
            "owed": self.owed,
            "confused_with": {k: round(v, 4) for k, v in self.confused_with.items()},
        }

    @property
    def worst_confusion(self) -> float:
        """The largest share in `confused_with` (0 when no other character was shown)."""
        return max(self.confused_with.values(), default=0.0)


def score_detections(detected: Iterable[tuple[np.ndarray, EvalFrame]]) -> Score:
    """Score (N, 4) xyxy detections against the truth of the frame each came from.

    The one scoring loop: `score` feeds it a cascade's detections, `score_windows` raw windows
    grouped after the fact. `ms_per_frame` is 0: what was timed is the caller's to say.
    """
    hits = fps = owed = n = 0
    other_frames: dict[str, int] = {}
    other_hit: dict[str, int] = {}
    for dets, f in detected:
        h, fp, fp_mask = match(dets, f.owed_xyxy, f.ignore_xyxy)
        hits, fps, owed, n = hits + h, fps + fp, owed + len(f.owed_xyxy), n + 1
        _count_confusion(dets, fp_mask, f, other_frames, other_hit)
    precision = hits / max(hits + fps, 1)
    recall = hits / max(owed, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    return Score(
        precision,
        recall,
        f1,
        0.0,
        n,
        hits,
        fps,
        owed,
        {k: other_hit.get(k, 0) / v for k, v in sorted(other_frames.items())},
    )


def score(
    detector: Detector, frames: Iterable[EvalFrame], settings: DetectSettings | None = None
) -> Score:
    """Run the detector on every frame (streamed: frames are not kept) and score it."""
    s = settings or detector.settings
    seconds = 0.0

    def detected() -> Iterator[tuple[np.ndarray, EvalFrame]]:
        nonlocal seconds
        for f in frames:
            t0 = time.perf_counter()
            dets = detector.detect(f.image, s)
            seconds += time.perf_counter() - t0
            yield dets, f

    result = score_detections(detected())
    return dataclasses.replace(result, ms_per_frame=1000 * seconds / max(result.frames, 1))


def score_windows(
    raw: Iterable[np.ndarray],
    frames: Iterable[EvalFrame],
    settings: DetectSettings,
    min_neighbors: int,
) -> Score:
    """Score raw (ungrouped) windows, one (N, 4) xyxy array per frame, grouped with
    `min_neighbors` as OpenCV groups them and shaped into boxes by `settings` (untimed)."""
    return score_detections(
        (
            windows_to_boxes(
                group_windows(windows, min_neighbors), settings.box_aspect, f.image.shape[:2]
            ),
            f,
        )
        for windows, f in zip(raw, frames, strict=True)
    )


def _count_confusion(
    dets: np.ndarray,
    fp_mask: np.ndarray,
    frame: EvalFrame,
    other_frames: dict[str, int],
    other_hit: dict[str, int],
) -> None:
    """Tally, per other character, the frames showing it and those with a false detection
    centred on its face."""
    for name, boxes in frame.others.items():
        other_frames[name] = other_frames.get(name, 0) + 1
        if fp_mask.any() and _centres_inside(dets[fp_mask], boxes).any():
            other_hit[name] = other_hit.get(name, 0) + 1
