"""Faces drawn by random artists' conventions."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from synth import EMOTIONS
from synth.artists import (
    CONVENTIONS,
    Artist,
    artist_face,
    draw_artists,
    restricted,
)
from tests.conftest import run_toon


def face(a: Artist, emotion: str, seed: int = 0) -> np.ndarray:
    return artist_face(a, emotion, np.random.default_rng(seed), 64, intensity=1.0)


def test_the_same_seed_draws_the_same_face_and_emotions_differ() -> None:
    a = draw_artists(1, seed=5)[0]
    assert np.array_equal(face(a, "happy"), face(a, "happy"))
    faces = {e: face(a, e).astype(int) for e in EMOTIONS}
    for e in EMOTIONS:
        if e != "neutral":  # every expression changes the drawing against the neutral face
            assert np.abs(faces[e] - faces["neutral"]).mean() > 1.0, e


@pytest.mark.parametrize("field,options", list(CONVENTIONS.items()))
def test_every_convention_draws_something_of_its_own(field: str, options: tuple) -> None:
    drawn = [face(dataclasses.replace(Artist(), **{field: o}), "angry") for o in options]
    assert all(f.shape == (64, 64, 3) and f.dtype == np.uint8 for f in drawn)
    for i in range(len(drawn)):
        for j in range(i + 1, len(drawn)):
            assert not np.array_equal(drawn[i], drawn[j]), (options[i], options[j])


def test_bad_conventions_and_emotions_are_refused() -> None:
    with pytest.raises(ValueError, match="eyes must be one of"):
        Artist(eyes="square")
    with pytest.raises(ValueError, match="line"):
        Artist(line=0.5)
    with pytest.raises(ValueError, match="Unknown emotion"):
        artist_face(Artist(), "bored", np.random.default_rng(0))


def test_artists_command_writes_what_train_reads(tmp_path: Path) -> None:
    from model.data import OTHER, scan

    out = tmp_path / "faces"
    sheet = tmp_path / "sheet.png"
    rc, stdout, stderr = run_toon(
        [
            "synth",
            "artists",
            str(out),
            "--count",
            "28",
            "--artists",
            "2",
            "--seed",
            "3",
            "--sheet",
            str(sheet),
            "--json",
        ]  # fmt: skip
    )
    assert rc == 0, stderr
    report = json.loads(stdout)
    assert sum(report["classes"].values()) == 28 and len(report["classes"]) == 14
    items = scan(out)
    assert len(items) == 28 and {i.emotion for i in items} == set(EMOTIONS)
    assert {i.character for i in items} == {OTHER}  # faces, of no character of the cast
    artists = json.loads((out / "artists.json").read_text())
    assert set(artists) == {"artist-00", "artist-01"}
    assert Artist(**{k: tuple(v) if isinstance(v, list) else v for k, v in
                     artists["artist-01"].items()}) == draw_artists(2, 3)[1]  # fmt: skip
    img = cv2.imread(str(sheet))
    assert img.shape == (2 * 96, 7 * 96, 3)
    first = (out / "faces.csv").read_text()
    rc, _, _ = run_toon(["synth", "artists", str(out), "--count", "28", "--artists", "2",
                         "--seed", "3"])  # fmt: skip
    assert rc == 0 and (out / "faces.csv").read_text() == first


def test_artists_command_refuses_bad_counts(tmp_path: Path) -> None:
    rc, _, stderr = run_toon(["synth", "artists", str(tmp_path / "x"), "--count", "0"])
    assert rc == 2 and "--count" in stderr
    assert not (tmp_path / "x").exists()


def test_only_and_without_hold_conventions_out(tmp_path: Path) -> None:
    held = {"eyes": ("lashes",), "head": ("box",)}
    trained = draw_artists(40, 9, restricted(without=held))
    unseen = draw_artists(40, 9, restricted(only=held, without={"shading": ("flat",)}))
    assert not {a.eyes for a in trained} & {"lashes"} and "box" not in {a.head for a in trained}
    assert {(a.eyes, a.head) for a in unseen} == {("lashes", "box")}
    assert {a.shading for a in unseen} == {"cel", "gradient"}
    assert draw_artists(3, 9, restricted()) == draw_artists(3, 9)  # nothing held out: the same
    rc, _, stderr = run_toon(
        ["synth", "artists", str(tmp_path / "x"), "--count", "7", "--only", "eyes=square"]
    )
    assert (rc, stderr.strip()) == (2, "toon: error: --only: eyes has no 'square'; choose from: "
                                       "ovals, dots, large, lashes")  # fmt: skip
    rc, _, stderr = run_toon(["synth", "artists", str(tmp_path / "x"), "--count", "7",
                              "--only", "head=box", "--without", "head=box"])  # fmt: skip
    assert rc == 2 and "leave head nothing to draw" in stderr
    assert not (tmp_path / "x").exists()
