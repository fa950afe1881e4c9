"""Hostile annotation files (COCO .json, opencv_annotation lists) through the real `toon`
commands that read them. A name that would become a folder, or an image that lies outside the
annotation file's folder, is refused with one line naming the file, and nothing at all is written;
`--allow-outside-images` reads such an image on purpose, and whatever is written stays under
`--out`. A box a hair past the frame (as annotation tools export them) is clipped with a warning;
a box with a negative width says so."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from toon.cli import main

ROOT = Path(__file__).resolve().parents[2]
TOM = ROOT / "cascades" / "weights" / "default" / "tom.xml"
RULE = (
    "is not allowed (a lower-case letter, then up to 31 lower-case letters, digits, '_' or '-', "
    "and not other, nonface, unlabelled)"
)
OUTSIDE = "lies outside the annotation file's folder"


def tree(root: Path) -> list[str]:
    """Every file, folder and link under `root`, as sorted relative paths."""
    return sorted(
        str(Path(d, name).relative_to(root))
        for d, dirs, files in os.walk(root)
        for name in dirs + files
    )


def picture(path: Path, seed: int = 0) -> Path:
    """A 160x120 picture of noise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.random.default_rng(seed).integers(0, 255, (120, 160, 3), np.uint8))
    return path


def coco(name: object = "bunny", file_name: str = "a.png", bbox: list | None = None) -> dict:
    """One image with one box of one category."""
    return {
        "images": [{"id": 1, "file_name": file_name, "width": 160, "height": 120}],
        "categories": [{"id": 1, "name": name}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": bbox or [10, 10, 50, 50]}
        ],
    }


@pytest.fixture()
def job(tmp_path: Path) -> Path:
    """tmp/job/a.png, the annotated frame, and tmp/elsewhere/o.png, a picture outside job/."""
    picture(tmp_path / "job" / "a.png")
    picture(tmp_path / "elsewhere" / "o.png", seed=1)
    return tmp_path / "job"


# Every command that reads an annotation file, as a user types it: (annotations, out) -> argv.
COMMANDS: dict[str, Callable[[Path, Path], list[str]]] = {
    "mine-crops": lambda src, out: ["mine-crops", str(src), "--out", str(out / "crops")],
    "cascade train": lambda src, out: [
        "cascade",
        "train",
        "--character",
        "bunny",
        "--truth",
        str(src),
        "--out",
        str(out / "cascades" / "bunny.xml"),
        "--stages",
        "1",
        "--min-faces",
        "1",
    ],  # fmt: skip
    "cascade eval": lambda src, out: [
        "cascade",
        "eval",
        "--cascade",
        str(TOM),
        "--character",
        "bunny",
        "--truth",
        str(src),
    ],  # fmt: skip
    "cascade tune": lambda src, out: [
        "cascade",
        "tune",
        "--cascade",
        str(out / "tom.xml"),
        "--character",
        "bunny",
        "--truth",
        str(src),
    ],  # fmt: skip
    "proposer train": lambda src, out: [
        "proposer",
        "train",
        "--truth",
        str(src),
        "--out",
        str(out / "cascades"),
        "--characters",
        "bunny",
        "--epochs",
        "1",
    ],  # fmt: skip
}


def refused(argv: list[str], root: Path, capsys: pytest.CaptureFixture) -> str:
    """Run `toon ARGV`; assert exit 2, one line on stderr, and nothing written under `root`;
    return that line."""
    before = tree(root)
    capsys.readouterr()
    rc = main(argv)
    out, err = capsys.readouterr()
    assert (rc, out, err.count("\n")) == (2, "", 1), (rc, out, err)
    assert tree(root) == before
    return err


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../../tmp/x", "'../../../tmp/x'"),
        ("..", "'..'"),
        ("/tmp/x", "'/tmp/x'"),
        ("", "''"),
        (7, "7"),
        (None, "None"),
        ("Tom/../..", "'tom/../..'"),  # lower-cased first, as every category name is
        (".hidden", "'.hidden'"),
        ("nonface", "'nonface'"),  # its faces would teach the model "not a face"
    ],
)
@pytest.mark.parametrize("command", ["mine-crops", "cascade train", "cascade eval"])
def test_a_category_name_that_is_no_plain_name_is_refused(
    job: Path, capsys: pytest.CaptureFixture, name: object, shown: str, command: str
) -> None:
    boxes = job / "boxes.json"
    boxes.write_text(json.dumps(coco(name=name)))
    err = refused(COMMANDS[command](boxes, job.parent), job.parent, capsys)
    assert err == f"toon: error: {boxes}: category name {shown} {RULE}\n"


def link_out(job: Path) -> str:
    """job/l.png, a link to the picture outside job/."""
    (job / "l.png").symlink_to(job.parent / "elsewhere" / "o.png")
    return "l.png"


# How an image of a COCO file may point out of its folder: job -> its `file_name`.
FILE_NAMES: dict[str, Callable[[Path], str]] = {
    "up and out": lambda job: "../../x.png",
    "up into a sibling": lambda job: "../elsewhere/o.png",
    "absolute": lambda job: str(job.parent / "elsewhere" / "o.png"),
    "system file": lambda job: "/etc/passwd",
    "link out": link_out,
}


@pytest.mark.parametrize("case", list(FILE_NAMES))
@pytest.mark.parametrize("command", ["mine-crops", "cascade train", "cascade eval", "cascade tune"])
def test_an_image_outside_the_annotation_files_folder_is_refused(
    job: Path, capsys: pytest.CaptureFixture, case: str, command: str
) -> None:
    (job.parent / "tom.xml").write_bytes(TOM.read_bytes())  # for tune to rewrite
    (job.parent / "tom.json").write_bytes(TOM.with_suffix(".json").read_bytes())
    file_name = FILE_NAMES[case](job)
    boxes = job / "boxes.json"
    boxes.write_text(json.dumps(coco(file_name=file_name)))
    err = refused(COMMANDS[command](boxes, job.parent), job.parent, capsys)
    assert err == (
        f"toon: error: {boxes}: image {file_name!r} {OUTSIDE} {job} (images must be under "
        "it; --allow-outside-images reads it anyway)\n"
    )


def test_the_proposer_refuses_an_image_outside_too(
    job: Path, capsys: pytest.CaptureFixture
) -> None:
    boxes = job / "boxes.json"
    boxes.write_text(json.dumps(coco(file_name="../elsewhere/o.png")))
    err = refused(COMMANDS["proposer train"](boxes, job.parent), job.parent, capsys)
    assert err.startswith(f"toon: error: {boxes}: image '../elsewhere/o.png' {OUTSIDE} {job} ")


@pytest.mark.parametrize(
    ("listing", "text", "message"),
    [
        (
            "bunny.txt",
            "../elsewhere/o.png 1 10 10 50 50\n",
            f"image '../elsewhere/o.png' {OUTSIDE}",
        ),
        ("bunny.txt", "a.png 1 10 10 50 50\n/etc/passwd 0\n", f"image '/etc/passwd' {OUTSIDE}"),
        ("..txt", "a.png 1 10 10 50 50\n", f"character name '.' {RULE}"),
        ("Two words.txt", "a.png 1 10 10 50 50\n", f"character name 'two words' {RULE}"),
    ],
)
def test_a_hostile_annotation_list_is_refused(
    job: Path, capsys: pytest.CaptureFixture, listing: str, text: str, message: str
) -> None:
    path = job / listing
    path.write_text(text)
    err = refused(COMMANDS["mine-crops"](path, job.parent), job.parent, capsys)
    line = 2 if "/etc/passwd" in text else 1
    where = f"{path}:{line}" if OUTSIDE in message else str(path)
    assert err.startswith(f"toon: error: {where}: {message}")


@pytest.mark.parametrize("case", ["up into a sibling", "absolute", "link out"])
def test_allow_outside_images_reads_them_and_writes_only_under_out(
    job: Path, capsys: pytest.CaptureFixture, case: str
) -> None:
    boxes = job / "boxes.json"
    boxes.write_text(json.dumps(coco(file_name=FILE_NAMES[case](job))))
    before = tree(job.parent)
    rc = main([*COMMANDS["mine-crops"](boxes, job.parent), "--allow-outside-images", "--json"])
    out, err = capsys.readouterr()
    assert (rc, err) == (0, ""), err
    assert json.loads(out)["crops"]["bunny/unlabelled"] == 1
    written = sorted(set(tree(job.parent)) - set(before))
    assert written[:3] == ["crops", "crops/bunny", "crops/bunny/unlabelled"]
    assert len(written) == 4 and re.fullmatch(
        r"crops/bunny/unlabelled/o-[0-9a-f]{8}-0.png", written[3]
    )
    assert set(before) <= set(tree(job.parent))
    rc = main([*COMMANDS["cascade eval"](boxes, job.parent), "--allow-outside-images", "--json"])
    out, err = capsys.readouterr()
    assert (rc, err, json.loads(out)["owed"]) == (0, "", 1)


CLIPPED = "1 box within a pixel past the frame edge was clipped to it"


@pytest.mark.parametrize(
    ("bbox", "said"),
    [
        ([10, 10, 50, 50], ""),
        ([110, 10, 50, 50], ""),  # ends exactly at the edge
        ([110.4, 10, 50, 50], CLIPPED),  # 0.4 px past the right edge, as CVAT exports
        ([-0.4, 70.6, 40, 50], CLIPPED),  # past the left and the bottom edge
        ([10, 10, 150.99, 110.99], CLIPPED),
        ([40, 10, -20, 30], "box 40,10,20,40 has a negative width (-20 px)"),
        ([40, 10, 20, -5], "box 40,10,60,5 has a negative height (-5 px)"),
        ([40, 10, 20, 0], "box 40,10,60,10 has a zero height (0 px)"),
        ([111.5, 10, 50, 50], "box 111.5,10,161.5,60 lies outside the 160x120 frame"),
        ([159.5, 10, 1, 50], CLIPPED),  # half of it inside
        ([160.2, 10, 0.7, 50], "box 160.2,10,160.9,60 lies outside the 160x120 frame"),  # none
        ([-3, 10, 50, 50], "box -3,10,47,60 lies outside the 160x120 frame"),
    ],
)
def test_boxes_at_the_frame_edge(
    job: Path, capsys: pytest.CaptureFixture, bbox: list, said: str
) -> None:
    """Within a pixel past the edge: clipped, one warning line, the crop made. A box with no
    width or height, or further out: the file is refused, and nothing is written."""
    boxes = job / "boxes.json"
    boxes.write_text(json.dumps(coco(bbox=bbox)))
    argv = [*COMMANDS["mine-crops"](boxes, job.parent), "--json"]
    if said.startswith("box "):
        err = refused(argv, job.parent, capsys)
        assert err == f"toon: error: {boxes} (image a.png): {said}\n"
        return
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert err == (f"{boxes}: {said}\n" if said else "")
    assert json.loads(out)["crops"]["bunny/unlabelled"] == 1


def test_clipping_is_said_once_per_file_with_its_count(
    job: Path, capsys: pytest.CaptureFixture
) -> None:
    """Three boxes a hair out of one file, which `cascade train --val` reads three times (colour
    channel, training, tuning): one line, with the count."""
    picture(job / "b.png", seed=2)
    data = coco(bbox=[110.4, 10, 50, 50])
    data["images"].append({"id": 2, "file_name": "b.png"})
    data["annotations"] += [
        {"id": 2, "image_id": 2, "category_id": 1, "bbox": [-0.5, 0, 40, 40]},
        {"id": 3, "image_id": 2, "category_id": 1, "bbox": [60, 70, 40, 50.25]},
        {"id": 4, "image_id": 2, "category_id": 1, "bbox": [10, 10, 30, 30]},
    ]
    boxes = job / "boxes.json"
    boxes.write_text(json.dumps(data))
    argv = COMMANDS["cascade train"](boxes, job.parent)
    rc = main([*argv, "--val", str(boxes), "--positives", "50", "--features", "200", "--json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert [s for s in err.splitlines() if "clipped" in s] == [
        f"{boxes}: 3 boxes within a pixel past the frame edge were clipped to it"
    ]
    assert json.loads(out)["faces"] == 4


def _loop(job: Path) -> None:
    (job / "loop.png").symlink_to(job / "loop.png")


def _pipe(job: Path) -> None:
    os.mkfifo(job / "loop.png")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (_loop, "cannot be a path"),  # Path.resolve raises RuntimeError on 3.11
        (_pipe, "not an image (a pipe)"),  # the decoder would wait on it for ever
    ],
    ids=["link loop", "pipe"],
)
@pytest.mark.parametrize("command", ["mine-crops", "cascade eval"])
def test_an_image_that_is_a_loop_or_a_pipe_is_one_line(
    job: Path, capsys: pytest.CaptureFixture, make: Callable[[Path], None], expected: str,
    command: str,
) -> None:  # fmt: skip
    make(job)
    boxes = job / "boxes.json"
    boxes.write_text(json.dumps(coco(file_name="loop.png")))
    err = refused(COMMANDS[command](boxes, job.parent), job.parent, capsys)
    assert err.startswith("toon: error: ") and expected in err and "loop.png" in err


def test_train_into_a_link_loop_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    picture(tmp_path / "faces" / "happy" / "a.png")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    err = refused(
        ["train", str(tmp_path / "faces"), "--out", str(tmp_path / "loop")], tmp_path, capsys
    )
    assert err.startswith(f"toon: error: {tmp_path / 'loop'}: ")


def test_images_of_one_name_in_two_folders_give_two_crops(
    job: Path, capsys: pytest.CaptureFixture
) -> None:
    picture(job / "train" / "001.png", seed=2)
    picture(job / "val" / "001.png", seed=3)
    both = coco(file_name="train/001.png")
    both["images"].append({"id": 2, "file_name": "val/001.png", "width": 160, "height": 120})
    both["annotations"].append({"id": 2, "image_id": 2, "category_id": 1, "bbox": [9, 9, 50, 50]})
    (job / "boxes.json").write_text(json.dumps(both))
    rc = main([*COMMANDS["mine-crops"](job / "boxes.json", job.parent), "--json"])
    out, err = capsys.readouterr()
    assert (rc, json.loads(out)["crops"]["bunny/unlabelled"]) == (0, 2), err
    assert sorted(p.name for p in (job.parent / "crops" / "bunny" / "unlabelled").iterdir()) == [
        "train__001-0.png",
        "val__001-0.png",
    ]
