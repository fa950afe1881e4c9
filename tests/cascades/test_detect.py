from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cascades.channel import Channel
from cascades.detect import (
    Detector,
    DetectSettings,
    group_windows,
    load_settings,
    save_settings,
    windows_to_boxes,
)


def test_windows_become_boxes_of_the_characters_shape() -> None:
    boxes = windows_to_boxes(np.array([[10.0, 10.0, 50.0, 50.0]]), 2.0, (100, 100))
    np.testing.assert_allclose(boxes, [[10, 20, 50, 40]])
    boxes = windows_to_boxes(np.array([[-10.0, 0.0, 30.0, 40.0]]), 1.0, (100, 100))
    np.testing.assert_allclose(boxes, [[0, 0, 30, 40]])  # clipped to the frame


def test_settings_round_trip(tmp_path: Path) -> None:
    xml = tmp_path / "tom.xml"
    assert load_settings(xml)[0] == DetectSettings()  # no JSON: defaults
    s = DetectSettings(
        scale_factor=1.2,
        min_neighbors=4,
        min_size_px=30,
        downscale=0.5,
        box_aspect=0.9,
        channel=Channel((1.0, -1.0, 0.5), 12.0),
    )
    save_settings(xml, s, character="tom")
    again, data = load_settings(xml)
    assert again == s and data["character"] == "tom"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale_factor": 1.0}, "scale_factor"),
        ({"min_neighbors": -1}, "min_neighbors"),
        ({"downscale": 0}, "downscale"),
    ],
)
def test_bad_settings(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DetectSettings(**kwargs)


def test_detector_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such cascade"):
        Detector(tmp_path / "missing.xml")
    (tmp_path / "bad.xml").write_text("<opencv_storage></opencv_storage>")
    with pytest.raises(ValueError, match="cannot load"):
        Detector(tmp_path / "bad.xml")


def test_channel_projects_colour() -> None:
    bgr = np.zeros((1, 2, 3), np.uint8)
    bgr[0, 0] = (200, 0, 0)  # blue
    bgr[0, 1] = (0, 0, 200)  # red
    out = Channel((1.0, 0.0, -1.0), 100.0).apply(bgr)
    assert out.tolist() == [[255, 0]]
    assert Channel.grey().apply(np.full((2, 2), 7, np.uint8)).tolist() == [[7, 7], [7, 7]]


@pytest.mark.parametrize(
    ("windows", "min_neighbors", "expected"),
    [
        (np.zeros((0, 4)), 3, np.zeros((0, 4))),
        ([[0, 0, 24, 24]], 0, [[0, 0, 24, 24]]),  # 0: kept as they are
        ([[0, 0, 24, 24]], 1, np.zeros((0, 4))),  # a window alone has no neighbour
        ([[0, 0, 24, 24], [2, 0, 26, 24]], 1, [[1, 0, 25, 24]]),  # the mean of the group
        ([[0, 0, 24, 24], [2, 0, 26, 24], [100, 100, 130, 130]], 1, [[1, 0, 25, 24]]),
        ([[0, 0, 24, 24], [2, 0, 26, 24]], 2, np.zeros((0, 4))),
    ],
)
def test_group_windows(windows, min_neighbors: int, expected) -> None:
    grouped = group_windows(np.asarray(windows, np.float64).reshape(-1, 4), min_neighbors)
    np.testing.assert_array_equal(grouped, np.asarray(expected, np.float64).reshape(-1, 4))
