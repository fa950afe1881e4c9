"""Where training windows come from: annotated frames, and the episodes' truth files.

Three sources give the same thing, `AnnotatedFrame`s (a grey image and the character's face boxes):
- a folder of `toon synth episodes` output (`<id>.mp4` + `<id>.truth.csv`), read here,
- OpenCV's `opencv_annotation` list (`path n x y w h ...`, paths relative to the list),
- COCO JSON (`images`, `annotations` with `bbox` [x, y, w, h], `categories` named by character),
the last two read by `cascades/annotations.py`, which also holds `frames_from`, the reader for
any of the three. This module also holds what they share (the frame, its boxes checked against
the frame, an image decoded) and the background pictures, which hold no face. Every error names
the file and the problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from cascades.channel import Channel
from core.truth import DONT_CARE_VISIBLE, TruthRow, read_truth
from core.video import Frame, VideoInfo, check_regular, probe, read_frames

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


def as_boxes(rows: list[tuple[float, float, float, float]]) -> np.ndarray:
    """xyxy rows as a (K, 4) float64 array; (0, 4) when there are none."""
    return np.array(rows, np.float64).reshape(-1, 4)


def fit_box(
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
    fit_box(path, where, xyxy, wh)


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
            as_boxes([r.xyxy for r in mine if r.visible >= DONT_CARE_VISIBLE]),
            as_boxes([r.xyxy for r in mine if r.visible < DONT_CARE_VISIBLE]),
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
        others = as_boxes([r.xyxy for r in tf.rows if r.character != character])
        yield AnnotatedFrame(tf.source, tf.frame.bgr, owed, ignore, others)


def read_image(path: Path) -> np.ndarray:
    """The (H, W, 3) BGR image at `path`; ValueError naming it when it cannot be decoded."""
    check_regular(path, what="an image")  # a pipe would block the decoder; a folder is no image
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f"{path}: cannot decode image (corrupt or not an image)")
    return img


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
        yield AnnotatedFrame(str(p), read_image(p), as_boxes([]), as_boxes([]))
