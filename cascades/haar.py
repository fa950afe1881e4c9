"""Haar-like features over an integral image, evaluated exactly as OpenCV's HaarEvaluator does.

A feature is up to three weighted rectangles inside the detection window (OpenCV's limit). Its
value on a window is `sum(weight * rect_sum) / nf`, where `nf = sqrt(area * sqsum - sum**2)` over
the window shrunk by one pixel on every side; OpenCV rejects windows whose `nf` is too small
(pixel standard deviation <= 10) before any stage runs, and so do we.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# OpenCV's HaarEvaluator::setWindow accepts a window only when area / nf < 0.1,
# i.e. the inner window's pixel standard deviation exceeds 10 grey levels.
MIN_WINDOW_STD = 10.0
_CHUNK = 2048  # features evaluated per block, to bound memory at (N, _CHUNK) floats


@dataclass(frozen=True)
class HaarFeatures:
    """A set of upright Haar features for a window of `window_wh`.

    Attributes:
        rects: (F, 3, 4) int32 rectangles x, y, w, h; unused third rects are all zero.
        weights: (F, 3) float32 weights; 0 for unused rects.
    """

    window_wh: tuple[int, int]
    rects: np.ndarray
    weights: np.ndarray

    def __post_init__(self) -> None:
        if self.rects.ndim != 3 or self.rects.shape[1:] != (3, 4):
            raise ValueError(f"rects must be (F, 3, 4), got {self.rects.shape}")
        if self.weights.shape != self.rects.shape[:2]:
            raise ValueError(f"weights must be (F, 3), got {self.weights.shape}")

    def __len__(self) -> int:
        return len(self.rects)

    def subset(self, index: np.ndarray) -> HaarFeatures:
        return HaarFeatures(self.window_wh, self.rects[index], self.weights[index])


def feature_pool(window_wh: tuple[int, int] = (24, 24), step: int = 1) -> HaarFeatures:
    """Every edge, line, checkerboard and centre-surround feature of the window (OpenCV's
    BASIC + CORE upright sets: x2, y2, x3, y3, x2y2, point), on a grid of `step` pixels.

    Example:
        >>> len(feature_pool((24, 24))) > 100_000
        True
    """
    win_w, win_h = window_wh
    rects: list[tuple] = []
    weights: list[tuple] = []
    # (kind, cells wide, cells high)
    kinds = (
        ("x2", 2, 1),
        ("y2", 1, 2),
        ("x3", 3, 1),
        ("y3", 1, 3),
        ("x2y2", 2, 2),
        ("point", 3, 3),
    )
    for kind, cx, cy in kinds:
        for dx in range(1, win_w // cx + 1):
            for dy in range(1, win_h // cy + 1):
                for x in range(0, win_w - cx * dx + 1, step):
                    for y in range(0, win_h - cy * dy + 1, step):
                        whole = (x, y, cx * dx, cy * dy)
                        if kind == "x2":
                            r, w = (whole, (x + dx, y, dx, dy)), (-1.0, 2.0)
                        elif kind == "y2":
                            r, w = (whole, (x, y + dy, dx, dy)), (-1.0, 2.0)
                        elif kind == "x3":
                            r, w = (whole, (x + dx, y, dx, dy)), (-1.0, 3.0)
                        elif kind == "y3":
                            r, w = (whole, (x, y + dy, dx, dy)), (-1.0, 3.0)
                        elif kind == "x2y2":
                            r = (whole, (x, y, dx, dy), (x + dx, y + dy, dx, dy))
                            w = (-1.0, 2.0, 2.0)
                        else:
                            r, w = (whole, (x + dx, y + dy, dx, dy)), (-1.0, 9.0)
                        rects.append(tuple(r) + ((0, 0, 0, 0),) * (3 - len(r)))
                        weights.append(tuple(w) + (0.0,) * (3 - len(w)))
    return HaarFeatures(window_wh, np.array(rects, np.int32), np.array(weights, np.float32))


@dataclass(frozen=True)
class Windows:
    """Grey windows ready for feature evaluation.

    Attributes:
        integral: (N, H+1, W+1) float64 integral images.
        inv_nf: (N,) 1/nf, OpenCV's variance normalisation (float32 as OpenCV keeps it).
        valid: (N,) windows OpenCV would evaluate at all (std > 10).
    """

    integral: np.ndarray
    inv_nf: np.ndarray
    valid: np.ndarray

    def __len__(self) -> int:
        return len(self.integral)


def prepare(patches: np.ndarray) -> Windows:
    """(N, H, W) uint8 grey windows -> integral images and normalisation factors."""
    if patches.ndim != 3 or patches.dtype != np.uint8:
        raise ValueError(f"patches must be (N, H, W) uint8, got {patches.shape} {patches.dtype}")
    n, h, w = patches.shape
    integral = np.zeros((n, h + 1, w + 1), np.float64)
    integral[:, 1:, 1:] = patches.astype(np.float64).cumsum(axis=1).cumsum(axis=2)
    inner = patches[:, 1:-1, 1:-1].astype(np.float64)
    area = float((h - 2) * (w - 2))
    s = inner.sum(axis=(1, 2))
    sq = (inner * inner).sum(axis=(1, 2))
    nf = area * sq - s * s
    ok = nf > 0
    nf = np.where(ok, np.sqrt(np.where(ok, nf, 1.0)), 1.0)
    inv_nf = (1.0 / nf).astype(np.float32)
    valid = ok & (area * inv_nf < 1.0 / MIN_WINDOW_STD)
    return Windows(integral, inv_nf, valid)


def rect_sums(integral: np.ndarray, rects: np.ndarray) -> np.ndarray:
    """Sums of (F, 4) rectangles over (N, H+1, W+1) integrals: (N, F)."""
    x, y, w, h = rects[:, 0], rects[:, 1], rects[:, 2], rects[:, 3]
    return (
        integral[:, y + h, x + w]
        - integral[:, y, x + w]
        - integral[:, y + h, x]
        + integral[:, y, x]
    )


def values(windows: Windows, features: HaarFeatures) -> np.ndarray:
    """Normalised feature values (N, F) float32, as OpenCV computes them."""
    out = np.empty((len(windows), len(features)), np.float32)
    for start in range(0, len(features), _CHUNK):
        block = slice(start, start + _CHUNK)
        raw = np.zeros((len(windows), len(features.rects[block])), np.float64)
        for k in range(3):
            wk = features.weights[block, k]
            if not wk.any():
                continue
            raw += rect_sums(windows.integral, features.rects[block, k]) * wk.astype(np.float64)
        out[:, block] = raw.astype(np.float32) * windows.inv_nf[:, None]
    return out
