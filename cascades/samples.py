"""Where training windows come from: annotated frames, read from truth files or annotation lists.

Three sources give the same thing, `AnnotatedFrame`s (a grey image and the character's face boxes):
- a folder of `toon synth episodes` output (`<id>.mp4` + `<id>.truth.csv`),
- OpenCV's `opencv_annotation` list (`path n x y w h ...`, paths relative to the list),
- COCO JSON (`images`, `annotations` with `bbox` [x, y, w, h], `categories` named by character).
Every error names the file and the problem.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from cascades.channel import Channel
from synth.detections import xywh_to_xyxy
from synth.frames import Frame, VideoInfo, probe, read_frames
from synth.truth import DONT_CARE_VISIBLE, TruthRow, read_truth

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


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


def _check_box(path: Path, where: str, xyxy: tuple[float, ...], wh: tuple[int, int]) -> None:
    x1, y1, x2, y2 = xyxy
    w, h = wh
    if not (0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h):
        raise ValueError(
            f"{path}{where}: box {x1:g},{y1:g},{x2:g},{y2:g} lies outside the {w}x{h} frame"
        )


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
    every frame number inside the video. Frames come from `synth.frames.read_frames` and stop
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
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such image")
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f"{path}: cannot decode image (corrupt or not an image)")
    return img


def frames_from_annotation_list(path: Path) -> Iterator[AnnotatedFrame]:
    """OpenCV's `opencv_annotation` output: `image_path n x y w h [x y w h ...]` per line."""
    for line_no, line in enumerate(path.read_text().splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        try:
            n = int(parts[1])
            nums = [int(float(v)) for v in parts[2:]]
        except (IndexError, ValueError):
            raise ValueError(f"{path}:{line_no}: expected `path n x y w h ...`") from None
        if len(nums) != 4 * n:
            raise ValueError(f"{path}:{line_no}: says {n} boxes but gives {len(nums)} numbers")
        image = (path.parent / parts[0]).resolve()
        bgr = _read_image(image)
        boxes = xywh_to_xyxy(nums)
        for b in boxes:
            _check_box(path, f":{line_no}", tuple(b), (bgr.shape[1], bgr.shape[0]))
        yield AnnotatedFrame(str(image), bgr, boxes, _boxes([]))


@dataclass(frozen=True)
class _CocoImage:
    """One image of a COCO file: its path and, per category name, (face boxes, "don't care"
    boxes), xywh as the file gives them."""

    path: Path
    file_name: str
    boxes: dict[str, tuple[list, list]]


def _read_coco(path: Path) -> tuple[list[str], list[_CocoImage]]:
    """The category names and the images of a COCO file, in the file's order; ValueError naming
    the file and what is wrong."""
    try:
        coco = json.loads(path.read_text())
        cats = {c["id"]: str(c["name"]).lower() for c in coco["categories"]}
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
        _CocoImage((path.parent / name).resolve(), name, boxes) for name, boxes in images.values()
    ]


def _coco_frame(path: Path, im: _CocoImage) -> tuple[np.ndarray, dict[str, tuple]]:
    """The image, decoded once, and its boxes per category as xyxy arrays, each checked."""
    bgr = _read_image(im.path)
    xyxy = {}
    for name, (boxes, ignore) in im.boxes.items():
        xyxy[name] = (xywh_to_xyxy(boxes), xywh_to_xyxy(ignore))
        for b in np.concatenate(xyxy[name]):
            _check_box(path, f" (image {im.file_name})", tuple(b), (bgr.shape[1], bgr.shape[0]))
    return bgr, xyxy


def frames_from_coco(path: Path, character: str) -> Iterator[AnnotatedFrame]:
    """COCO JSON: boxes of the category named `character` (case-insensitive); every other
    category's boxes as `others_xyxy`."""
    names, images = _read_coco(path)
    character = character.lower()
    if character not in names:
        raise ValueError(f"{path}: no category named {character!r} (has: {', '.join(names)})")
    empty = (_boxes([]), _boxes([]))
    for im in images:
        bgr, xyxy = _coco_frame(path, im)
        owed, ignore = xyxy.get(character, empty)
        others = [b for name, pair in xyxy.items() if name != character for b in pair]
        yield AnnotatedFrame(str(im.path), bgr, owed, ignore, np.concatenate([_boxes([]), *others]))


def boxes_by_character(
    path: Path,
) -> Iterator[tuple[Path, np.ndarray, dict[str, np.ndarray], np.ndarray]]:
    """Every annotated image of a COCO file (every category) or an `opencv_annotation` list (one
    character, named by the list's file name: `bunny.txt`): (image, BGR, {character: face boxes},
    the boxes of any character marked "don't care"), boxes xyxy. Each image is decoded once."""
    if path.suffix.lower() == ".json":
        names, images = _read_coco(path)
        for im in images:
            bgr, xyxy = _coco_frame(path, im)
            boxes = {n: xyxy[n][0] if n in xyxy else _boxes([]) for n in names}
            hidden = np.concatenate([_boxes([])] + [ignore for _, ignore in xyxy.values()])
            yield im.path, bgr, boxes, hidden
    elif path.suffix.lower() == ".txt":
        for f in frames_from_annotation_list(path):
            yield Path(f.source), f.image, {path.stem.lower(): f.boxes_xyxy}, f.ignore_xyxy
    else:
        raise ValueError(
            f"{path}: face boxes come as COCO (.json) or an opencv_annotation list (.txt)"
        )


def frames_from(source: Path, character: str, frame_step: int = 1) -> Iterator[AnnotatedFrame]:
    """Annotated frames from a truth folder, a `.txt` annotation list or a `.json` COCO file."""
    if source.is_dir():
        return frames_from_truth(source, character, frame_step)
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such file or folder")
    if source.suffix.lower() == ".json":
        return frames_from_coco(source, character)
    return frames_from_annotation_list(source)


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
