"""One cascade stage: Gentle AdaBoost over regression stumps, as OpenCV's GAB trainer does.

Stumps are found on 256-bin histograms of each feature (bin edges become thresholds), then refit
on the exact values, so what the stage says is what OpenCV's `value < threshold` will say.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

BINS = 256
_EPS = 1e-12


@dataclass(frozen=True)
class Stump:
    """`left` when feature value < threshold, else `right` (OpenCV's internalNodes/leafValues)."""

    feature: int  # index into the cascade's feature list
    threshold: float
    left: float
    right: float


@dataclass(frozen=True)
class Stage:
    stumps: tuple[Stump, ...]
    threshold: float  # a window passes when the sum of its stumps' outputs >= threshold


@dataclass(frozen=True)
class StageConfig:
    min_hit_rate: float = 0.997  # per stage; 20 stages keep 0.997**20 = 94% of faces
    max_false_alarm: float = 0.5  # per stage; 20 stages pass 1e-6 of background windows
    max_weak: int = 120  # give up on a stage's false-alarm target beyond this many stumps
    weight_trim: float = 0.95  # fit each stump on the samples holding this much weight

    def __post_init__(self) -> None:
        if not 0 < self.min_hit_rate <= 1:
            raise ValueError(f"min_hit_rate must be in (0, 1], got {self.min_hit_rate}")
        if not 0 < self.max_false_alarm <= 1:
            raise ValueError(f"max_false_alarm must be in (0, 1], got {self.max_false_alarm}")
        if self.max_weak < 1:
            raise ValueError(f"max_weak must be at least 1, got {self.max_weak}")
        if not 0 < self.weight_trim <= 1:
            raise ValueError(f"weight_trim must be in (0, 1], got {self.weight_trim}")


def _binned(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lo = values.min(axis=0)
    span = np.maximum(values.max(axis=0) - lo, 1e-9)
    bins = np.minimum(((values - lo) / span * BINS).astype(np.int32), BINS - 1)
    return bins.astype(np.uint8), lo, span


def _histogram_matrix(bins: np.ndarray) -> sparse.csr_matrix:
    """One-hot (F * BINS, N) matrix: `matrix @ w` is every feature's weighted histogram at once.

    Built column by column (each sample's F bins), then turned to CSR, whose products are about
    twice as fast as CSC's.
    """
    n, f = bins.shape
    rows = (bins.astype(np.int32) + (np.arange(f, dtype=np.int32) * BINS)[None, :]).ravel()
    indptr = np.arange(0, n * f + 1, f, dtype=np.int64)
    csc = sparse.csc_matrix((np.ones(n * f, np.float32), rows, indptr), shape=(f * BINS, n))
    return csc.tocsr()


def _best_stump(onehot: sparse.csr_matrix, y: np.ndarray, w: np.ndarray) -> tuple[int, int]:
    """(feature column, bin) maximising the Gentle-AdaBoost gain (zero weights are ignored)."""
    hist = onehot @ np.stack([w, w * y], axis=1).astype(np.float32)
    n_feat = onehot.shape[0] // BINS
    cw = hist[:, 0].reshape(n_feat, BINS).astype(np.float64).cumsum(axis=1)[:, :-1]
    cwy = hist[:, 1].reshape(n_feat, BINS).astype(np.float64).cumsum(axis=1)[:, :-1]
    tw, twy = w.sum(), (w * y).sum()
    gain = cwy**2 / (cw + _EPS) + (twy - cwy) ** 2 / (tw - cw + _EPS)
    flat = int(np.argmax(gain))
    return flat // (BINS - 1), flat % (BINS - 1)


def train_stage(
    values: np.ndarray, y: np.ndarray, config: StageConfig, feature_ids: np.ndarray
) -> tuple[Stage, float, float]:
    """Boost stumps on (N, F) feature `values` with labels `y` in {-1, +1}.

    Returns the stage, its hit rate on the positives and its false-alarm rate on the negatives.
    `feature_ids` maps a column of `values` to the cascade's feature index.
    """
    pos, neg = y > 0, y < 0
    if pos.sum() == 0 or neg.sum() == 0:
        raise ValueError("a stage needs both positive and negative windows")
    bins, lo, span = _binned(values)
    onehot = _histogram_matrix(bins)
    del bins
    w = np.where(pos, 0.5 / pos.sum(), 0.5 / neg.sum())
    score = np.zeros(len(y))
    stumps: list[Stump] = []
    threshold, hit, fa = 0.0, 1.0, 1.0
    while len(stumps) < config.max_weak:
        order = np.argsort(w)[::-1]
        keep = np.searchsorted(np.cumsum(w[order]), config.weight_trim * w.sum()) + 1
        trimmed = w.copy()
        trimmed[order[max(keep, min(len(y), 100)) :]] = 0.0
        col, b = _best_stump(onehot, y, trimmed)
        t = float(lo[col] + (b + 1) * span[col] / BINS)
        left = values[:, col] < np.float32(t)
        f_left = (w[left] * y[left]).sum() / max(w[left].sum(), _EPS)
        f_right = (w[~left] * y[~left]).sum() / max(w[~left].sum(), _EPS)
        out = np.where(left, f_left, f_right)
        score += out
        w = w * np.exp(-y * out)
        w /= w.sum()
        stumps.append(
            Stump(int(feature_ids[col]), float(np.float32(t)), float(f_left), float(f_right))
        )
        # The stage threshold keeps min_hit_rate of the positives.
        pos_scores = np.sort(score[pos])
        k = int(np.floor((1.0 - config.min_hit_rate) * len(pos_scores)))
        threshold = float(pos_scores[k]) - 1e-5
        hit = float((score[pos] >= threshold).mean())
        fa = float((score[neg] >= threshold).mean())
        if fa <= config.max_false_alarm:
            break
    return Stage(tuple(stumps), threshold), hit, fa
