"""Tests for synth/cuts.py: the zoom levels, windows and tiling of one picture."""

from __future__ import annotations

import numpy as np
import pytest

from synth.cuts import CutSettings, frame_scales, tileable_axes, window_boxes


@pytest.mark.parametrize(
    ("image_wh", "tileable", "expected"),
    [
        ((5120, 2880), (False, False), (0.125, 0.5)),  # whole picture .. 4x closer
        ((1280, 720), (True, True), (0.5, 1.0)),  # never beyond the picture's own pixels
        ((128, 128), (True, True), (0.5, 2.0)),  # a texture: tiled
        ((512, 512), (False, False), (1.25, 2.0)),  # a small photo: scaled up to cover
        ((400, 400), (True, False), (0.9, 2.0)),  # a strip that tiles across only
    ],
)
def test_frame_scales_stay_in_their_range(
    image_wh: tuple[int, int], tileable: tuple[bool, bool], expected: tuple[float, float]
) -> None:
    settings = CutSettings(frames_per_image=3)
    scales = frame_scales(image_wh, tileable, np.random.default_rng(0), settings)
    lo, hi = expected
    assert scales.shape == (3,)
    assert np.all(np.diff(scales) > 0)  # widest first, one per zoom band
    assert lo - 1e-9 <= scales.min() and scales.max() <= hi + 1e-9


def test_window_boxes_are_squares_inside_the_frame() -> None:
    boxes = window_boxes(500, np.random.default_rng(1), CutSettings())
    side = boxes[:, 2] - boxes[:, 0]
    assert np.array_equal(side, boxes[:, 3] - boxes[:, 1])
    assert side.min() >= 30 and side.max() <= 200
    assert boxes[:, :2].min() >= 0 and boxes[:, 2].max() <= 640 and boxes[:, 3].max() <= 360
    assert window_boxes(0, np.random.default_rng(1), CutSettings()).shape == (0, 4)


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (np.tile(np.arange(8, dtype=np.uint8)[None, :, None] * 30, (8, 1, 3)), (False, True)),
        (np.tile(np.eye(4, dtype=np.uint8)[:, :, None] * 200, (3, 3, 3)), (True, True)),
        (np.full((5, 5, 3), 7, np.uint8), (True, True)),
    ],
)
def test_tileable_axes(image: np.ndarray, expected: tuple[bool, bool]) -> None:
    assert tileable_axes(image) == expected
