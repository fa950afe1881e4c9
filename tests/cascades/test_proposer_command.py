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


def test_any_face_trains_a_finder_that_needs_no_cascade(
    tiny_episodes: Path, tmp_path: Path
) -> None:
    scenery = tmp_path / "scenery"
    scenery.mkdir()
    import cv2

    rng = np.random.default_rng(0)
    for k in range(3):  # pictures with no face: noise and flat colour
        cv2.imwrite(str(scenery / f"{k}.png"), rng.integers(0, 255, (90, 160, 3), np.uint8))
    out = tmp_path / "finder"
    args = ["proposer", "train", "--truth", str(tiny_episodes), "--out", str(out), "--any-face",
            "--negatives", str(scenery), "--frame-step", "6", "--epochs", "1",
            "--min-steps", "0"]  # fmt: skip
    rc, stdout, stderr = run_toon([*args, "--json"])
    assert rc == 0, stderr
    report = json.loads(stdout)
    assert report["characters"] == ["face"] and report["negative_frames"] == 3
    settings = json.loads((out / CONFIG_FILE).read_text())
    assert settings["characters"] == ["face"]
    assert settings["trained"]["negatives"] == [str(scenery)]
    assert report["faces"] > 0  # every character's boxes, as one class
    found = CascadeSet.load(out)  # a folder with a finder and no cascade
    assert found.characters == () and found.finds_any_face
    # its threshold, chosen on episodes with truth and written beside its weights
    rc, said, err = run_toon(["proposer", "tune", str(out), "--truth", str(tiny_episodes),
                              "--min-precision", "0", "--json"])  # fmt: skip
    assert rc == 0, err
    tuned = json.loads(said)
    chosen = max(tuned["sweep"], key=lambda s: (s["recall"], s["threshold"]))
    assert tuned["threshold"] == chosen["threshold"]
    settings = json.loads((out / CONFIG_FILE).read_text())
    assert settings["threshold"] == tuned["threshold"] and settings["tuned"]["min_precision"] == 0
    before = (out / CONFIG_FILE).read_bytes()
    rc, _, err = run_toon(["proposer", "tune", str(out), "--truth", str(tiny_episodes),
                           "--min-precision", "1.5"])  # fmt: skip
    assert rc == 2 and "no threshold reaches precision 1.5" in err
    assert (out / CONFIG_FILE).read_bytes() == before
    # --any-face is instead of --characters, not beside it
    rc, _, err = run_toon([*args, "--characters", "tom"])
    assert rc == 2 and "either --characters or --any-face" in err


def test_a_folder_with_neither_cascade_nor_finder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no cascade XML files .* and no finder"):
        CascadeSet.load(tmp_path)
