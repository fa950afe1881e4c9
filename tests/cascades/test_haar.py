from __future__ import annotations

import numpy as np
import pytest

from cascades.haar import HaarFeatures, feature_pool, prepare, values


def test_pool_stays_inside_the_window() -> None:
    pool = feature_pool((24, 24))
    r = pool.rects
    used = pool.weights != 0
    assert (r[..., 0] >= 0).all() and (r[..., 1] >= 0).all()
    assert ((r[..., 0] + r[..., 2])[used] <= 24).all() and (
        (r[..., 1] + r[..., 3])[used] <= 24
    ).all()
    assert len(pool) == 170_800  # BASIC + CORE upright features of a 24x24 window


def test_value_of_an_edge_feature() -> None:
    patch = np.zeros((1, 24, 24), np.uint8)
    patch[0, :, 12:] = 200  # dark left, bright right
    patch[0, ::2, ::2] += 20  # some texture so the window has variance
    feats = HaarFeatures(
        (24, 24),
        np.array([[[0, 0, 24, 24], [12, 0, 12, 24], [0, 0, 0, 0]]], np.int32),
        np.array([[-1, 2, 0]], np.float32),
    )
    win = prepare(patch)
    p = patch[0].astype(float)
    raw = -p.sum() + 2 * p[:, 12:].sum()
    inner = p[1:-1, 1:-1]
    nf = np.sqrt(inner.size * (inner**2).sum() - inner.sum() ** 2)
    assert values(win, feats)[0, 0] == pytest.approx(raw / nf, rel=1e-5)
    assert win.valid[0]


def test_flat_windows_are_invalid_as_in_opencv() -> None:
    flat = np.full((2, 24, 24), 100, np.uint8)
    flat[1, ::2] = 103  # std 1.5: still too flat for OpenCV
    assert not prepare(flat).valid.any()


def test_prepare_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="uint8"):
        prepare(np.zeros((2, 24, 24), np.float32))
