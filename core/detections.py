"""The one detections type: boxes in xyxy pixels with the character each was found as.

Cascades produce it, the indexer merges, filters and tracks it, and evaluation scores it, so
there is one box format (xyxy, pixels, x2/y2 exclusive) and one conversion from OpenCV's xywh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np


def xywh_to_xyxy(rects: np.ndarray | Sequence) -> np.ndarray:
    """OpenCV rectangles (N, 4) x, y, w, h -> (N, 4) float64 x1, y1, x2, y2.

    Example:
        >>> xywh_to_xyxy([[10, 20, 30, 40]])
        array([[10., 20., 40., 60.]])
    """
    r = np.asarray(rects, np.float64).reshape(-1, 4)
    return np.column_stack([r[:, :2], r[:, :2] + r[:, 2:]])


def xyxy_to_xywh(xyxy: np.ndarray) -> np.ndarray:
    """(N, 4) x1, y1, x2, y2 -> (N, 4) x, y, w, h (the inverse of `xywh_to_xyxy`)."""
    b = np.asarray(xyxy, np.float64).reshape(-1, 4)
    return np.column_stack([b[:, :2], b[:, 2:] - b[:, :2]])


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box in `a` (N, 4) with every box in `b` (M, 4): (N, M).

    Example:
        >>> iou(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 10]])).round(3)
        array([[0.333]])
    """
    inter = intersection(a, b)
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Area shared by every box in `a` (N, 4) with every box in `b` (M, 4): (N, M)."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return np.clip(w, 0, None) * np.clip(h, 0, None)


@dataclass(frozen=True)
class Detections:
    """N face boxes in one frame.

    Attributes:
        xyxy: (N, 4) float64 pixels.
        character: (N,) str, the character whose cascade (or whose classifier) named the box.
        score: (N,) float64, how sure the stage that made the box is (1.0 when it cannot say).
    """

    xyxy: np.ndarray
    character: np.ndarray
    score: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.xyxy)
        if self.xyxy.ndim != 2 or self.xyxy.shape[1] != 4:
            raise ValueError(f"xyxy must be (N, 4), got {self.xyxy.shape}")
        if self.character.shape != (n,) or self.score.shape != (n,):
            raise ValueError(
                f"character {self.character.shape} and score {self.score.shape} must be ({n},)"
            )

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4)), np.zeros(0, dtype=object), np.zeros(0))

    @classmethod
    def of(cls, xyxy: np.ndarray, character: str, score: np.ndarray | None = None) -> Detections:
        """Boxes that all belong to one character."""
        xyxy = np.asarray(xyxy, np.float64).reshape(-1, 4)
        n = len(xyxy)
        return cls(
            xyxy,
            np.full(n, character, dtype=object),
            np.ones(n) if score is None else np.asarray(score, np.float64).reshape(n),
        )

    @classmethod
    def concat(cls, parts: Sequence[Detections]) -> Detections:
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        return cls(
            np.concatenate([p.xyxy for p in parts]),
            np.concatenate([p.character for p in parts]),
            np.concatenate([p.score for p in parts]),
        )

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index: np.ndarray | slice) -> Detections:
        return Detections(self.xyxy[index], self.character[index], self.score[index])

    def of_character(self, name: str) -> Detections:
        return self[self.character == name]


def covered(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Fraction of each box in `b` (M, 4) that each box in `a` (N, 4) covers: (N, M)."""
    b = np.asarray(b, np.float64).reshape(-1, 4)
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return intersection(a, b) / np.maximum(area_b[None, :], 1e-9)


def square_around(xyxy: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """The square (N, 4) centred on each box, of side `scale` * its longer side."""
    xyxy = np.asarray(xyxy, np.float64).reshape(-1, 4)
    cx, cy = (xyxy[:, 0] + xyxy[:, 2]) / 2, (xyxy[:, 1] + xyxy[:, 3]) / 2
    half = np.maximum(xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]) * scale / 2
    return np.stack([cx - half, cy - half, cx + half, cy + half], axis=1)


def crop_resized(gray: np.ndarray, xyxy: np.ndarray, size_wh: tuple[int, int]) -> np.ndarray:
    """Crop (N, 4) boxes from a grey image (edges replicated) and resize: (N, h, w) uint8."""
    out = np.empty((len(xyxy), size_wh[1], size_wh[0]), np.uint8)
    pad = (
        int(
            max(
                0.0,
                -np.min(xyxy[:, :2], initial=0.0),
                np.max(xyxy[:, 2] - gray.shape[1], initial=0.0),
                np.max(xyxy[:, 3] - gray.shape[0], initial=0.0),
            )
        )
        + 1
    )
    padded = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    for i, (x1, y1, x2, y2) in enumerate(np.round(xyxy).astype(int) + pad):
        out[i] = cv2.resize(
            padded[y1 : max(y2, y1 + 1), x1 : max(x2, x1 + 1)],
            size_wh,
            interpolation=cv2.INTER_AREA,
        )
    return out
