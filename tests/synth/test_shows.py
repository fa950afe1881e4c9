"""Shows: the classic show drawn exactly as before shows existed, and the meadow show's own cast."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from synth import EMOTIONS
from synth.characters import DESIGNS, face_shapes
from synth.emotions import NEUTRAL
from synth.facesets import write_faces
from synth.features import WHITE
from synth.sheet import write_sheet
from synth.shows import SHOWS, artist_show, show, show_of
from synth.style import ArtStyle

ROOT = Path(__file__).resolve().parents[2]


def toon(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "toon", *map(str, args)], capture_output=True, text=True, cwd=ROOT
    )


def sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


def test_classic_show_is_byte_for_byte_what_it_was(tmp_path: Path) -> None:
    # Checksums of files written before there were shows (same seeds and flags).
    res = toon("synth", "episodes", tmp_path / "ep", "--count", 2, "--seconds", 4, "--seed", 5)
    assert res.returncode == 0, res.stderr
    assert sha1(tmp_path / "ep" / "s5-e01.truth.csv") == "6451554490be34490d085d85c2f1e7ea9693f4a4"
    assert sha1(tmp_path / "ep" / "s5-e02.truth.csv") == "af8f661a99349c8b3c702c580266aeacb69d6fa7"
    assert sha1(tmp_path / "ep" / "s5-e01.json") == "82a9bca28606c4e9c2149e0fc456a864c42c475f"
    write_faces(tmp_path / "fc", count=300, seed=5, nonfaces=50)
    assert sha1(tmp_path / "fc" / "faces.csv") == "7f83ec116ac96fb9083e9ad585ca629076298527"
    # --show classic is the default, not a variant of it.
    res = toon(
        "synth", "episodes", tmp_path / "ep2", "--seconds", 4, "--seed", 5, "--show", "classic"
    )
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "ep2" / "s5-e01.mp4").read_bytes() == (
        tmp_path / "ep" / "s5-e01.mp4"
    ).read_bytes()


def test_meadow_episodes_have_their_own_cast_and_ids(tmp_path: Path) -> None:
    res = toon(
        "synth", "episodes", tmp_path, "--count", 2, "--seconds", 6, "--seed", 5,
        "--show", "meadow", "--json",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    metas = json.loads(res.stdout)["episodes"]
    assert [m["episode_id"] for m in metas] == ["meadow-s5-e01", "meadow-s5-e02"]
    assert all(m["show"] == "meadow" and m["style"]["line_scale"] >= 1.8 for m in metas)
    seen = set()
    for m in metas:
        with open(tmp_path / m["truth"]) as f:
            seen |= {row["character"] for row in csv.DictReader(f)}
    assert seen == {"bunny", "frog"}


def test_meadow_faces_sheet_and_unknown_show(tmp_path: Path) -> None:
    counts = write_faces(tmp_path / "faces", count=28, seed=2, nonfaces=4, show_name="meadow")
    assert {k.split("/")[0] for k in counts} == {"bunny", "frog", "nonface"}
    assert sum(counts.values()) == 32
    assert {p.name for p in (tmp_path / "faces").iterdir() if p.is_dir()} == {
        "bunny", "frog", "nonface",
    }  # fmt: skip
    width, height = write_sheet(tmp_path / "sheet.png", seed=1, show_name="meadow")
    assert width > 7 * 128 and height > 6 * 128
    res = toon("synth", "faces", tmp_path / "x", "--count", 3, "--show", "nope")
    assert res.returncode == 2 and "unknown show 'nope'" in res.stderr
    assert "artists-<seed>" in res.stderr
    assert not (tmp_path / "x").exists()


def test_meadow_is_drawn_another_way() -> None:
    assert show_of("bunny") is SHOWS["meadow"] and show_of("tom") is SHOWS["classic"]
    style = ArtStyle()
    classic = face_shapes("tom", NEUTRAL, style)
    meadow = face_shapes("bunny", NEUTRAL, style)
    # classic eyes are white with a pupil; meadow eyes are solid black beans
    sclera = [[s for s in shapes if s.fill == WHITE and s.stroke] for shapes in (classic, meadow)]
    assert len(sclera[0]) == 2 and not sclera[1]
    # the lips are drawn heavier, and the head carries a cel shadow (a lit copy over it)
    lips = [max(s.width for s in shapes if not s.closed) for shapes in (classic, meadow)]
    assert lips[1] > lips[0]
    assert any(s.tone and s.fill == style.colour(DESIGNS["bunny"].skin) for s in meadow)
    # and the show's episodes are inked thicker
    rng = np.random.default_rng(0)
    assert (
        min(SHOWS["meadow"].style(rng).line_scale for _ in range(50))
        > max(SHOWS["classic"].style(rng).line_scale for _ in range(50)) * 0.9
    )


def test_emoji_show_draws_one_round_face(tmp_path: Path) -> None:
    counts = write_faces(tmp_path / "faces", count=14, seed=2, show_name="emoji")
    assert counts == {f"smiley/{e}": 2 for e in EMOTIONS}
    _, height = write_sheet(tmp_path / "sheet.png", seed=1, show_name="emoji")
    # one character: its colour row, its subtle row and one sketch row, then the frames
    classic_w, classic_h = write_sheet(tmp_path / "classic.png", seed=1)
    assert height < classic_h


def test_artist_shows_draw_a_cast_of_the_generators_artists(tmp_path: Path) -> None:
    res = toon(
        "synth", "episodes", tmp_path / "a", "--count", 2, "--seconds", 5, "--seed", 4,
        "--show", "artists-77", "--json",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    metas = json.loads(res.stdout)["episodes"]
    assert [m["episode_id"] for m in metas] == ["artists-77-s4-e01", "artists-77-s4-e02"]
    seen = set()
    for m in metas:
        with open(tmp_path / "a" / m["truth"]) as f:
            seen |= {row["character"] for row in csv.DictReader(f)}
    assert seen == {"a77-1", "a77-2"}
    # the same seed draws the same show; another seed, other artists
    again = toon("synth", "episodes", tmp_path / "b", "--seconds", 5, "--seed", 4,
                 "--show", "artists-77")  # fmt: skip
    assert again.returncode == 0, again.stderr
    first = "artists-77-s4-e01.truth.csv"
    assert sha1(tmp_path / "a" / first) == sha1(tmp_path / "b" / first)
    assert show("artists-77").designs["a77-1"] == artist_show(77).designs["a77-1"]
    assert artist_show(78).designs["a78-1"].artist != artist_show(77).designs["a77-1"].artist
    assert show_of("a77-2").name == "artists-77"
    # crops and sheets of the cast, as of any show
    counts = write_faces(tmp_path / "faces", count=14, seed=1, show_name="artists-77")
    assert counts == {f"{c}/{e}": 1 for c in ("a77-1", "a77-2") for e in EMOTIONS}
    width, _ = write_sheet(tmp_path / "sheet.png", seed=1, show_name="artists-77")
    assert width > 7 * 128
