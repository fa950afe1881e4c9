from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from indexer.mine import _apart, mine_crops
from toon.cli import main


def test_crops_from_episodes_follow_the_truth(episodes_640: Path, tmp_path: Path, indexer) -> None:  # noqa: ANN001
    counts = mine_crops(episodes_640, tmp_path / "out", indexer.cascades, frame_step=48)
    on_disk = {
        str(p.parent.relative_to(tmp_path / "out")): 0 for p in (tmp_path / "out").rglob("*.png")
    }
    for p in (tmp_path / "out").rglob("*.png"):
        on_disk[str(p.parent.relative_to(tmp_path / "out"))] += 1
    assert counts == dict(sorted(on_disk.items()))
    assert sum(v for k, v in counts.items() if k != "nonface") > 10
    assert {k.split("/")[0] for k in counts} <= {"tom", "jerry", "spike", "nonface"}
    sample = next((tmp_path / "out").rglob("*.png"))
    assert cv2.imread(str(sample)).shape == (64, 64, 3)
    again = mine_crops(episodes_640, tmp_path / "again", indexer.cascades, frame_step=48)
    assert again == counts  # the same seed, the same crops


def test_crops_from_pictures_are_nonfaces(tmp_path: Path, indexer, capsys) -> None:  # noqa: ANN001
    pics = tmp_path / "pics"
    pics.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        cv2.imwrite(str(pics / f"p{i}.png"), rng.integers(0, 255, (360, 640, 3), np.uint8))
    rc = main(["mine-crops", str(pics), "--out", str(tmp_path / "out"), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert rc == 0 and set(report["crops"]) <= {"nonface"}


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: None, "no episodes with truth"),
        (lambda d: (d / "x.png").write_bytes(b"nope"), "x.png: cannot decode image"),
    ],
)
def test_bad_sources(tmp_path: Path, indexer, make, message: str) -> None:  # noqa: ANN001
    src = tmp_path / "src"
    src.mkdir()
    make(src)
    with pytest.raises(ValueError, match=message):
        mine_crops(src, tmp_path / "out", indexer.cascades)


def test_apart() -> None:
    faces = np.array([[100, 100, 200, 200]], np.float64)
    windows = np.array(
        [[100, 100, 200, 200], [150, 150, 250, 250], [195, 195, 400, 400], [300, 0, 360, 60]],
        np.float64,
    )
    assert _apart(windows, faces).tolist() == [False, False, True, True]
