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


def test_a_run_that_fails_adds_nothing(tmp_path: Path, indexer) -> None:  # noqa: ANN001
    """The crops are moved in only once every picture was cut: a bad picture after good ones
    leaves the ImageFolder as it was."""
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (out / "nonface").mkdir(parents=True)
    (out / "nonface" / "kept.png").write_bytes(b"earlier crop")
    rng = np.random.default_rng(0)
    for i in range(3):
        cv2.imwrite(str(src / f"a{i}.png"), rng.integers(0, 255, (360, 640, 3), np.uint8))
    (src / "z.png").write_bytes(b"nope")  # read last
    with pytest.raises(ValueError, match="z.png: cannot decode image"):
        mine_crops(src, out, indexer.cascades)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()) == [
        Path("out/nonface/kept.png"),
        *(Path("src") / f"a{i}.png" for i in range(3)),
        Path("src/z.png"),
    ]


def test_apart() -> None:
    faces = np.array([[100, 100, 200, 200]], np.float64)
    windows = np.array(
        [[100, 100, 200, 200], [150, 150, 250, 250], [195, 195, 400, 400], [300, 0, 360, 60]],
        np.float64,
    )
    assert _apart(windows, faces).tolist() == [False, False, True, True]


def test_crops_from_face_boxes_are_unlabelled_faces(
    episodes_640: Path, tmp_path: Path, capsys
) -> None:  # noqa: ANN001
    """Boxes drawn on frames (COCO, as the Boxes page saves them) give each character's faces
    under `unlabelled/`, one per box, and the cascades' detections beside them as nonface."""
    import csv

    from dashboard import boxes

    frames = tmp_path / "frames"
    assert main(["frames", str(episodes_640), "--out", str(frames), "--every", "3"]) == 0
    with (frames / "frames.csv").open() as f:
        picked = list(csv.DictReader(f))[:6]
    owed: dict[str, int] = {}
    for pick in picked:
        with (episodes_640 / f"{pick['episode']}.truth.csv").open() as f:
            rows = [r for r in csv.DictReader(f) if r["frame"] == pick["frame"]]
        drawn = [
            {
                "label": r["character"],
                "left": int(r["x1"]),
                "top": int(r["y1"]),
                "width": int(r["x2"]) - int(r["x1"]),
                "height": int(r["y2"]) - int(r["y1"]),
            }
            for r in rows
            if float(r["visible"]) >= 0.5
        ]
        coco = boxes.save_frame(frames, pick["image"], drawn, (640, 360))
    for a in coco["annotations"]:
        name = next(c["name"] for c in coco["categories"] if c["id"] == a["category_id"])
        owed[f"{name}/unlabelled"] = owed.get(f"{name}/unlabelled", 0) + 1
    assert owed
    capsys.readouterr()
    rc = main(["mine-crops", str(frames / boxes.BOXES), "--out", str(tmp_path / "out")])
    said = capsys.readouterr().out
    assert rc == 0 and "Next: toon train" in said and "--characters" in said
    made = {}
    for p in (tmp_path / "out").rglob("*.png"):
        key = str(p.parent.relative_to(tmp_path / "out"))
        made[key] = made.get(key, 0) + 1
    assert {k: v for k, v in made.items() if k != "nonface"} == owed
