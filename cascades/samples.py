"""Where training windows come from: annotated frames, read from truth files or annotation lists.

Three sources give the same thing, `AnnotatedFrame`s (a grey image and the character's face boxes):
- a folder of `toon synth episodes` output (`<id>.mp4` + `<id>.truth.csv`),
- OpenCV's `opencv_annotation` list (`path n x y w h ...`, paths relative to the list),
- COCO JSON (`images`, `annotations` with `bbox` [x, y, w, h], `categories` named by character).
Every error names the file and the problem.

An annotation file is untrusted: its category names (and a list's file name, the character's)
must pass `core.names.check_name`, since they become folder names, and the images it names must
lie under its own folder unless the caller allows otherwise (`allow_outside_images`). A box that
ends at most `EDGE_SLACK_PX` past the frame (annotation tools export floats) is clipped to it, and
the count said once per file through `warn`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from cascades.channel import Channel
from core.detections import xywh_to_xyxy
from core.names import check_name
from core.outputs import is_inside
from core.truth import DONT_CARE_VISIBLE, TruthRow, read_truth
from core.video import Frame, VideoInfo, check_regular, probe, read_frames

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
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


@dataclass(frozen=True)
class AnnotatedFrame:
    """One image and the boxes of one character in it (xyxy pixels).

    Attributes:
        image: (H, W, 3) BGR uint8, or (H, W) once projected to the cascade's channel.
        boxes_xyxy: (K, 4) faces owed a detection.
        ignore_xyxy: (M, 4) faces that are "don't care" (mostly hidden): neither positives nor
            negatives.
        others_xyxy: (L, 4) faces of other characters, where the source names them.
    """

    source: str
    image: np.ndarray
    boxes_xyxy: np.ndarray
    ignore_xyxy: np.ndarray
    others_xyxy: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))

    def __post_init__(self) -> None:
        for name in ("boxes_xyxy", "ignore_xyxy", "others_xyxy"):
            arr = getattr(self, name)
            if arr.ndim != 2 or arr.shape[1] != 4:
                raise ValueError(f"{self.source}: {name} must be (K, 4), got {arr.shape}")

    @property
    def all_faces_xyxy(self) -> np.ndarray:
        return np.concatenate([self.boxes_xyxy, self.ignore_xyxy])

    def projected(self, channel: Channel) -> AnnotatedFrame:
        """The same frame seen through a cascade's `Channel`."""
        return replace(self, image=channel.apply(self.image))


def _boxes(rows: list[tuple[float, float, float, float]]) -> np.ndarray:
    return np.array(rows, np.float64).reshape(-1, 4)


def _fit_box(
    path: Path, where: str, xyxy: tuple[float, ...], wh: tuple[int, int], slack_px: float = 0.0
) -> tuple[tuple[float, float, float, float], bool]:
    """The box, clipped to the frame when it ends at most `slack_px` past it, and whether it was.

    Raises:
        ValueError: naming the file, when the box has no width or height, or lies further out.
    """
    x1, y1, x2, y2 = (float(v) for v in xyxy)
    w, h = wh
    box = f"{x1:g},{y1:g},{x2:g},{y2:g}"
    for side, size in (("width", x2 - x1), ("height", y2 - y1)):
        if size <= 0:
            kind = "negative" if size < 0 else "zero"
            raise ValueError(f"{path}{where}: box {box} has a {kind} {side} ({size:g} px)")
    if 0 <= x1 and x2 <= w and 0 <= y1 and y2 <= h:
        return (x1, y1, x2, y2), False
    clipped = (max(x1, 0.0), max(y1, 0.0), min(x2, float(w)), min(y2, float(h)))
    near = -slack_px <= x1 and x2 <= w + slack_px and -slack_px <= y1 and y2 <= h + slack_px
    if near and clipped[0] < clipped[2] and clipped[1] < clipped[3]:
        return clipped, True
    raise ValueError(f"{path}{where}: box {box} lies outside the {w}x{h} frame")


def _check_box(path: Path, where: str, xyxy: tuple[float, ...], wh: tuple[int, int]) -> None:
    """Raise unless the box lies inside the frame, with a width and a height (truth files: the
    product writes them, so no slack)."""
    _fit_box(path, where, xyxy, wh)


def _fit_boxes(
    path: Path, where: str, boxes_xyxy: np.ndarray, wh: tuple[int, int]
) -> tuple[np.ndarray, int]:
    """(K, 4) boxes of an annotation file, each fitted by `_fit_box` with `EDGE_SLACK_PX`, and
    how many were clipped."""
    fitted = [_fit_box(path, where, tuple(b), wh, EDGE_SLACK_PX) for b in boxes_xyxy]
    return _boxes([b for b, _ in fitted]), sum(clipped for _, clipped in fitted)


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


def truth_episodes(folder: Path) -> list[tuple[Path, Path]]:
    """(video, truth) pairs in `folder`; raises ValueError when there are none."""
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder}: not a folder")
    pairs = []
    for truth in sorted(folder.glob("*.truth.csv")):
        video = truth.with_name(truth.name.removesuffix(".truth.csv") + ".mp4")
        if not video.exists():
            raise ValueError(f"{truth}: no video {video.name} beside it")
        pairs.append((video, truth))
    if not pairs:
        raise ValueError(f"{folder}: no *.truth.csv files (write some with `toon synth episodes`)")
    return pairs


@dataclass(frozen=True)
class TruthFrame:
    """One decoded frame of an episode and every truth row drawn in it (checked against it)."""

    source: str  # "<video>:<frame index>"
    frame: Frame
    rows: tuple[TruthRow, ...]

    def faces_of(self, character: str) -> tuple[np.ndarray, np.ndarray]:
        """The character's (K, 4) faces owed a detection and its (M, 4) "don't care" ones."""
        mine = [r for r in self.rows if r.character == character]
        return (
            _boxes([r.xyxy for r in mine if r.visible >= DONT_CARE_VISIBLE]),
            _boxes([r.xyxy for r in mine if r.visible < DONT_CARE_VISIBLE]),
        )


def _checked_truth(video: Path, truth: Path) -> tuple[VideoInfo, dict[int, list[TruthRow]]]:
    """The video's size and frame count, and its truth rows by frame, all checked against it."""
    info = probe(video)
    by_frame: dict[int, list[TruthRow]] = {}
    for row in read_truth(truth):
        _check_box(truth, f" (frame {row.frame})", row.xyxy, info.resolution_wh)
        if not 0 <= row.frame < info.frames:
            raise ValueError(
                f"{truth}: frame {row.frame} is outside {video.name}, which has "
                f"{info.frames} frames"
            )
        by_frame.setdefault(row.frame, []).append(row)
    return info, by_frame


def check_truth_folder(folder: Path) -> None:
    """Check every truth file in `folder` against its video's header, decoding nothing.

    Raises:
        ValueError, OSError: the first bad episode, as `truth_frames` would find it.
    """
    for video, truth in truth_episodes(folder):
        _checked_truth(video, truth)


def truth_frames(folder: Path, frame_step: int = 1) -> Iterator[TruthFrame]:
    """Every `frame_step`-th frame of every episode in `folder`, one at a time, with its truth.

    Each truth file is checked whole before its video is read: every box inside the frame,
    every frame number inside the video. Frames come from `core.video.read_frames` and stop
    at the frame count the container states (the count the truth is checked against); a video
    that ends before it is an error.
    """
    for video, truth in truth_episodes(folder):
        info, by_frame = _checked_truth(video, truth)
        stream = read_frames(video, frame_step=frame_step)
        for frame in stream:
            if frame.index >= info.frames:
                break
            rows = tuple(by_frame.get(frame.index, ()))
            yield TruthFrame(f"{video}:{frame.index}", frame, rows)
        if stream.frames_decoded < info.frames:  # the video ends before its stated length
            raise ValueError(f"{video}: cannot decode frame {stream.frames_decoded}")


def frames_from_truth(
    folder: Path, character: str, frame_step: int = 1
) -> Iterator[AnnotatedFrame]:
    """Every `frame_step`-th frame of every episode in `folder`, with `character`'s faces.

    The frames and checks of `truth_frames`; other characters' faces, however hidden, are kept
    as `others_xyxy`.
    """
    for tf in truth_frames(folder, frame_step):
        owed, ignore = tf.faces_of(character)
        others = _boxes([r.xyxy for r in tf.rows if r.character != character])
        yield AnnotatedFrame(tf.source, tf.frame.bgr, owed, ignore, others)


def _read_image(path: Path) -> np.ndarray:
    check_regular(path, what="an image")  # a pipe would block the decoder; a folder is no image
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f"{path}: cannot decode image (corrupt or not an image)")
    return img


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
        bgr = _read_image(image)
        fitted, n = _fit_boxes(path, f":{line_no}", boxes, (bgr.shape[1], bgr.shape[0]))
        clipped += n
        yield AnnotatedFrame(str(image), bgr, fitted, _boxes([]))
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
    bgr = _read_image(im.path)
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
    empty = (_boxes([]), _boxes([]))
    clipped = 0
    for im in images:
        bgr, xyxy, n = _coco_frame(path, im)
        clipped += n
        owed, ignore = xyxy.get(character, empty)
        others = [b for name, pair in xyxy.items() if name != character for b in pair]
        yield AnnotatedFrame(str(im.path), bgr, owed, ignore, np.concatenate([_boxes([]), *others]))
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
            boxes = {c: xyxy[c][0] if c in xyxy else _boxes([]) for c in names}
            hidden = np.concatenate([_boxes([])] + [ignore for _, ignore in xyxy.values()])
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


def background_paths(folder: Path) -> list[Path]:
    """The images in `folder`, sorted; raises when it is no folder or holds none."""
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder}: not a folder")
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        raise ValueError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)})")
    return paths


def background_images(folder: Path) -> Iterator[AnnotatedFrame]:
    """Pictures that contain none of the character, as frames with no boxes."""
    for p in background_paths(folder):
        yield AnnotatedFrame(str(p), _read_image(p), _boxes([]), _boxes([]))
