"""`cascades/build.py`: every input checked before training; the XML and its JSON swapped in
together, or not at all."""

from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import nullcontext as does_not_raise
from pathlib import Path

import pytest

from cascades import build
from cascades.build import BuildPlan, Tuning, check_plan, swap_in
from cascades.train import TrainConfig
from tests.cascades.conftest import episode_with_extra_face
from tests.conftest import TOON

CASCADES = Path(__file__).resolve().parents[2] / "cascades" / "weights" / "default"


def run(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([*TOON, *map(str, args)], capture_output=True, text=True, timeout=600)


@pytest.fixture()
def old_pair(tmp_path: Path) -> tuple[Path, bytes, bytes]:
    """tmp/tom.xml and tmp/tom.json: the shipped pair, to be left alone by failures."""
    xml = tmp_path / "tom.xml"
    shutil.copy(CASCADES / "tom.xml", xml)
    shutil.copy(CASCADES / "tom.json", tmp_path / "tom.json")
    return xml, xml.read_bytes(), (tmp_path / "tom.json").read_bytes()


def assert_untouched(pair: tuple[Path, bytes, bytes]) -> None:
    xml, xml_bytes, json_bytes = pair
    assert xml.read_bytes() == xml_bytes
    assert xml.with_suffix(".json").read_bytes() == json_bytes
    assert sorted(p.name for p in xml.parent.iterdir()) == ["tom.json", "tom.xml"]


@pytest.mark.parametrize(
    ("change", "expectation"),
    [
        ({}, does_not_raise()),
        ({"truth": "{tmp}/missing"}, pytest.raises(FileNotFoundError, match="no such file")),
        ({"truth": "{tmp}/empty"}, pytest.raises(ValueError, match="no \\*.truth.csv files")),
        ({"out": "{tmp}/tom.txt"}, pytest.raises(ValueError, match="name it \\*.xml")),
        ({"out": "{tmp}/nowhere/tom.xml"}, does_not_raise()),  # made once trained, not before
        ({"out": "{tmp}/folder.xml"}, pytest.raises(IsADirectoryError, match="is a folder")),
        ({"backgrounds": "{tmp}/empty"}, pytest.raises(ValueError, match="no images")),
        ({"backgrounds": "{tmp}/missing"}, pytest.raises(NotADirectoryError, match="not a")),
        ({"tuning": "{tmp}/empty"}, pytest.raises(ValueError, match="no \\*.truth.csv files")),
    ],
)
def test_check_plan(truth_dir: Path, tmp_path: Path, change: dict, expectation) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "folder.xml").mkdir()
    paths = {k: Path(v.format(tmp=tmp_path)) for k, v in change.items()}
    plan = BuildPlan(
        character="tom",
        truth=paths.get("truth", truth_dir),
        out=paths.get("out", tmp_path / "tom.xml"),
        backgrounds=paths.get("backgrounds"),
        tuning=Tuning(paths["tuning"]) if "tuning" in paths else None,
    )
    with expectation:
        check_plan(plan)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "folder.xml"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: BuildPlan(" ", p, p / "t.xml"), "name is empty"),
        (lambda p: BuildPlan("tom", p, p / "t.xml", frame_step=0), "frame_step must be"),
        (lambda p: BuildPlan("tom", p, p / "t.xml", negative_every=-1), "negative_every must be"),
        (lambda p: Tuning(p, frame_step=0), "tuning frame step must be at least 1, got 0"),
    ],
)
def test_bad_numbers_in_a_plan(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make(tmp_path)


def _staged(tmp_path: Path) -> list[tuple[Path, Path]]:
    stage = tmp_path / "stage"
    stage.mkdir()
    (stage / "tom.xml").write_text("new xml")
    (stage / "tom.json").write_text("new json")
    return [(stage / "tom.xml", tmp_path / "tom.xml"), (stage / "tom.json", tmp_path / "tom.json")]


def test_swap_in_replaces_both(old_pair: tuple[Path, bytes, bytes], tmp_path: Path) -> None:
    swap_in(_staged(tmp_path))
    assert (tmp_path / "tom.xml").read_text() == "new xml"
    assert (tmp_path / "tom.json").read_text() == "new json"
    assert sorted(p.name for p in (tmp_path / "stage").iterdir()) == []


def _json_cannot_be_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moving a file onto a .json fail, as a full disk would."""
    real = os.replace

    def replace(src: Path, dst: Path) -> None:
        if Path(dst).suffix == ".json":
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(build.os, "replace", replace)


@pytest.mark.parametrize("had_a_pair", [True, False])
def test_swap_in_failing_half_way_leaves_what_was_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, had_a_pair: bool
) -> None:
    if had_a_pair:
        shutil.copy(CASCADES / "tom.xml", tmp_path / "tom.xml")
        shutil.copy(CASCADES / "tom.json", tmp_path / "tom.json")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    moves = _staged(tmp_path)
    _json_cannot_be_replaced(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        swap_in(moves)
    shutil.rmtree(tmp_path / "stage")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


SMALL = ["--stages", "1", "--positives", "100", "--features", "300", "--max-weak", "2"]


def test_failed_training_leaves_the_old_pair(
    old_pair: tuple[Path, bytes, bytes], truth_dir: Path
) -> None:
    res = run(
        "cascade", "train", "--character", "tom", "--truth", truth_dir, "--out", old_pair[0],
        "--frame-step", "24", "--min-faces", "100000", *SMALL,
    )  # fmt: skip
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and "faces to learn from" in res.stderr
    assert_untouched(old_pair)


def test_bad_validation_truth_is_found_before_training(
    old_pair: tuple[Path, bytes, bytes], truth_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    val = tmp_path_factory.mktemp("bad_val")
    episode_with_extra_face(truth_dir, val, frame=99999)  # far past the end of the video
    res = run(
        "cascade", "train", "--character", "tom", "--truth", truth_dir, "--out", old_pair[0],
        "--frame-step", "8", "--min-faces", "10", "--val", val, *SMALL,
    )  # fmt: skip
    assert res.returncode == 2, res.stderr
    assert res.stderr.count("\n") == 1 and "frame 99999 is outside" in res.stderr
    assert_untouched(old_pair)


def test_failing_after_training_leaves_the_old_pair(
    old_pair: tuple[Path, bytes, bytes], truth_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Training succeeds, then tuning fails: nothing is written, no staging is left behind."""
    seen = []

    def tune(*args: object, **kwargs: object) -> None:
        seen.append(Path(args[0].path).read_bytes())  # the new cascade, staged
        raise ValueError("tuning broke")

    monkeypatch.setattr(build, "tune", tune)
    plan = BuildPlan(
        character="tom",
        truth=truth_dir,
        out=old_pair[0],
        config=TrainConfig(max_stages=1, positives=100, features_per_stage=300, min_positives=10),
        frame_step=8,
        tuning=Tuning(truth_dir),
    )
    with pytest.raises(ValueError, match="tuning broke"):
        build.build_cascade(plan)
    assert seen and seen[0] != old_pair[1]
    assert_untouched(old_pair)
