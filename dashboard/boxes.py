"""Face boxes drawn on the Boxes page, kept as COCO beside the frames `toon frames` picked:
`FRAMES/boxes.json`, which `toon cascade train --truth` and `toon mine-crops` read as they read
a COCO file from any other tool. A frame is in the file once saved, boxes or none: a saved frame
without a character's box says that character is not in it (a negative for its cascade).
Character names follow `core.names.NAME`, the rule the COCO reader holds every file to."""

from __future__ import annotations

import csv
import json
import shlex
from pathlib import Path

from cascades.annotate import MANIFEST
from core import names as core_names
from core.outputs import is_inside
from dashboard.labels import write_whole
from model import DEFAULT

BOXES = "boxes.json"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
MIN_SIDE_PX = 4


def frame_names(folder: Path) -> list[str]:
    """The frames to box, in `toon frames` order (else every picture, sorted)."""
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder}: not a folder (make one with `toon frames`)")
    manifest = folder / MANIFEST
    if manifest.is_file():
        with manifest.open(newline="") as f:
            rows = csv.DictReader(f)
            if "image" not in (rows.fieldnames or ()):
                raise ValueError(f"{manifest}: no `image` column (is it `toon frames` output?)")
            names = [row["image"] for row in rows]
        for name in names:  # the page opens each: a frame of this folder, nothing elsewhere
            if not name or Path(name).name != name or not is_inside(folder / name, folder):
                raise ValueError(
                    f"{manifest}: image {name!r} is not a file of {folder} (a frame is named by "
                    "its file name alone)"
                )
    else:
        names = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not names:
        raise ValueError(f"{folder}: no frames (make some with `toon frames EPISODE --out DIR`)")
    return names


def load(folder: Path) -> dict:
    """The COCO file of `folder`, or an empty one."""
    path = folder / BOXES
    if not path.exists():
        return {"images": [], "annotations": [], "categories": []}
    try:
        coco = json.loads(path.read_text())
        if not all(isinstance(coco.get(k), list) for k in ("images", "annotations", "categories")):
            raise ValueError("images, annotations or categories is not a list")
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a COCO file this page can extend ({exc})") from None
    return coco


def check_name(name: str) -> str:
    """A character's name as cascades and model folders use it, or ValueError saying why not."""
    return core_names.check_name(name.strip().lower(), what="character")


def boxes_of(coco: dict, image: str) -> list[dict]:
    """The saved boxes of one frame as {label, left, top, width, height} in image pixels."""
    ids = {im["id"] for im in coco["images"] if im["file_name"] == image}
    names = {c["id"]: c["name"] for c in coco["categories"]}
    return [
        dict(zip(("left", "top", "width", "height"), a["bbox"], strict=True))
        | {"label": names[a["category_id"]]}
        for a in coco["annotations"]
        if a["image_id"] in ids
    ]


def save_frame(folder: Path, image: str, boxes: list[dict], size_wh: tuple[int, int]) -> dict:
    """Replace the frame's boxes with `boxes` (image pixels; clipped to the frame, slivers
    under 4 px dropped) and write the file whole; returns the new COCO."""
    if image not in frame_names(folder):
        raise ValueError(f"{folder / image}: not one of the frames of {folder}")
    coco = load(folder)
    kept = []
    for box in boxes:
        name = check_name(str(box.get("label") or ""))
        x1 = max(0.0, float(box["left"]))
        y1 = max(0.0, float(box["top"]))
        x2 = min(float(size_wh[0]), float(box["left"]) + float(box["width"]))
        y2 = min(float(size_wh[1]), float(box["top"]) + float(box["height"]))
        if x2 - x1 >= MIN_SIDE_PX and y2 - y1 >= MIN_SIDE_PX:
            kept.append((name, [round(x1), round(y1), round(x2 - x1), round(y2 - y1)]))
    category = {c["name"]: c["id"] for c in coco["categories"]}
    for name, _ in kept:
        if name not in category:
            category[name] = max(category.values(), default=0) + 1
            coco["categories"].append({"id": category[name], "name": name})
    old = [im["id"] for im in coco["images"] if im["file_name"] == image]
    image_id = old[0] if old else max((im["id"] for im in coco["images"]), default=0) + 1
    if not old:
        w, h = size_wh
        coco["images"].append({"id": image_id, "file_name": image, "width": w, "height": h})
    coco["annotations"] = [a for a in coco["annotations"] if a["image_id"] != image_id]
    next_id = max((a["id"] for a in coco["annotations"]), default=0) + 1
    for n, (name, bbox) in enumerate(kept):
        coco["annotations"].append(
            {
                "id": next_id + n,
                "image_id": image_id,
                "category_id": category[name],
                "bbox": bbox,
                "area": bbox[2] * bbox[3],
                "iscrowd": 0,
            }
        )
    write_whole(folder / BOXES, (json.dumps(coco, indent=1) + "\n").encode())
    return coco


def summary(coco: dict) -> dict:
    """The frames saved and the boxes per character: {"frames": n, "boxes": {name: n}}."""
    names = {c["id"]: c["name"] for c in coco["categories"]}
    counts = {name: 0 for name in sorted(names.values())}
    for a in coco["annotations"]:
        if a.get("category_id") in names:
            counts[names[a["category_id"]]] += 1
    return {"frames": len(coco["images"]), "boxes": counts}


def next_commands(folder: Path, coco: dict) -> str:
    """What to run once the boxes are drawn: a cascade per character, then the model's cast.
    Each command makes the folder it writes (`toon cascade train` its --out's folder), and every
    path is quoted for the shell, so the lines run as shown, in order."""

    def q(path: Path) -> str:
        return shlex.quote(str(path))

    boxes = folder / BOXES
    cast = sorted(c["name"] for c in coco["categories"])
    out = folder.parent / f"{folder.name}-cascades"
    lines = [
        f"toon cascade train --character {name} --truth {q(boxes)} --out {q(out / f'{name}.xml')} "
        f"--val {q(boxes)} --min-precision 0.6 --min-faces 5"
        for name in cast
    ]
    crops = folder.parent / f"{folder.name}-crops"
    model = folder.parent / f"{folder.name}-model"
    lines += [
        f"toon mine-crops {q(boxes)} --out {q(crops)} --cascades {q(out)}",
        f"toon synth faces {q(crops / 'classic')} --count 2100 --nonfaces 300"
        "  # keeps the emotions",
        f"toon train {q(crops)} --init {q(DEFAULT)} --characters {','.join(cast)} "
        f"--oversample unlabelled={-(-2400 // max(len(coco['annotations']), 1))} "
        f"--out {q(model)} --epochs 4",
        f"toon index EPISODES --warehouse WAREHOUSE --cascades {q(out)} --model {q(model)}",
    ]
    return "\n".join(lines)
