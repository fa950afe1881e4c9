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
from synth.truth import DONT_CARE_VISIBLE, read_truth


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


def frames_from_truth(
    folder: Path, character: str, frame_step: int = 1
) -> Iterator[AnnotatedFrame]:
    """Every `frame_step`-th frame of every episode in `folder`, with `character`'s faces.

    Each truth file is checked whole before its video is read: every box inside the frame,
    every frame number inside the video.
    """
    for video, truth in truth_episodes(folder):
        cap = cv2.VideoCapture(str(video))
        if not cap.isOpened():
            raise ValueError(f"{video}: cannot open video")
        wh = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        n_frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        by_frame: dict[int, list] = {}
        for row in read_truth(truth):
            _check_box(truth, f" (frame {row.frame})", row.xyxy, wh)
            if not 0 <= row.frame < n_frames:
                raise ValueError(
                    f"{truth}: frame {row.frame} is outside {video.name}, which has "
                    f"{n_frames} frames"
                )
            by_frame.setdefault(row.frame, []).append(row)
        for index in range(n_frames):
            if not cap.grab():
                raise ValueError(f"{video}: cannot decode frame {index}")
            if index % frame_step:
                continue
            ok, bgr = cap.retrieve()
            if not ok:
                raise ValueError(f"{video}: cannot decode frame {index}")
            rows = by_frame.get(index, [])
            mine = [r for r in rows if r.character == character]
            yield AnnotatedFrame(
                f"{video}:{index}",
                bgr,
                _boxes([r.xyxy for r in mine if r.visible >= DONT_CARE_VISIBLE]),
                _boxes([r.xyxy for r in mine if r.visible < DONT_CARE_VISIBLE]),
                _boxes([r.xyxy for r in rows if r.character != character]),
            )
        cap.release()


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
        boxes = [(x, y, x + w, y + h) for x, y, w, h in np.reshape(nums, (-1, 4))]
        for b in boxes:
            _check_box(path, f":{line_no}", b, (bgr.shape[1], bgr.shape[0]))
        yield AnnotatedFrame(str(image), bgr, _boxes(boxes), _boxes([]))


def frames_from_coco(path: Path, character: str) -> Iterator[AnnotatedFrame]:
    """COCO JSON: boxes of the category named `character` (case-insensitive)."""
    try:
        coco = json.loads(path.read_text())
        cats = {c["id"]: c["name"].lower() for c in coco["categories"]}
        images = {im["id"]: im for im in coco["images"]}
        anns = coco["annotations"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not COCO JSON ({exc})") from None
    wanted = [k for k, v in cats.items() if v == character.lower()]
    if not wanted:
        raise ValueError(
            f"{path}: no category named {character!r} (has: {', '.join(sorted(cats.values()))})"
        )
    per_image: dict = {i: ([], []) for i in images}
    for a in anns:
        if a.get("category_id") in wanted:
            x, y, w, h = a["bbox"]
            per_image[a["image_id"]][1 if a.get("iscrowd") else 0].append((x, y, x + w, y + h))
    for image_id, (boxes, ignore) in per_image.items():
        im = images[image_id]
        image = (path.parent / im["file_name"]).resolve()
        bgr = _read_image(image)
        for b in boxes + ignore:
            _check_box(path, f" (image {im['file_name']})", b, (bgr.shape[1], bgr.shape[0]))
        yield AnnotatedFrame(str(image), bgr, _boxes(boxes), _boxes(ignore))


def frames_from(source: Path, character: str, frame_step: int = 1) -> Iterator[AnnotatedFrame]:
    """Annotated frames from a truth folder, a `.txt` annotation list or a `.json` COCO file."""
    if source.is_dir():
        return frames_from_truth(source, character, frame_step)
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such file or folder")
    if source.suffix.lower() == ".json":
        return frames_from_coco(source, character)
    return frames_from_annotation_list(source)


def background_images(folder: Path) -> Iterator[AnnotatedFrame]:
    """Pictures that contain none of the character, as frames with no boxes."""
    paths = sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp", ".webp")
    )
    if not paths:
        raise ValueError(f"{folder}: no images (.png, .jpg, .jpeg, .bmp, .webp)")
    for p in paths:
        yield AnnotatedFrame(str(p), _read_image(p), _boxes([]), _boxes([]))
