"""`toon cascade train|tune|eval` as a user runs them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import cv2
import pytest

from tests.conftest import TOON


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
    assert 0 <= result["precision"] <= 1 and 0 <= result["recall"] <= 1


def test_tune_writes_settings(trained: Path, truth_dir: Path) -> None:
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
