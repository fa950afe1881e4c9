from __future__ import annotations

import numpy as np
import pytest

from synth.shapes import Pose, Shape, ellipse, silhouette_bounds, thick_curve

POINTS = np.array([[1.0, 0.0], [0.0, 1.0]])


@pytest.mark.parametrize(
    ("pose", "expected"),
    [
        (Pose((0, 0), 1), [[1, 0], [0, 1]]),
        (Pose((10, 20), 2), [[12, 20], [10, 22]]),
        (Pose((0, 0), 1, flip=True), [[-1, 0], [0, 1]]),
        # counter-clockwise on screen: +x goes up (negative y), +y (down) goes to +x
        (Pose((0, 0), 1, angle_deg=90), [[0, -1], [1, 0]]),
    ],
)
def test_pose(pose: Pose, expected: list[list[float]]) -> None:
    np.testing.assert_allclose(pose.apply(POINTS), expected, atol=1e-9)


def test_turn_moves_features_but_not_the_rim() -> None:
    turned = Pose((0, 0), 1, turn=0.5)
    eye = np.array([[0.0, 0.0]])
    assert turned.apply(eye, wrap=1.0)[0, 0] > 0.3
    assert turned.apply(eye, wrap=0.0)[0, 0] == pytest.approx(0.0)


def test_ellipse_and_bounds() -> None:
    pts = ellipse(0, 0, 2, 1, n=40)
    assert pts.shape == (40, 2)
    shapes = [Shape(pts, silhouette=True), Shape(ellipse(5, 5, 1, 1))]  # only silhouettes count
    np.testing.assert_allclose(
        silhouette_bounds(shapes, Pose((100, 50), 10)), (80, 40, 120, 60), atol=0.2
    )


def test_thick_curve_has_both_sides() -> None:
    band = thick_curve(np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]), 0.1)
    assert band.shape == (6, 2)
    np.testing.assert_allclose(sorted(set(np.round(band[:, 1], 6))), [-0.1, 0.1])
