from __future__ import annotations

import numpy as np
import pytest

from cascades.evaluate import match

B = np.array


@pytest.mark.parametrize(
    ("dets", "owed", "ignore", "expected"),
    [
        (np.zeros((0, 4)), np.zeros((0, 4)), np.zeros((0, 4)), (0, 0)),
        (np.zeros((0, 4)), B([[0, 0, 10, 10]]), np.zeros((0, 4)), (0, 0)),  # a miss
        (B([[0, 0, 10, 10]]), B([[0, 0, 10, 10]]), np.zeros((0, 4)), (1, 0)),
        (B([[0, 0, 10, 10]]), B([[5, 0, 15, 10]]), np.zeros((0, 4)), (0, 1)),  # IoU 1/3
        (B([[0, 0, 10, 10], [1, 0, 11, 10]]), B([[0, 0, 10, 10]]), np.zeros((0, 4)), (1, 1)),
        (B([[50, 50, 60, 60]]), np.zeros((0, 4)), B([[50, 50, 60, 61]]), (0, 0)),  # don't care
        (B([[50, 50, 60, 60]]), np.zeros((0, 4)), B([[0, 0, 10, 10]]), (0, 1)),
    ],
)
def test_match(dets, owed, ignore, expected) -> None:
    hits, fps, mask = match(dets.astype(float), owed.astype(float), ignore.astype(float))
    assert (hits, fps) == expected
    assert mask.sum() == fps
