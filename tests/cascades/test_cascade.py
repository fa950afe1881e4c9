"""Our evaluation of a cascade and OpenCV's detectMultiScale agree on which windows pass."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from cascades.cascade import Cascade, read_xml, write_xml


def opencv_passes(xml: Path, tiles: np.ndarray) -> np.ndarray:
    classifier = cv2.CascadeClassifier(str(xml))
    assert not classifier.empty()
    out = []
    for tile in tiles:  # one window per image: exactly the tile
        rects = classifier.detectMultiScale(
            tile, scaleFactor=1.1, minNeighbors=0, minSize=(24, 24), maxSize=(24, 24)
        )
        out.append(any(x == 0 and y == 0 for x, y, _, _ in rects))
    return np.array(out)


def test_opencv_and_our_evaluation_agree(
    small_cascade: Cascade, tiles: np.ndarray, tmp_path: Path
) -> None:
    xml = tmp_path / "c.xml"
    write_xml(small_cascade, xml)
    ours = small_cascade.passes(tiles)
    theirs = opencv_passes(xml, tiles)
    assert 0.1 < ours.mean() < 0.9  # a real mix of accepted and rejected windows
    np.testing.assert_array_equal(ours, theirs)


def test_every_stage_prefix_agrees(
    small_cascade: Cascade, tiles: np.ndarray, tmp_path: Path
) -> None:
    for k in range(1, len(small_cascade.stages) + 1):
        partial = Cascade(small_cascade.features, small_cascade.stages[:k])
        write_xml(partial, tmp_path / f"p{k}.xml")
        np.testing.assert_array_equal(
            partial.passes(tiles), opencv_passes(tmp_path / f"p{k}.xml", tiles)
        )


def test_xml_round_trip(small_cascade: Cascade, tiles: np.ndarray, tmp_path: Path) -> None:
    write_xml(small_cascade, tmp_path / "c.xml")
    again = read_xml(tmp_path / "c.xml")
    assert len(again.stages) == len(small_cascade.stages)
    np.testing.assert_array_equal(again.passes(tiles), small_cascade.passes(tiles))
    text = (tmp_path / "c.xml").read_text()
    for tag in ("<stageType>BOOST</stageType>", "<featureType>HAAR</featureType>", "<rects>"):
        assert tag in text


def test_read_xml_rejects_other_files(tmp_path: Path) -> None:
    (tmp_path / "x.xml").write_text(
        "<opencv_storage><cascade><featureType>LBP</featureType></cascade></opencv_storage>"
    )
    with pytest.raises(ValueError, match="not a HAAR cascade"):
        read_xml(tmp_path / "x.xml")
    (tmp_path / "y.xml").write_text("not xml")
    with pytest.raises(ValueError, match="not a cascade XML"):
        read_xml(tmp_path / "y.xml")
