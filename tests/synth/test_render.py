from __future__ import annotations

import numpy as np

from synth.characters import face_shapes
from synth.emotions import expression
from synth.render import draw_colour, draw_ids, draw_sketch, silhouette_mask
from synth.shapes import Pose, Shape
from synth.style import ArtStyle

SQUARE = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]])


def test_overlapping_shapes_fill_their_union() -> None:
    shapes = [
        Shape(SQUARE, fill=(1, 1, 1), silhouette=True),
        Shape(SQUARE + 5, fill=(1, 1, 1), silhouette=True),
    ]
    ids = np.zeros((20, 20), np.uint8)
    draw_ids(ids, shapes, Pose((0, 0), 1), value=7)
    assert ids[7, 7] == 7 and ids[2, 2] == 7 and ids[13, 13] == 7 and ids[2, 13] == 0
    mask, offset = silhouette_mask(shapes, Pose((0, 0), 1))
    assert offset == (0, 0) and mask[7, 7] and mask[2, 2] and not mask[2, 13]


def test_silhouette_mask_is_unclipped() -> None:
    mask, offset = silhouette_mask(
        [Shape(SQUARE, fill=(1, 1, 1), silhouette=True)], Pose((-5, -5), 1)
    )
    assert offset == (-5, -5) and mask.sum() >= 100


def test_colour_and_sketch_draw_the_face() -> None:
    shapes = face_shapes("tom", expression("happy", 1.0), ArtStyle())
    colour = np.zeros((100, 100, 3), np.uint8)
    draw_colour(colour, shapes, Pose((50, 55), 35))
    assert (colour.sum(axis=2) > 0).mean() > 0.4
    sketch = np.full((100, 100, 3), 255, np.uint8)
    draw_sketch(sketch, shapes, Pose((50, 55), 35), np.random.default_rng(0))
    ink = sketch.min(axis=2) < 128
    assert 0.03 < ink.mean() < 0.5
