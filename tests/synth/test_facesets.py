from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from synth import CHARACTERS, EMOTIONS
from synth.facesets import face_crop, write_faces


def test_image_folder_layout_and_balance(tmp_path: Path) -> None:
    counts = write_faces(tmp_path, count=42, seed=3)
    assert counts == {f"{c}/{e}": 2 for c in CHARACTERS for e in EMOTIONS}
    pngs = sorted(tmp_path.glob("*/*/*.png"))
    assert len(pngs) == 42
    img = cv2.imread(str(pngs[0]))
    assert img.shape == (64, 64, 3)
    with open(tmp_path / "faces.csv") as f:
        rows = list(csv.DictReader(f))
    assert Counter(r["path"].split("/")[0] for r in rows) == {c: 14 for c in CHARACTERS}
    assert all((tmp_path / r["path"]).parent.name == r["emotion"] for r in rows)


def test_nonfaces_sit_in_their_own_folder(tmp_path: Path) -> None:
    counts = write_faces(tmp_path, count=21, seed=4, nonfaces=6)
    assert counts["nonface"] == 6
    crops = sorted((tmp_path / "nonface").glob("*.png"))
    assert len(crops) == 6 and cv2.imread(str(crops[0])).shape == (64, 64, 3)
    with open(tmp_path / "faces.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["path"].startswith("nonface/")]
    assert len(rows) == 6 and all(r["emotion"] == "" for r in rows)
    # not blank: scenery, props or a body
    assert all(cv2.imread(str(c)).std() > 5 for c in crops)


def test_deterministic(tmp_path: Path) -> None:
    write_faces(tmp_path / "a", count=5, seed=9, size=32)
    write_faces(tmp_path / "b", count=5, seed=9, size=32)
    a = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("*.png")}
    b = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("*.png")}
    assert a == b


def test_sketch_is_dark_lines_on_light_paper() -> None:
    crops = [
        face_crop("tom", e, np.random.default_rng(i), "sketch", 64).rgb
        for i, e in enumerate(EMOTIONS)
    ]
    for rgb in crops:
        spread = rgb.max(axis=2).astype(int) - rgb.min(axis=2)
        assert spread.max() <= 2  # grey, no colour
        assert np.median(rgb) > 200  # mostly paper
        assert rgb.min() < 120  # with ink on it


def test_colour_crops_are_colourful() -> None:
    rgb = face_crop("jerry", "happy", np.random.default_rng(1), "color", 64).rgb
    assert (rgb.max(axis=2).astype(int) - rgb.min(axis=2)).mean() > 20


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"count": 0}, "--count"),
        ({"count": 1, "size": 8}, "--size"),
        ({"count": 1, "style": "oil"}, "Choose one of: color, sketch"),
        ({"count": 1, "nonfaces": -1}, "--nonfaces"),
        ({"count": 1, "style": "sketch", "nonfaces": 2}, "--nonfaces goes with --style color"),
    ],
)
def test_bad_arguments(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        write_faces(tmp_path / "out", seed=1, **kwargs)
    assert not (tmp_path / "out").exists()
