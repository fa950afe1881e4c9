from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from model.data import OTHER, load, read_rgb, scan, split


def _png(path: Path, value: int = 128, size: int = 20) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((size, size, 3), value, np.uint8))
    return path


def test_emotion_is_the_parent_folder_at_any_depth(tmp_path: Path) -> None:
    _png(tmp_path / "happy" / "a.png")
    _png(tmp_path / "tom" / "sad" / "b.png")
    _png(tmp_path / "sketch" / "jerry" / "angry" / "c.jpg")
    _png(tmp_path / "google" / "fear" / "d.png")
    _png(tmp_path / "nonface" / "e.png")
    items = {i.path.name: i for i in scan(tmp_path, ("tom", "jerry"))}
    assert (items["a.png"].emotion, items["a.png"].character) == ("happy", OTHER)
    assert (items["b.png"].emotion, items["b.png"].character) == ("sad", "tom")
    assert (items["c.jpg"].emotion, items["c.jpg"].character) == ("angry", "jerry")
    assert (items["d.png"].emotion, items["d.png"].character) == ("fear", OTHER)
    assert (items["e.png"].emotion, items["e.png"].character) == (None, OTHER)


def test_load_keeps_the_given_classes_in_order(tmp_path: Path) -> None:
    for e in ("happy", "sad", "angry"):
        _png(tmp_path / "tom" / e / "x.png")
    _png(tmp_path / "nonface" / "n.png")
    faces = load(scan(tmp_path), ("sad", "happy"), ("tom", "jerry"), 16)
    assert faces.classes == ("sad", "happy")
    assert faces.images.shape == (3, 16, 16, 3)
    assert sorted(faces.emotion.tolist()) == [-1, 0, 1]
    assert faces.characters == ("tom", "jerry", OTHER)


def test_split_is_stratified_and_fixed(tmp_path: Path) -> None:
    for e, n in (("happy", 50), ("sad", 10)):
        for i in range(n):
            _png(tmp_path / e / f"{i}.png", value=i)
    faces = load(scan(tmp_path), ("happy", "sad"), (), 8)
    train, test = split(faces)
    assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == 60
    assert sorted(faces.emotion[test].tolist()) == [0] * 10 + [1] * 2
    assert np.array_equal(split(faces)[1], test)
    assert not np.array_equal(split(faces, seed=1)[1], test)


def test_transparent_images_are_laid_on_white(tmp_path: Path) -> None:
    rgba = np.zeros((10, 10, 4), np.uint8)
    cv2.imwrite(str(tmp_path / "t.png"), rgba)
    assert (read_rgb(tmp_path / "t.png", 10) == 255).all()


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ({}, "no images"),
        ({"loose.png": b"png"}, "must sit in a folder"),
        ({"happy/bad.png": b"not a png"}, "not an image OpenCV can read"),
    ],
)
def test_bad_folders_are_one_line_errors(tmp_path: Path, layout: dict, message: str) -> None:
    for rel, data in layout.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    with pytest.raises(ValueError, match=message):
        items = scan(tmp_path)
        load(items, ("happy", "sad"), (), 8)


def test_scan_reads_through_linked_folders_once(tmp_path: Path) -> None:
    _png(tmp_path / "real" / "happy" / "a.png")
    root = tmp_path / "set"
    (root / "tom").mkdir(parents=True)
    (root / "tom" / "linked").symlink_to(tmp_path / "real", target_is_directory=True)
    (root / "tom" / "loop").symlink_to(root, target_is_directory=True)
    items = scan(root)
    assert [(i.path.relative_to(root), i.emotion, i.character) for i in items] == [
        (Path("tom/linked/happy/a.png"), "happy", "tom")
    ]


def test_repeats_count_a_named_folder_below_the_root(tmp_path: Path) -> None:
    from model.data import repeats

    _png(tmp_path / "emoji" / "google" / "happy" / "a.png")
    _png(tmp_path / "synth" / "tom" / "happy" / "b.png")
    faces = load(scan(tmp_path), ("happy",), ("tom",), 8)
    assert repeats(faces, tmp_path, (("emoji", 5),)).tolist() == [5, 1]
    assert repeats(faces, tmp_path, ((tmp_path.parent.name, 5),)).tolist() == [1, 1]
