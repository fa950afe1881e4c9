"""The Boxes page: face boxes drawn in the browser land in a COCO file the cascade trainer reads."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cascades import DEFAULT
from cascades.annotations import boxes_by_character
from dashboard import boxes
from tests.browser import Server
from tests.conftest import run_toon

SHIPPED_TOM = DEFAULT / "tom.xml"


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Frames `toon frames` picked from a short episode of the meadow show."""
    root = tmp_path_factory.mktemp("boxes")
    args = ["synth", "episodes", str(root / "ep"), "--seconds", "6", "--seed", "3"]
    assert run_toon([*args, "--show", "meadow"])[0] == 0
    rc, _, err = run_toon(["frames", str(root / "ep"), "--out", str(root / "frames")])
    assert rc == 0, err
    return root / "frames"


def copy_of(frames: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "frames"
    folder.mkdir()
    for p in frames.iterdir():
        (folder / p.name).write_bytes(p.read_bytes())
    return folder


def test_saving_boxes_clips_names_and_replaces(frames: Path, tmp_path: Path) -> None:
    folder = copy_of(frames, tmp_path)
    first, second = boxes.frame_names(folder)[:2]
    drawn = [
        {"label": "Bunny", "left": -10, "top": 20, "width": 60, "height": 50},  # clipped at 0
        {
            "label": "frog",
            "left": 600,
            "top": 300,
            "width": 80,
            "height": 80,
        },  # clipped at the edge
        {"label": "frog", "left": 5, "top": 5, "width": 2, "height": 40},  # a sliver: dropped
    ]
    coco = boxes.save_frame(folder, first, drawn, (640, 360))
    assert boxes.boxes_of(coco, first) == [
        {"left": 0, "top": 20, "width": 50, "height": 50, "label": "bunny"},
        {"left": 600, "top": 300, "width": 40, "height": 60, "label": "frog"},
    ]
    coco = boxes.save_frame(folder, second, [], (640, 360))  # a frame with no face: a negative
    assert boxes.summary(coco) == {"frames": 2, "boxes": {"bunny": 1, "frog": 1}}
    # saving a frame again replaces its boxes; the other frame keeps its own
    coco = boxes.save_frame(folder, first, drawn[:1], (640, 360))
    assert boxes.summary(coco) == {"frames": 2, "boxes": {"bunny": 1, "frog": 0}}
    assert json.loads((folder / boxes.BOXES).read_text()) == coco
    # the trainer's reader sees the boxes, and the saved empty frame with none
    read = boxes_by_character(folder / boxes.BOXES)
    seen = {image.name: {k: v.tolist() for k, v in b.items()} for image, _, b, _ in read}
    assert seen == {
        first: {"bunny": [[0, 20, 50, 70]], "frog": []},
        second: {"bunny": [], "frog": []},
    }
    # and so does the cascades' evaluation (which tuning uses): every saved frame, its boxes owed
    rc, out, err = run_toon(
        ["cascade", "eval", "--cascade", str(SHIPPED_TOM), "--character",
         "bunny", "--truth", str(folder / boxes.BOXES), "--json"]
    )  # fmt: skip
    assert rc == 0, err
    assert (json.loads(out)["frames"], json.loads(out)["owed"]) == (2, 1)
    commands = boxes.next_commands(folder, coco)
    assert "--character bunny" in commands and "--character frog" in commands
    assert "--characters bunny,frog" in commands


@pytest.mark.parametrize(
    ("label", "image", "message"),
    [
        ("other", None, "and not other, nonface, unlabelled"),
        ("", None, "character name '' is not allowed"),
        ("two words", None, "character name 'two words' is not allowed"),
        ("bunny", "elsewhere.png", "not one of the frames"),
    ],
)
def test_bad_boxes_change_nothing(
    frames: Path, tmp_path: Path, label: str, image: str | None, message: str
) -> None:
    folder = copy_of(frames, tmp_path)
    name = boxes.frame_names(folder)[0]
    boxes.save_frame(
        folder,
        name,
        [{"label": "bunny", "left": 1, "top": 1, "width": 30, "height": 30}],
        (640, 360),
    )
    before = (folder / boxes.BOXES).read_bytes()
    box = {"label": label, "left": 10, "top": 10, "width": 30, "height": 30}
    with pytest.raises(ValueError, match=message):
        boxes.save_frame(folder, image or name, [box], (640, 360))
    assert (folder / boxes.BOXES).read_bytes() == before
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []


def test_dashboard_without_frames_or_warehouse_says_what_to_give(tmp_path: Path) -> None:
    rc, _, err = run_toon(["dashboard"])
    assert rc == 2 and err.count("\n") == 1 and "--warehouse DIR" in err and "--frames" in err
    rc, _, err = run_toon(["dashboard", "--frames", str(tmp_path)])
    assert rc == 2 and err.count("\n") == 1 and "no frames" in err


@pytest.mark.browser
def test_a_box_drawn_in_the_browser_lands_in_the_coco_file(
    frames: Path, tmp_path: Path, browser, screenshots: Path
) -> None:
    folder = copy_of(frames, tmp_path)
    server = Server(None, tmp_path / "labels", frames=folder)  # before any warehouse exists
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        page.goto(server.url)
        page.get_by_role("heading", name="Face boxes").wait_for()
        who = page.get_by_label("Character", exact=True)
        who.fill("bunny")
        who.press("Enter")
        canvas = page.locator("canvas.upper-canvas")
        expect(canvas).to_have_count(1)  # a rerun may briefly show the old one beside it
        page.wait_for_timeout(500)
        box = canvas.bounding_box()
        sx, sy = box["width"] / 640, box["height"] / 360  # the canvas may be drawn scaled
        page.mouse.move(box["x"] + 100 * sx, box["y"] + 100 * sy)
        page.mouse.down()
        page.mouse.move(box["x"] + 160 * sx, box["y"] + 140 * sy, steps=8)
        page.mouse.move(box["x"] + 200 * sx, box["y"] + 180 * sy, steps=8)
        page.mouse.up()
        save = page.get_by_role("button", name="Save 1 boxes and go on")
        save.wait_for()
        save.click()
        page.get_by_text(re.compile("^Saved ")).wait_for()  # not the caption's "0 saved"
        page.get_by_role("button", name="Save 0 boxes and go on").wait_for()  # the next frame
        expect(page.locator("canvas.upper-canvas")).to_have_count(1)
        page.screenshot(path=str(screenshots / "boxes.png"), full_page=True)
    finally:
        context.close()
        server.stop()
    coco = json.loads((folder / boxes.BOXES).read_text())
    first = boxes.frame_names(folder)[0]
    (saved,) = boxes.boxes_of(coco, first)
    assert saved["label"] == "bunny"
    got = [saved["left"], saved["top"], saved["width"], saved["height"]]
    assert all(abs(a - b) <= 4 for a, b in zip(got, [100, 100, 100, 80], strict=True)), got


def test_the_then_commands_run_as_written(frames: Path, tmp_path: Path) -> None:
    """The page's "Then" commands, pasted into a shell in order: each `toon cascade train` makes
    the cascades' folder the next commands read, and paths with a space stay one argument. (The
    training is made quick by flags added at the end, and its tuning, which takes minutes on so
    quick a cascade, is left out; the rest of each line is as shown.)"""
    import csv
    import shlex

    folder = tmp_path / "my frames"
    rc, _, err = run_toon(
        ["frames", str(frames.parent / "ep"), "--out", str(folder), "--every", "0.25"]
    )
    assert rc == 0, err
    with (folder / "frames.csv").open() as f:
        picked = list(csv.DictReader(f))
    for pick in picked:  # every face the truth shows at least half of, as a person boxes it
        with (frames.parent / "ep" / f"{pick['episode']}.truth.csv").open() as f:
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
        coco = boxes.save_frame(folder, pick["image"], drawn, (640, 360))
    lines = boxes.next_commands(folder, coco).splitlines()
    cascades = tmp_path / "my frames-cascades"
    assert not cascades.exists()
    quick = ["--stages", "2", "--positives", "200", "--features", "500", "--max-weak", "4"]
    trains = [line for line in lines if line.startswith("toon cascade train ")]
    assert len(trains) == len(coco["categories"]) >= 1
    for line in trains:
        argv = shlex.split(line)[1:]
        at = argv.index("--val")
        del argv[at : at + 2]
        rc, _, err = run_toon([*argv, *quick, "--negative-every", "1"])
        assert rc == 0, err
    assert sorted(p.name for p in cascades.iterdir()) == sorted(
        f"{c['name']}.{ext}" for c in coco["categories"] for ext in ("json", "xml")
    )
    (mine,) = [line for line in lines if line.startswith("toon mine-crops ")]
    rc, _, err = run_toon(shlex.split(mine)[1:])
    assert rc == 0, err
    assert (tmp_path / "my frames-crops").is_dir()


@pytest.mark.parametrize("image", ["../x.png", "/etc/passwd", "..", "sub/a.png", "", "link.png"])
def test_a_frame_list_naming_files_elsewhere_is_refused(
    frames: Path, tmp_path: Path, image: str
) -> None:
    """The page opens and saves the frames frames.csv names: only files of its own folder."""
    folder = copy_of(frames, tmp_path)
    (folder / "link.png").symlink_to(tmp_path / "x.png")  # out of the folder
    (folder / "frames.csv").write_text(f"image,episode,frame,time_s,shot\n{image},e,0,0.0,0\n")
    with pytest.raises(ValueError, match=f"frames.csv: image {re.escape(repr(image))} is not"):
        boxes.frame_names(folder)
    with pytest.raises(ValueError, match="is not a file of"):
        boxes.save_frame(folder, image, [], (640, 360))
    assert not (folder / boxes.BOXES).exists()
