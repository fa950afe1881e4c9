"""Box helpers: xyxy pixels everywhere, (N, 4) float arrays.

IoU and intersection are `synth.detections`' (re-exported here): one box maths for the house.
"""

from __future__ import annotations

import cv2
import numpy as np

from synth.detections import intersection, iou

__all__ = ["covered", "crop_resized", "intersection", "iou", "square_around"]


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
