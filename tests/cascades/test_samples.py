from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from cascades.samples import frames_from, frames_from_truth


def _image(path: Path, w: int = 64, h: int = 48) -> Path:
    cv2.imwrite(str(path), np.random.default_rng(0).integers(0, 255, (h, w, 3), np.uint8))
    return path


def test_truth_frames(truth_dir: Path) -> None:
    frames = list(frames_from_truth(truth_dir, "tom", frame_step=16))
    assert len(frames) == 2 * 12  # 2 episodes x 192 frames / 16
    assert frames[0].image.shape == (360, 640, 3)
    assert sum(len(f.boxes_xyxy) for f in frames) > 0


def test_annotation_list(tmp_path: Path) -> None:
    _image(tmp_path / "a.png")
    _image(tmp_path / "b.png")
    listing = tmp_path / "faces.txt"
    listing.write_text("a.png 2 1 2 10 12 20 20 5 5\nb.png 0\n")
    frames = list(frames_from(listing, "tom"))
    assert [len(f.boxes_xyxy) for f in frames] == [2, 0]
    np.testing.assert_array_equal(frames[0].boxes_xyxy[0], [1, 2, 11, 14])


def test_coco(tmp_path: Path) -> None:
    _image(tmp_path / "a.png")
    coco = {
        "images": [{"id": 1, "file_name": "a.png"}],
        "categories": [{"id": 3, "name": "Tom"}, {"id": 4, "name": "jerry"}],
        "annotations": [
            {"image_id": 1, "category_id": 3, "bbox": [1, 2, 10, 12]},
            {"image_id": 1, "category_id": 4, "bbox": [30, 2, 10, 12]},
        ],
    }
    (tmp_path / "c.json").write_text(json.dumps(coco))
    frames = list(frames_from(tmp_path / "c.json", "tom"))
    np.testing.assert_array_equal(frames[0].boxes_xyxy, [[1, 2, 11, 14]])
    with pytest.raises(ValueError, match="no category named 'spike'"):
        list(frames_from(tmp_path / "c.json", "spike"))


def test_empty_truth_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no \\*.truth.csv files"):
        list(frames_from(tmp_path, "tom"))


def test_truth_box_outside_the_frame(truth_dir: Path, tmp_path: Path) -> None:
    for p in truth_dir.glob("s21-e01.*"):
        shutil.copy(p, tmp_path / p.name)
    truth = tmp_path / "s21-e01.truth.csv"
    lines = truth.read_text().splitlines()
    cells = lines[1].split(",")
    cells[7] = "700"  # x2 beyond the 640-pixel frame
    truth.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")
    with pytest.raises(ValueError, match="lies outside the 640x360 frame") as info:
        list(frames_from(tmp_path, "tom"))
    assert str(truth) in str(info.value)


def test_corrupt_image(tmp_path: Path) -> None:
    (tmp_path / "bad.png").write_bytes(b"\x89PNG not really")
    (tmp_path / "faces.txt").write_text("bad.png 1 1 1 5 5\n")
    with pytest.raises(ValueError, match="bad.png: cannot decode image"):
        list(frames_from(tmp_path / "faces.txt", "tom"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a.png 2 1 1 5 5\n", "says 2 boxes but gives 4 numbers"),
        ("a.png x\n", "expected `path n x y w h"),
        ("a.png 1 40 40 50 50\n", "lies outside the 64x48 frame"),
    ],
)
def test_bad_annotation_lists(tmp_path: Path, text: str, message: str) -> None:
    _image(tmp_path / "a.png")
    (tmp_path / "faces.txt").write_text(text)
    with pytest.raises(ValueError, match=message):
        list(frames_from(tmp_path / "faces.txt", "tom"))
