"""README's "Index your own cartoon", run as written on a tiny meadow show.

The commands are read from the README itself, in order, and run by bash in a fresh folder, so
a step that names a folder nobody made, or a flag that changed, fails here before a newcomer
meets it. The steps a person does by hand are done here as a person would: face boxes drawn
(from the show's truth, written as the Boxes page writes them), a few faces labelled, the labels
linked into the crops. Each command gets flags appended for a show this small (argparse keeps
an option's last value), so the journey takes minutes instead of an hour; its arguments stay as
written.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

SECTION = "## Index your own cartoon"

# Appended to a command that starts with these words: fewer images, stages and epochs, for a
# show of two 6-second episodes.
FASTER = {
    "toon frames": ["--every", "1"],
    "toon cascade train": [
        *("--stages", "3", "--positives", "300", "--features", "1000", "--max-weak", "8"),
        *("--val-frame-step", "2"),
    ],
    "toon proposer train": ["--epochs", "1", "--min-steps", "0"],
    "toon synth faces": ["--count", "140", "--nonfaces", "20"],
    "toon train": ["--epochs", "1"],
    # a head that met the cast in one epoch of 16 boxes is not 0.8 sure of it; the README's own
    # advice for a new cast
    "toon index": ["--min-confidence", "0"],
}
# Placeholders the README leaves to the reader, as a reader fills them in.
FILLED = {"labels=N": "labels=10"}


def readme_commands() -> list[str]:
    """Every `toon ...` code span of the section's numbered steps, in order, joined where a
    span wraps a line, except the dashboard (a person's steps)."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index(SECTION) : text.index("\n## ", text.index(SECTION) + 1)]
    steps = section[section.index("\n1. ") : section.index("\n\n", section.index("\n1. "))]
    spans = re.findall(r"`(toon [^`]+)`", steps, flags=re.S)
    commands = [" ".join(span.split()) for span in spans]
    # a bare command name in the prose is a mention, not a step
    return [c for c in commands if " " in c[5:] and not c.startswith("toon dashboard")]


def draw_boxes(frames: Path, episodes: Path) -> int:
    """frames/boxes.json as the Boxes page saves it: COCO, a box round every face at least half
    visible in each frame `toon frames` picked. Returns the number of boxes."""
    with (frames / "frames.csv").open(newline="") as f:
        picks = list(csv.DictReader(f))
    truth: dict[tuple[str, int], list[dict]] = {}
    for episode in {p["episode"] for p in picks}:
        with (episodes / f"{episode}.truth.csv").open(newline="") as f:
            for row in csv.DictReader(f):
                truth.setdefault((episode, int(row["frame"])), []).append(row)
    cast = sorted({r["character"] for rows in truth.values() for r in rows})
    coco: dict = {"images": [], "annotations": [], "categories": []}
    coco["categories"] = [{"id": k + 1, "name": c} for k, c in enumerate(cast)]
    for i, pick in enumerate(picks):
        coco["images"].append({"id": i + 1, "file_name": pick["image"]})
        for r in truth.get((pick["episode"], int(pick["frame"])), []):
            if float(r["visible"]) < 0.5:
                continue
            x1, y1, x2, y2 = (int(r[k]) for k in ("x1", "y1", "x2", "y2"))
            coco["annotations"].append(
                {
                    "id": len(coco["annotations"]) + 1,
                    "image_id": i + 1,
                    "category_id": cast.index(r["character"]) + 1,
                    "bbox": [x1, y1, x2 - x1, y2 - y1],
                    "iscrowd": 0,
                }
            )
    (frames / "boxes.json").write_text(json.dumps(coco))
    return len(coco["annotations"])


def label_faces(warehouse: Path) -> int:
    """A person on the Label page: the first faces it offers, named by the emotion the model
    gave (a stand-in for the person's eye), through the page's own writer."""
    from dashboard.labels import save_label
    from warehouse import catalog, picks, reader

    with reader.connect(warehouse) as con:
        faces = picks.most_informative(con, 20)
        for face in faces:
            jpeg = catalog.thumbnail(con, face["face_id"])
            save_label(
                warehouse / "labels", face["face_id"], face["character"], face["emotion"], jpeg
            )
    return len(faces)


def run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    words = shlex.split(command)
    for start, extra in FASTER.items():
        if command.startswith(start + " "):
            words += extra
            break
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    line = " ".join(shlex.quote(w) if "*" not in w else w for w in words)
    return subprocess.run(
        ["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )


def test_the_readme_commands_are_the_ones_run() -> None:
    commands = readme_commands()
    assert [c.split(" --")[0].split(" ")[:3] for c in commands] == [
        ["toon", "frames", "EPISODES/*.mp4"],
        ["toon", "cascade", "train"],
        ["toon", "proposer", "train"],
        ["toon", "mine-crops", "frames/boxes.json"],
        ["toon", "synth", "faces"],
        ["toon", "train", "crops"],
        ["toon", "index", "EPISODES"],
        ["toon", "train", "crops"],
        ["toon", "index", "EPISODES"],
    ]


def test_index_your_own_cartoon_as_written(tmp_path: Path) -> None:
    # A fresh clone's shipped model, where the README's relative path expects it.
    (tmp_path / "model" / "weights").mkdir(parents=True)
    (tmp_path / "model" / "weights" / "default").symlink_to(ROOT / "model" / "weights" / "default")
    rehearse = run(
        "toon synth episodes EPISODES --show meadow --count 2 --seconds 6 --seed 5", tmp_path
    )
    assert rehearse.returncode == 0, rehearse.stderr
    for command in readme_commands():
        command = next((command.replace(k, v) for k, v in FILLED.items() if k in command), command)
        if command.startswith("toon cascade train"):  # "... (and `frog`)": once a character
            for character in ("bunny", "frog"):
                res = run(command.replace("bunny", character), tmp_path)
                assert res.returncode == 0, (character, res.stderr[-2000:])
            continue
        if command.startswith("toon train") and "labels=" in command:
            (tmp_path / "crops" / "labels").symlink_to(tmp_path / "wh" / "labels")
        res = run(command, tmp_path)
        assert res.returncode == 0, (command, res.stderr[-2000:])
        if command.startswith("toon frames"):
            assert draw_boxes(tmp_path / "frames", tmp_path / "EPISODES") > 0
        if command.startswith("toon index") and "--reindex" not in command:
            assert label_faces(tmp_path / "wh") > 0
    assert (tmp_path / "cascades-mine" / "bunny.xml").is_file()
    assert (tmp_path / "cascades-mine" / "frog.xml").is_file()
    assert (tmp_path / "model-mine2" / "model.sha256").is_file()
    from warehouse import reader

    with reader.connect(tmp_path / "wh") as con:
        statuses = con.execute("SELECT status, count(*) FROM episodes GROUP BY 1").fetchall()
        characters = {r[0] for r in con.execute("SELECT DISTINCT character FROM faces").fetchall()}
    assert statuses == [("indexed", 2)]
    assert characters <= {"bunny", "frog"}
