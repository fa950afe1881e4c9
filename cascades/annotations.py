"""Annotated frames from files a person made: OpenCV's `opencv_annotation` lists (`path n x y
w h ...`, paths relative to the list) and COCO JSON (`images`, `annotations` with `bbox`
[x, y, w, h], `categories` named by character); and `frames_from`, which reads any source of
annotated frames, a truth folder (`cascades/samples.py`) or one of these files.

An annotation file is untrusted: its category names (and a list's file name, the character's)
must pass `core.names.check_name`, since they become folder names, and the images it names must
lie under its own folder unless the caller allows otherwise (`allow_outside_images`). A box that
ends at most `EDGE_SLACK_PX` past the frame (annotation tools export floats) is clipped to it, and
the count said once per file through `warn`. Every error names the file and the problem.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cascades.samples import AnnotatedFrame, as_boxes, fit_box, frames_from_truth, read_image
from core.detections import xywh_to_xyxy
from core.names import check_name
from core.outputs import is_inside

# CVAT and Label Studio export boxes as floats that may end a fraction of a pixel past the frame;
# a box of an annotation file that far out is clipped to the frame, one further out is refused.
EDGE_SLACK_PX = 1.0

_SAID: set[str] = set()


def warn_once(line: str) -> None:
    """`line` on stderr the first time this process meets it: a file that one command reads
    twice (training, then tuning) is warned about once, as Python's own warnings are."""
    if line not in _SAID:
        _SAID.add(line)
        print(line, file=sys.stderr, flush=True)


def _fit_boxes(
    path: Path, where: str, boxes_xyxy: np.ndarray, wh: tuple[int, int]
) -> tuple[np.ndarray, int]:
    """(K, 4) boxes of an annotation file, each fitted by `fit_box` with `EDGE_SLACK_PX`, and
    how many were clipped."""
    fitted = [fit_box(path, where, tuple(b), wh, EDGE_SLACK_PX) for b in boxes_xyxy]
    return as_boxes([b for b, _ in fitted]), sum(clipped for _, clipped in fitted)


def _say_clipped(path: Path, clipped: int, warn: Callable[[str], None]) -> None:
    if clipped:
        boxes = "1 box" if clipped == 1 else f"{clipped} boxes"
        were = "was" if clipped == 1 else "were"
        warn(f"{path}: {boxes} within a pixel past the frame edge {were} clipped to it")


def _image_of(path: Path, name: str, where: str, allow_outside_images: bool) -> Path:
    """The image an annotation file names, resolved against the file's folder.

    Raises:
        ValueError: it lies outside that folder (after following links), unless allowed.
    """
    try:
        image = (path.parent / name).resolve()
    except (OSError, ValueError, RuntimeError) as exc:  # a NUL byte, a link loop (< 3.13)
        raise ValueError(f"{path}{where}: image {name!r} cannot be a path ({exc})") from None
    if not allow_outside_images and not is_inside(image, path.parent):
        raise ValueError(
            f"{path}{where}: image {name!r} lies outside the annotation file's folder "
            f"{path.parent.resolve()} (images must be under it; --allow-outside-images reads "
            "it anyway)"
        )
    return image


def _read_list(path: Path, allow_outside_images: bool) -> list[tuple[int, Path, np.ndarray]]:
    """(line number, image, (K, 4) xyxy boxes) of each line of an `opencv_annotation` list,
    every line checked before any image is decoded."""
    lines = []
    for line_no, line in enumerate(path.read_text().splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        try:
            n = int(parts[1])
            nums = [int(float(v)) for v in parts[2:]]
        except (IndexError, ValueError, OverflowError):
            raise ValueError(f"{path}:{line_no}: expected `path n x y w h ...`") from None
        if len(nums) != 4 * n:
            raise ValueError(f"{path}:{line_no}: says {n} boxes but gives {len(nums)} numbers")
        image = _image_of(path, parts[0], f":{line_no}", allow_outside_images)
        lines.append((line_no, image, xywh_to_xyxy(nums)))
    return lines


def frames_from_annotation_list(
    path: Path, *, allow_outside_images: bool = False, warn: Callable[[str], None] = warn_once
) -> Iterator[AnnotatedFrame]:
    """OpenCV's `opencv_annotation` output: `image_path n x y w h [x y w h ...]` per line, the
    image paths relative to the list (and under its folder, unless `allow_outside_images`)."""
    clipped = 0
    for line_no, image, boxes in _read_list(path, allow_outside_images):
        bgr = read_image(image)
        fitted, n = _fit_boxes(path, f":{line_no}", boxes, (bgr.shape[1], bgr.shape[0]))
        clipped += n
        yield AnnotatedFrame(str(image), bgr, fitted, as_boxes([]))
    _say_clipped(path, clipped, warn)


@dataclass(frozen=True)
class _CocoImage:
    """One image of a COCO file: its path and, per category name, (face boxes, "don't care"
    boxes), xywh as the file gives them."""

    path: Path
    file_name: str
    boxes: dict[str, tuple[list, list]]


def _read_coco(
    path: Path, allow_outside_images: bool = False
) -> tuple[list[str], list[_CocoImage]]:
    """The category names and the images of a COCO file, in the file's order; ValueError naming
    the file and what is wrong. Every category name passes `core.names.check_name` (lower-cased
    first) and every image lies under the file's folder (unless `allow_outside_images`), all
    checked before any image is decoded."""
    try:
        coco = json.loads(path.read_text())
        named = {c["id"]: c["name"] for c in coco["categories"]}
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ValueError(f"{path}: not COCO JSON this tool reads ({exc})") from None
    cats = {
        key: check_name(
            name.lower() if isinstance(name, str) else name, what="category", source=path
        )
        for key, name in named.items()
    }
    try:
        images = {im["id"]: (str(im["file_name"]), {}) for im in coco["images"]}
        for a in coco["annotations"]:
            name = cats.get(a.get("category_id"))
            if name is None:
                raise ValueError(f"annotation {a.get('id')}: no category {a.get('category_id')!r}")
            if a.get("image_id") not in images:
                raise ValueError(f"annotation {a.get('id')}: no image {a.get('image_id')!r}")
            bbox = [float(v) for v in a["bbox"]]
            if len(bbox) != 4:
                raise ValueError(f"annotation {a.get('id')}: bbox needs 4 numbers, has {len(bbox)}")
            boxes, ignore = images[a["image_id"]][1].setdefault(name, ([], []))
            (ignore if a.get("iscrowd") else boxes).append(bbox)
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ValueError(f"{path}: not COCO JSON this tool reads ({exc})") from None
    return sorted(set(cats.values())), [
        _CocoImage(_image_of(path, name, "", allow_outside_images), name, boxes)
        for name, boxes in images.values()
    ]


def _coco_frame(path: Path, im: _CocoImage) -> tuple[np.ndarray, dict[str, tuple], int]:
    """The image, decoded once, its boxes per category as xyxy arrays, each fitted to the frame,
    and how many of them were clipped."""
    bgr = read_image(im.path)
    wh = (bgr.shape[1], bgr.shape[0])
    where = f" (image {im.file_name})"
    xyxy, clipped = {}, 0
    for name, (boxes, ignore) in im.boxes.items():
        owed, n = _fit_boxes(path, where, xywh_to_xyxy(boxes), wh)
        hidden, m = _fit_boxes(path, where, xywh_to_xyxy(ignore), wh)
        xyxy[name] = (owed, hidden)
        clipped += n + m
    return bgr, xyxy, clipped


def frames_from_coco(
    path: Path,
    character: str,
    *,
    allow_outside_images: bool = False,
    warn: Callable[[str], None] = warn_once,
) -> Iterator[AnnotatedFrame]:
    """COCO JSON: boxes of the category named `character` (case-insensitive); every other
    category's boxes as `others_xyxy`."""
    names, images = _read_coco(path, allow_outside_images)
    character = character.lower()
    if character not in names:
        raise ValueError(f"{path}: no category named {character!r} (has: {', '.join(names)})")
    empty = (as_boxes([]), as_boxes([]))
    clipped = 0
    for im in images:
        bgr, xyxy, n = _coco_frame(path, im)
        clipped += n
        owed, ignore = xyxy.get(character, empty)
        others = [b for name, pair in xyxy.items() if name != character for b in pair]
        yield AnnotatedFrame(
            str(im.path), bgr, owed, ignore, np.concatenate([as_boxes([]), *others])
        )
    _say_clipped(path, clipped, warn)


def boxes_by_character(
    path: Path, *, allow_outside_images: bool = False, warn: Callable[[str], None] = warn_once
) -> Iterator[tuple[Path, np.ndarray, dict[str, np.ndarray], np.ndarray]]:
    """Every annotated image of a COCO file (every category) or an `opencv_annotation` list (one
    character, named by the list's file name: `bunny.txt`): (image, BGR, {character: face boxes},
    the boxes of any character marked "don't care"), boxes xyxy. Each image is decoded once.

    Every character name passes `core.names.check_name`, so it may name a folder; images lie
    under the annotation file's folder unless `allow_outside_images`.
    """
    if path.suffix.lower() == ".json":
        names, images = _read_coco(path, allow_outside_images)
        clipped = 0
        for im in images:
            bgr, xyxy, n = _coco_frame(path, im)
            clipped += n
            boxes = {c: xyxy[c][0] if c in xyxy else as_boxes([]) for c in names}
            hidden = np.concatenate([as_boxes([])] + [ignore for _, ignore in xyxy.values()])
            yield im.path, bgr, boxes, hidden
        _say_clipped(path, clipped, warn)
    elif path.suffix.lower() == ".txt":
        character = check_name(path.stem.lower(), what="character", source=path)
        listed = frames_from_annotation_list(
            path, allow_outside_images=allow_outside_images, warn=warn
        )
        for f in listed:
            yield Path(f.source), f.image, {character: f.boxes_xyxy}, f.ignore_xyxy
    else:
        raise ValueError(
            f"{path}: face boxes come as COCO (.json) or an opencv_annotation list (.txt)"
        )


def check_annotations(path: Path, *, allow_outside_images: bool = False) -> None:
    """Check a COCO file (.json) or an annotation list as far as it goes without decoding an
    image: its JSON or lines, its category names, where its images lie.

    Raises:
        ValueError, OSError: naming the file and the first problem, as its reader would.
    """
    if path.suffix.lower() == ".json":
        _read_coco(path, allow_outside_images)
    else:
        _read_list(path, allow_outside_images)


def frames_from(
    source: Path,
    character: str,
    frame_step: int = 1,
    *,
    allow_outside_images: bool = False,
    warn: Callable[[str], None] = warn_once,
) -> Iterator[AnnotatedFrame]:
    """Annotated frames from a truth folder, a `.txt` annotation list or a `.json` COCO file
    (whose images must lie under its folder unless `allow_outside_images`)."""
    if source.is_dir():
        return frames_from_truth(source, character, frame_step)
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such file or folder")
    if source.suffix.lower() == ".json":
        return frames_from_coco(
            source, character, allow_outside_images=allow_outside_images, warn=warn
        )
    return frames_from_annotation_list(source, allow_outside_images=allow_outside_images, warn=warn)
