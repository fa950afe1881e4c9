"""`toon proposer train` as a user runs it: from boxes to a cascade folder the pass then uses."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from cascades.finder import SHIPPED, CascadeSet
from cascades.proposer import CONFIG_FILE, MODEL_FILE
from tests.conftest import run_toon


@pytest.fixture(scope="module")
def folder(tiny_episodes: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped cascades with a proposer trained beside them by the real command."""
    out = tmp_path_factory.mktemp("with-proposer")
    for f in [*SHIPPED.glob("*.xml"), *SHIPPED.glob("*.json")]:
        shutil.copy(f, out)
    rc, stdout, stderr = run_toon(
        [
            "proposer",
            "train",
            "--truth",
            str(tiny_episodes),
            "--out",
            str(out),
            "--characters",
            "tom,jerry",
            "--frame-step",
            "3",
            "--epochs",
            "2",
            "--min-steps",
            "0",
            "--json",
        ]
    )
    assert rc == 0, stderr
    report = json.loads(stdout)
    assert report["characters"] == ["jerry", "tom"] and report["out"] == str(out)
    assert report["frames"] > 0 and report["faces"] > 0 and report["epochs"] == 2
    return out


def test_train_writes_a_proposer_the_cascade_set_loads(folder: Path) -> None:
    assert (folder / MODEL_FILE).exists()
    settings = json.loads((folder / CONFIG_FILE).read_text())
    assert settings["characters"] == ["jerry", "tom"]
    assert settings["trained"]["frame_step"] == 3
    mine, shipped = CascadeSet.load(folder), CascadeSet.load(SHIPPED)
    assert mine.proposer is not None and mine.proposer.config.characters == ("jerry", "tom")
    assert mine.sha256 != shipped.sha256  # a warehouse can tell which found its faces


def test_the_proposer_adds_boxes_only_when_asked(folder: Path, tiny_episodes: Path) -> None:
    from core.video import read_frames

    mine = CascadeSet.load(folder)
    frames = [f.bgr for f in read_frames(next(tiny_episodes.glob("*.mp4")), frame_step=10)][:6]
    without = mine.detect_many(frames, propose=False)
    shipped = CascadeSet.load(SHIPPED).detect_many(frames, propose=False)
    for a, b in zip(without, shipped, strict=True):
        assert np.array_equal(a.xyxy, b.xyxy)
    proposed = [mine.proposer.propose([f], threshold=0.0)[0] for f in frames[:1]]
    assert len(proposed[0].xyxy)  # at threshold 0 every peak is a box
    assert all(len(w) <= len(x) for w, x in zip(without, mine.detect_many(frames), strict=True))


def test_bad_truth_is_one_line_and_writes_nothing(tmp_path: Path, tiny_episodes: Path) -> None:
    out = tmp_path / "out"
    rc, _, stderr = run_toon(
        ["proposer", "train", "--truth", str(tmp_path / "nope"), "--out", str(out)]
        + ["--characters", "tom"]
    )
    assert rc == 2 and stderr.count("\n") == 1 and "nope: no such file or folder" in stderr
    rc, _, stderr = run_toon(
        ["proposer", "train", "--truth", str(tiny_episodes), "--out", str(out)]
        + ["--characters", "tom,droopy", "--frame-step", "10"]
    )
    assert rc == 2 and "no boxes of droopy" in stderr
    assert not out.exists()
