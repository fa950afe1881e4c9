"""Reading episodes: the one frame reader, with the decoder's own timestamps.

Every stage that needs pictures from a video (cascade training and scoring, the indexer, the
benchmarks) reads them here, one frame at a time, so memory does not grow with the episode.
Timestamps come from the decoder (`CAP_PROP_POS_MSEC`), not from `index / fps`: variable frame
rate files are real, and their frames are not evenly spaced.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

VIDEO_SUFFIXES = (".mp4", ".mkv", ".avi", ".mov", ".webm")


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video, before any frame is decoded.

    `frames` and `duration_s` are the container's estimates (0 when it does not say).
    """

    path: Path
    frames: int
    fps: float
    width: int
    height: int

    @property
    def resolution_wh(self) -> tuple[int, int]:
        return (self.width, self.height)

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps if self.fps > 0 else 0.0


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its index in the stream, its timestamp and its pixels (H, W, 3) BGR."""

    index: int
    time_s: float
    bgr: np.ndarray


def _open(path: Path) -> cv2.VideoCapture:
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such video")
    if not path.is_file():
        raise ValueError(f"{path}: not a file")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise ValueError(f"{path}: cannot open video (not a video, or a codec the decoder lacks)")
    return cap


def probe(path: Path) -> VideoInfo:
    """The container's frame count, rate and size; raises ValueError when it is no video."""
    cap = _open(path)
    try:
        info = VideoInfo(
            path=path,
            frames=max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0),
            fps=float(cap.get(cv2.CAP_PROP_FPS) or 0.0),
            width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        )
    finally:
        cap.release()
    if info.width <= 0 or info.height <= 0:
        raise ValueError(f"{path}: no video stream")
    return info


class FrameStream:
    """Frames of one video, decoded lazily; see `read_frames`.

    After (or during) iteration, `frames_decoded` and `last_time_s` tell how much of the
    stream was decoded, sampled or not.
    """

    def __init__(self, path: Path, sample_fps: float | None, frame_step: int) -> None:
        if sample_fps is not None and not (math.isfinite(sample_fps) and sample_fps > 0):
            raise ValueError(f"sample_fps must be a positive number, got {sample_fps}")
        if frame_step < 1:
            raise ValueError(f"frame_step must be >= 1, got {frame_step}")
        self.path = path
        self.sample_fps = sample_fps
        self.frame_step = frame_step
        self.frames_decoded = 0
        self.last_time_s = 0.0
        self._frames = self._generate()

    def __iter__(self) -> FrameStream:
        return self

    def __next__(self) -> Frame:
        return next(self._frames)

    def _generate(self) -> Iterator[Frame]:
        cap = _open(self.path)
        try:
            next_tick = 0.0
            while cap.grab():
                index = self.frames_decoded
                time_s = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                self.frames_decoded += 1
                self.last_time_s = time_s
                if self.sample_fps is not None:
                    wanted = time_s >= next_tick - 1e-6
                    if wanted:  # the next grid point after this frame: no bursts after a gap
                        next_tick = (math.floor(time_s * self.sample_fps + 1e-6) + 1) / (
                            self.sample_fps
                        )
                else:
                    wanted = index % self.frame_step == 0
                if wanted:
                    ok, bgr = cap.retrieve()
                    if not ok:
                        raise ValueError(f"{self.path}: cannot decode frame {index}")
                    yield Frame(index=index, time_s=time_s, bgr=bgr)
            if self.frames_decoded == 0:
                raise ValueError(f"{self.path}: no frame could be decoded (empty or damaged video)")
        finally:
            cap.release()


def read_frames(path: Path, sample_fps: float | None = None, frame_step: int = 1) -> FrameStream:
    """Decode `path` lazily, yielding the frames asked for.

    Args:
        path: a video file any FFmpeg build decodes.
        sample_fps: keep the first frame at or after each tick of a `1 / sample_fps` second
            grid on the decoder's clock (None keeps every frame). Frames between ticks are
            grabbed but not converted to pixels, which is most of the saving.
        frame_step: keep every `frame_step`-th frame by index instead (1 = every frame).

    Raises:
        ValueError: bad arguments (at once), or, while iterating, the file is not a video or
            not a single frame could be decoded.

    Example:
        >>> for frame in read_frames(Path("ep.mp4"), sample_fps=2):
        ...     print(frame.index, frame.time_s, frame.bgr.shape)
    """
    return FrameStream(path, sample_fps, frame_step)


def count_frames(path: Path) -> tuple[int, float]:
    """Decode every frame without converting it: (frames, timestamp of the last one in s)."""
    cap = _open(path)
    n, last = 0, 0.0
    try:
        while cap.grab():
            last = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            n += 1
    finally:
        cap.release()
    return n, last


def find_videos(paths: list[Path]) -> list[Path]:
    """Video files named directly or found under folders (recursively), sorted, without repeats.

    Raises:
        FileNotFoundError: a path does not exist.
    """
    found: list[Path] = []
    for p in paths:
        if not p.exists():
            raise FileNotFoundError(f"{p}: no such file or folder")
        if p.is_dir():
            found += sorted(
                q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in VIDEO_SUFFIXES
            )
        else:
            found.append(p)
    seen: set[Path] = set()
    out = []
    for p in found:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
