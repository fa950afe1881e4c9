"""Precision, recall and speed of a cascade against truth files.

A detection is a hit when its IoU with an owed face of the character is >= 0.5 (each face matched
once, best IoU first). Faces with `visible` < 0.5 are "don't care": not owed, and a detection on one
is neither a hit nor a false positive. Frames are decoded once and every setting is scored on them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from cascades.boxes import iou
from cascades.detect import Detector, DetectSettings, windows_to_boxes
from cascades.samples import truth_episodes
from synth.truth import DONT_CARE_VISIBLE, read_truth

MATCH_IOU = 0.5


@dataclass(frozen=True)
class EvalFrame:
    image: np.ndarray  # BGR
    owed_xyxy: np.ndarray  # the character's faces with visible >= 0.5
    ignore_xyxy: np.ndarray  # its faces with visible < 0.5
    others: dict[str, np.ndarray] = field(default_factory=dict)  # other characters' faces


def eval_frames(folder: Path, character: str, frame_step: int = 1) -> list[EvalFrame]:
    """Decode every `frame_step`-th frame of the episodes in `folder` with its truth."""
    frames = []
    for video, truth in truth_episodes(folder):
        rows: dict[int, list] = {}
        for r in read_truth(truth):
            rows.setdefault(r.frame, []).append(r)
        cap = cv2.VideoCapture(str(video))
        index = 0
        while cap.grab():
            if index % frame_step == 0:
                _, bgr = cap.retrieve()
                here = rows.get(index, [])
                mine = [r for r in here if r.character == character]
                others: dict[str, list] = {}
                for r in here:
                    if r.character != character and r.visible >= DONT_CARE_VISIBLE:
                        others.setdefault(r.character, []).append(r.xyxy)
                frames.append(
                    EvalFrame(
                        bgr,
                        np.array(
                            [r.xyxy for r in mine if r.visible >= DONT_CARE_VISIBLE], np.float64
                        ).reshape(-1, 4),
                        np.array(
                            [r.xyxy for r in mine if r.visible < DONT_CARE_VISIBLE], np.float64
                        ).reshape(-1, 4),
                        {k: np.array(v, np.float64) for k, v in others.items()},
                    )
                )
            index += 1
        cap.release()
    if not frames:
        raise ValueError(f"{folder}: no frames to evaluate on")
    return frames


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


def score(
    detector: Detector, frames: Iterable[EvalFrame], settings: DetectSettings | None = None
) -> Score:
    """Run the detector on every frame and score it."""
    s = settings or detector.settings
    hits = fps = owed = n = 0
    seconds = 0.0
    other_frames: dict[str, int] = {}
    other_hit: dict[str, int] = {}
    for f in frames:
        t0 = time.perf_counter()
        dets = detector.detect(f.image, s)
        seconds += time.perf_counter() - t0
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
        1000 * seconds / max(n, 1),
        n,
        hits,
        fps,
        owed,
        {k: other_hit.get(k, 0) / v for k, v in sorted(other_frames.items())},
    )


def score_windows(
    raw: list[np.ndarray], frames: list[EvalFrame], settings: DetectSettings, min_neighbors: int
) -> tuple[float, float, float, float]:
    """Precision, recall, F1 and the worst confusion with another character (the share of the
    frames showing it with a false detection on its face), from raw (ungrouped) windows grouped
    as OpenCV groups them."""
    hits = fps = owed = 0
    other_frames: dict[str, int] = {}
    other_hit: dict[str, int] = {}
    for windows, f in zip(raw, frames, strict=True):
        if len(windows) and min_neighbors > 0:
            rects = np.column_stack([windows[:, :2], windows[:, 2:] - windows[:, :2]])
            grouped, _ = cv2.groupRectangles(
                np.round(rects).astype(np.int32).tolist(), min_neighbors, 0.2
            )
            g = np.asarray(grouped, np.float64).reshape(-1, 4)
            windows = np.column_stack([g[:, :2], g[:, :2] + g[:, 2:]])
        dets = windows_to_boxes(windows, settings.box_aspect, f.image.shape[:2])
        h, fp, fp_mask = match(dets, f.owed_xyxy, f.ignore_xyxy)
        hits, fps, owed = hits + h, fps + fp, owed + len(f.owed_xyxy)
        _count_confusion(dets, fp_mask, f, other_frames, other_hit)
    precision = hits / max(hits + fps, 1)
    recall = hits / max(owed, 1)
    confused = max((other_hit.get(k, 0) / v for k, v in other_frames.items()), default=0.0)
    return precision, recall, 2 * precision * recall / max(precision + recall, 1e-9), confused


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
