from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from model.data import OTHER, load, read_rgb, scan, split, split_labels


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


@pytest.mark.parametrize(
    ("oversample", "times", "error"),
    [
        ((), [1, 1, 1], None),
        ((("emoji", 5),), [5, 5, 1], None),
        ((("emoji", 5), ("google", 9)), [9, 5, 1], None),  # the largest n where several name it
        ((("google", 2), ("emoji", 5)), [5, 5, 1], None),
        ((("tom", 3),), [1, 1, 3], None),
        ((("nowhere", 3),), None, "--oversample nowhere: no images"),
        ((("root", 3),), None, "--oversample root: no images"),  # folders above DATA don't count
    ],
)
def test_repeats(oversample: tuple, times: list | None, error: str | None, tmp_path: Path) -> None:
    from model.data import repeats

    root = tmp_path / "root"
    _png(root / "emoji" / "google" / "happy" / "a.png")
    _png(root / "emoji" / "twemoji" / "happy" / "b.png")
    _png(root / "synth" / "tom" / "happy" / "c.png")
    faces = load(scan(root), ("happy",), ("tom",), 8)
    if error:
        with pytest.raises(ValueError, match=error):
            repeats(faces, root, oversample)
    else:
        assert repeats(faces, root, oversample).tolist() == times


@pytest.mark.parametrize(
    ("trained", "held", "n_train", "n_test"),
    [
        (range(8), range(8, 10), 8 + 8, 2 + 2),  # the 10 new ones split 8/2
        ((), (), 16, 4),  # all new: as split() does it
        (range(16), range(16, 20), 16, 4),  # none new
        (range(10), range(8, 12), 8 + 6, 4 + 2),  # in both of the start's sets: held out
    ],
)
def test_split_keeping_holds_out_only_what_neither_model_saw(
    trained: range, held: range, n_train: int, n_test: int, tmp_path: Path
) -> None:
    from model.data import Split, content_key, split_keeping

    paths = [_png(tmp_path / "happy" / f"{i}.png", value=i) for i in range(20)]
    keys = [content_key(p) for p in paths]
    before = Split(frozenset(keys[i] for i in trained), frozenset(keys[i] for i in held))
    emotion = np.zeros(20, np.int32)
    train, test = split_keeping(paths, emotion, before, seed=1)
    assert (len(train), len(test)) == (n_train, n_test)
    assert len(np.intersect1d(train, test)) == 0
    assert set(held) <= set(test.tolist())
    assert set(trained) - set(held) <= set(train.tolist())
    if not trained and not held:
        fresh = split_labels(emotion, seed=1)
        assert train.tolist() == fresh[0].tolist() and test.tolist() == fresh[1].tolist()
    # Copies are the same images: known again by content, wherever they are.
    copies = [tmp_path / "copy" / p.name for p in paths]
    for p, c in zip(paths, copies, strict=True):
        c.parent.mkdir(exist_ok=True)
        c.write_bytes(p.read_bytes())
    again = split_keeping(copies, emotion, before, seed=1)
    assert again[0].tolist() == train.tolist() and again[1].tolist() == test.tolist()
