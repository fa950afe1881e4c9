"""`toon cascade train|tune|eval` as a user runs them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import cv2
import pytest

from tests.conftest import TOON
from toon.cli import main

CASCADES = Path(__file__).resolve().parents[2] / "cascades" / "weights" / "default"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*TOON, *map(str, args)], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def trained(truth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("trained") / "tom.xml"
    res = run(
        "cascade",
        "train",
        "--character",
        "tom",
        "--truth",
        truth_dir,
        "--out",
        out,
        "--stages",
        "3",
        "--positives",
        "400",
        "--features",
        "1500",
        "--max-weak",
        "8",
        "--frame-step",
        "1",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["stages"] == 3 and report["cascade"] == str(out)
    return out


def test_train_writes_a_cascade_opencv_loads(trained: Path) -> None:
    assert not cv2.CascadeClassifier(str(trained)).empty()
    settings = json.loads(trained.with_suffix(".json").read_text())
    assert settings["character"] == "tom"
    assert set(settings["detect"]) >= {
        "scale_factor",
        "min_neighbors",
        "min_size_px",
        "downscale",
        "box_aspect",
        "channel",
    }
    assert len(settings["trained"]["stage_reports"]) == 3


def test_train_prints_each_stage(truth_dir: Path, tmp_path: Path) -> None:
    res = run(
        "cascade",
        "train",
        "--character",
        "jerry",
        "--truth",
        truth_dir,
        "--out",
        tmp_path / "jerry.xml",
        "--stages",
        "2",
        "--positives",
        "200",
        "--features",
        "800",
        "--max-weak",
        "4",
        "--frame-step",
        "4",
        "--min-faces",
        "10",
    )
    assert res.returncode == 0, res.stderr
    lines = res.stderr.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("stage"))
    assert "hit_rate" in lines[header] and "false_alarm" in lines[header]
    assert [line.split()[0] for line in lines[header + 1 : header + 3]] == ["0", "1"]


def test_eval_json(trained: Path, truth_dir: Path) -> None:
    res = run(
        "cascade",
        "eval",
        "--cascade",
        trained,
        "--character",
        "tom",
        "--truth",
        truth_dir,
        "--frame-step",
        "24",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout)
    assert set(result) >= {"precision", "recall", "f1", "ms_per_frame", "frames"}
    assert result["frames"] == 2 * 8
    assert result["hits"] + result["false_positives"] > 0  # it ran and fired
    hits, fps, owed = result["hits"], result["false_positives"], result["owed"]
    assert result["precision"] == round(hits / (hits + fps), 4)
    assert result["recall"] == round(hits / owed, 4) if owed else result["recall"] == 0.0


def test_tune_writes_settings(truth_dir: Path, tmp_path: Path) -> None:
    # The shipped cascade: a three-stage one trained in seconds finds so many false faces
    # that the search takes most of a minute.
    trained = tmp_path / "tom.xml"
    for f in CASCADES.glob("tom.*"):
        shutil.copy(f, tmp_path / f.name)
    res = run(
        "cascade",
        "tune",
        "--cascade",
        trained,
        "--character",
        "tom",
        "--truth",
        truth_dir,
        "--frame-step",
        "96",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    chosen = json.loads(res.stdout)
    saved = json.loads(trained.with_suffix(".json").read_text())
    assert saved["detect"]["scale_factor"] == chosen["scale_factor"]
    assert saved["tuned"]["chosen"]["recall"] == chosen["recall"]
    # The pick still sees the smallest faces the cascade was trained on.
    smallest = saved["trained"]["smallest_face_px"]
    assert saved["tuned"]["smallest_face_px"] == smallest
    reach = max(round(chosen["min_size_px"] * chosen["downscale"]), 24) / chosen["downscale"]
    assert (reach * chosen["scale_factor"] <= smallest) == chosen["reaches_small_faces"]


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ("empty", ["--truth", "{tmp}/empty"], "no *.truth.csv files"),
        ("none", ["--truth", "{tmp}/missing"], "no such file or folder"),
        ("few", ["--truth", "{tmp}/few"], "only 0 faces to learn from"),
        ("none", ["--truth", "{truth}", "--out", "{tmp}/x.txt"], "name it *.xml"),
        ("corrupt", ["--truth", "{tmp}/faces.txt"], "bad.png: cannot decode image"),
    ],
)
def test_bad_input(
    truth_dir: Path, tmp_path: Path, setup: str, args: list[str], message: str
) -> None:
    (tmp_path / "empty").mkdir()
    if setup == "few":  # a truth folder whose episodes never show tom
        (tmp_path / "few").mkdir()
        for p in truth_dir.glob("s21-e01.*"):
            text = p.read_bytes()
            if p.name.endswith(".truth.csv"):
                rows = text.decode().splitlines()
                text = (
                    "\n".join([rows[0]] + [r for r in rows[1:] if ",tom," not in r]) + "\n"
                ).encode()
            (tmp_path / "few" / p.name).write_bytes(text)
    if setup == "corrupt":
        (tmp_path / "bad.png").write_bytes(b"\x89PNG truncated")
        (tmp_path / "faces.txt").write_text("bad.png 1 0 0 10 10\n")
    full = ["cascade", "train", "--character", "tom", "--out", str(tmp_path / "tom.xml")]
    full += [a.format(tmp=tmp_path, truth=truth_dir) for a in args]
    res = run(*full)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], res.stderr
    assert not (tmp_path / "tom.xml").exists() and not (tmp_path / "tom.json").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["eval", "--frame-step", "0"], "argument --frame-step: must be at least 1, got 0"),
        (["eval", "--frame-step", "two"], "argument --frame-step: must be a whole number"),
        (["eval", "--threads", "0"], "argument --threads: must be at least 1"),
        (["tune", "--frame-step", "-3"], "argument --frame-step: must be at least 1, got -3"),
        (["tune", "--max-ms", "0"], "max_ms must be a positive number"),
        (["tune", "--min-precision", "1.5"], "min_precision must be in [0, 1]"),
        (["train", "--frame-step", "0"], "argument --frame-step: must be at least 1"),
        (["train", "--stages", "0"], "argument --stages: must be at least 1"),
        (["train", "--max-weak", "0"], "argument --max-weak: must be at least 1"),
        (["train", "--positives", "0"], "argument --positives: must be at least 1"),
        (["train", "--features", "0"], "argument --features: must be at least 1"),
        (["train", "--negative-every", "0"], "argument --negative-every: must be at least 1"),
        (["train", "--min-faces", "0"], "argument --min-faces: must be at least 1"),
        (["train", "--val-frame-step", "0"], "argument --val-frame-step: must be at least 1"),
        (["train", "--seed", "-1"], "argument --seed: must be at least 0"),
        (["train", "--min-hit-rate", "1.5"], "min_hit_rate must be in (0, 1]"),
        (["train", "--max-false-alarm", "nan"], "max_false_alarm must be in (0, 1]"),
        (["train", "--max-ms", "-1"], "max_ms must be a positive number"),
    ],
)
def test_bad_numbers_are_one_line_and_write_nothing(
    truth_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
    args: list[str],
    message: str,
) -> None:
    """In-process, for speed: `main` is what the real command runs (see the test below)."""
    shutil.copy(CASCADES / "tom.xml", tmp_path / "tom.xml")
    shutil.copy(CASCADES / "tom.json", tmp_path / "tom.json")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    what, *flags = args
    where = ["--out" if what == "train" else "--cascade", str(tmp_path / "tom.xml")]
    argv = ["cascade", what, "--character", "tom", "--truth", str(truth_dir), *where, *flags]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0] and message in lines[0], err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_frame_step_zero_as_a_user_runs_it(truth_dir: Path) -> None:
    res = run(
        "cascade", "eval", "--cascade", CASCADES / "tom.xml", "--character", "tom",
        "--truth", truth_dir, "--frame-step", "0",
    )  # fmt: skip
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr == (
        "toon cascade eval: error: argument --frame-step: must be at least 1, got 0\n"
    )


# The smallest training that still makes a cascade, in about a second.
QUICK = ["--stages", "2", "--positives", "200", "--features", "500", "--max-weak", "4"]
QUICK += ["--frame-step", "4", "--min-faces", "10"]


def test_train_makes_the_folder_of_out(
    truth_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """`--out cascades-mine/frog.xml`, as a new user names it: the folder is made once the
    cascade is trained, and the pair lands in it."""
    out = tmp_path / "cascades-mine" / "deeper" / "tom.xml"
    argv = ["cascade", "train", "--character", "tom", "--truth", str(truth_dir), "--out", str(out)]
    assert main([*argv, *QUICK, "--json"]) == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["cascade"] == str(out)
    assert sorted(p.name for p in out.parent.iterdir()) == ["tom.json", "tom.xml"]
    assert not cv2.CascadeClassifier(str(out)).empty()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("tom.xml", b"my notes\n", "tom.xml: exists and is not a cascade XML"),
        ("tom.xml", b"", "tom.xml: exists and is not a cascade XML"),
        ("tom.json", b'{"my": "data"}\n', "tom.json: exists and is not a cascade's settings JSON"),
        ("tom.json", b"\x00\xff", "tom.json: exists and is not a cascade's settings JSON"),
    ],
)
def test_train_never_replaces_a_file_of_another_kind(
    truth_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
    name: str,
    content: bytes,
    message: str,
) -> None:
    """A file at --out (or at the settings' name beside it) that no cascade training wrote is
    refused before training, and left byte for byte."""
    (tmp_path / name).write_bytes(content)
    out = tmp_path / "tom.xml"
    argv = ["cascade", "train", "--character", "tom", "--truth", str(truth_dir), "--out", str(out)]
    assert main([*argv, *QUICK]) == 2
    out_text, err = capsys.readouterr()
    assert out_text == "" and err == (
        f"toon: error: {tmp_path}/{message} (no file of another kind is replaced; name another "
        "--out, or move it away yourself)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    assert (tmp_path / name).read_bytes() == content


def test_train_replaces_a_cascade_pair_it_wrote(
    truth_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    shutil.copy(CASCADES / "tom.xml", tmp_path / "tom.xml")
    shutil.copy(CASCADES / "tom.json", tmp_path / "tom.json")
    old = (tmp_path / "tom.xml").read_bytes()
    argv = ["cascade", "train", "--character", "tom", "--truth", str(truth_dir)]
    assert main([*argv, "--out", str(tmp_path / "tom.xml"), *QUICK]) == 0
    assert (tmp_path / "tom.xml").read_bytes() != old
    assert json.loads((tmp_path / "tom.json").read_text())["trained"]["stages"] == 2


@pytest.mark.parametrize(
    ("what", "content", "message"),
    [
        ("tune", b'{"my": "data"}\n', "exists and is not a cascade's settings JSON"),
        ("tune", b"[1, 2]\n", "exists and is not a cascade's settings JSON"),
        ("eval", b"[1, 2]\n", "not a cascade's settings (a JSON object with `detect`)"),
    ],
)
def test_a_file_of_another_kind_beside_the_cascade_is_left_alone(
    truth_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
    what: str,
    content: bytes,
    message: str,
) -> None:
    """`tune` rewrites <cascade>.json and `eval` reads it: a JSON there that no training or
    tuning wrote is refused with one line, byte for byte as it was."""
    shutil.copy(CASCADES / "tom.xml", tmp_path / "tom.xml")
    (tmp_path / "tom.json").write_bytes(content)
    argv = ["cascade", what, "--cascade", str(tmp_path / "tom.xml"), "--character", "tom"]
    assert main([*argv, "--truth", str(truth_dir), "--frame-step", "96"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"toon: error: {tmp_path / 'tom.json'}: {message}")
    assert err.count("\n") == 1
    assert (tmp_path / "tom.json").read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tom.json", "tom.xml"]
