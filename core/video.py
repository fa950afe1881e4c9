"""Video in and out: the one frame reader, with the decoder's own timestamps, and the H.264 writer.

Every stage that needs pictures from a video (cascade training and scoring, the indexer, the
benchmarks) reads them here, one frame at a time, so memory does not grow with the episode.
Timestamps come from the decoder (`CAP_PROP_POS_MSEC`), not from `index / fps`: variable frame
rate files are real, and their frames are not evenly spaced.
"""

from __future__ import annotations

import errno
import math
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import cv2
import imageio_ffmpeg
import numpy as np

VIDEO_SUFFIXES = (".mp4", ".mkv", ".avi", ".mov", ".webm")
# The largest frame the decoder is asked for (4096 x 4096, as for uploads): an 8K-square file is
# refused from its header, before a frame of it is decoded.
MAX_PIXELS = 4096 * 4096
# A stream that ends before this share of the frames its header promises is cut short.
COMPLETE_SHARE = 0.9
_BY_DESCRIPTOR = os.path.isdir("/proc/self/fd")  # Linux: the decoder opens our descriptor
_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a pipe",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
}


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


def located(path: Path) -> Path:
    """`path` made absolute, the links among its folders followed but not `path`'s own: the
    entry a user sees, named so even when it is a link that leads nowhere (its target gone,
    links pointing at each other in a loop). Never raises."""
    try:
        return path.parent.resolve() / path.name
    except (OSError, RuntimeError):  # a loop among the folders (RuntimeError before 3.13)
        return Path(os.path.abspath(path))


def _target(path: Path) -> Path:
    """Where `path` leads, links followed; `located(path)` where it leads nowhere."""
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, a dangling link, a loop
        return located(path)


def check_regular(path: Path, what: str = "a video file") -> None:
    """FileNotFoundError, ValueError or OSError, each naming `path` and why, unless `path` is a
    regular file; never blocks (a pipe named like a video is refused from its metadata, not
    opened)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.islink(path):
            target = os.readlink(path)
            raise FileNotFoundError(f"{path}: a link to a missing file ({target})") from None
        raise FileNotFoundError(f"{path}: no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ValueError(f"{path}: not {what} (a loop of symbolic links)") from None
        raise OSError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        raise ValueError(f"{path}: not {what} ({kind})")


def _open(path: Path) -> cv2.VideoCapture:
    """The decoder on `path` as a plain file: FFmpeg reads it through this process's descriptor,
    so no name (`http://...`, `concat:...`, `frame%02d.png`) is taken as a protocol or an image
    pattern, and a file whose frames are larger than `MAX_PIXELS` is refused before decoding."""
    check_regular(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:  # no permission to read it, gone since the check
        raise OSError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since the check
            raise ValueError(f"{path}: not a video file (not a regular file)")
        name = f"/proc/self/fd/{fd}" if _BY_DESCRIPTOR else str(path)
        # a file it cannot open is said below, in words; not as OpenCV's warning on stderr too
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        try:
            cap = cv2.VideoCapture(name, cv2.CAP_FFMPEG)
        finally:
            cv2.utils.logging.setLogLevel(level)
    finally:
        os.close(fd)  # the decoder holds its own descriptor now
    if not cap.isOpened():
        raise ValueError(f"{path}: cannot open video (not a video, or a codec the decoder lacks)")
    w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    if w * h > MAX_PIXELS:
        cap.release()
        raise ValueError(
            f"{path}: {w}x{h} frames are over the limit of {MAX_PIXELS / 1e6:.1f} million pixels"
        )
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


def next_sample_time(time_s: float, sample_fps: float) -> float:
    """After a frame sampled at `time_s`, the time the next sample is due: the next point of the
    1/`sample_fps` grid, so that a gap in the video brings no burst of samples after it."""
    return (math.floor(time_s * sample_fps + 1e-6) + 1) / sample_fps


def sampled_indices(times: Iterable[float], sample_fps: float) -> list[int]:
    """Which of frames shown at `times` a `sample_fps` pass looks at (`read_frames`' grid)."""
    kept, due = [], 0.0
    for i, t in enumerate(times):
        if t >= due - 1e-6:
            kept.append(i)
            due = next_sample_time(t, sample_fps)
    return kept


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
        promised = max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        try:
            next_tick = 0.0
            while cap.grab():
                index = self.frames_decoded
                time_s = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                self.frames_decoded += 1
                self.last_time_s = time_s
                if self.sample_fps is not None:
                    wanted = time_s >= next_tick - 1e-6
                    if wanted:
                        next_tick = next_sample_time(time_s, self.sample_fps)
                else:
                    wanted = index % self.frame_step == 0
                if wanted:
                    ok, bgr = cap.retrieve()
                    if not ok:
                        raise ValueError(f"{self.path}: cannot decode frame {index}")
                    yield Frame(index=index, time_s=time_s, bgr=bgr)
            if self.frames_decoded == 0:
                raise ValueError(f"{self.path}: no frame could be decoded (empty or damaged video)")
            # short of both the frames and the time the header promises (a count alone can be
            # an estimate: duration x rate, which variable-rate files miss)
            short_s = fps <= 0 or self.last_time_s + 1 / fps < COMPLETE_SHARE * promised / fps
            if self.frames_decoded < COMPLETE_SHARE * promised and short_s:
                raise ValueError(
                    f"{self.path}: cut short (its header promises {promised} frames, "
                    f"{self.frames_decoded} could be decoded)"
                )
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


def find_videos(paths: list[Path], every_entry: bool = False) -> list[Path]:
    """Video files named directly or found under folders (recursively), sorted, without repeats.

    With `every_entry`, also what cannot be a video but asks to be one, so that the caller can
    say why of each: a named path that does not exist, and whatever under a folder has a video
    suffix but is no regular file (a folder or a pipe named `x.mp4`, a link to nothing, links
    in a loop). Two entries that lead to one file are one.

    Raises:
        FileNotFoundError: a path does not exist (unless `every_entry`).
    """
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found += sorted(
                q
                for q in p.rglob("*")
                if q.suffix.lower() in VIDEO_SUFFIXES and (q.is_file() or every_entry)
            )
        elif p.exists() or every_entry:
            found.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such file or folder")
    seen: set[Path] = set()
    out = []
    for p in found:
        key = _target(p)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


# Writing: H.264 with the ffmpeg that imageio-ffmpeg bundles (cv2.VideoWriter has no x264).


class VideoSink:
    """Context manager that writes RGB frames to an H.264 MP4 that browsers play.

    The file appears under its final name only when the block ends without an error.

    Example:
        >>> with VideoSink(Path("ep.mp4"), resolution_wh=(640, 360), fps=24) as sink:
        ...     sink.write(np.zeros((360, 640, 3), np.uint8))
    """

    def __init__(
        self, path: Path, resolution_wh: tuple[int, int], fps: int, crf: int = 23, threads: int = 1
    ) -> None:
        width, height = resolution_wh
        if width % 2 or height % 2:
            raise ValueError(f"H.264 needs an even width and height, got {width}x{height}")
        self.path = path
        self.resolution_wh = resolution_wh
        # a name of its own, made here (O_EXCL): a failure removes this file and nothing else,
        # whatever a person keeps beside the video
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.stem}.", suffix=".part" + path.suffix, dir=path.parent
        )
        os.close(fd)
        self._tmp = Path(tmp)
        self._writer = imageio_ffmpeg.write_frames(
            str(self._tmp),
            resolution_wh,
            fps=fps,
            codec="libx264",
            quality=None,
            pix_fmt_out="yuv420p",
            macro_block_size=2,
            output_params=[
                "-crf",
                str(crf),
                "-preset",
                "veryfast",
                "-threads",
                str(threads),
                "-movflags",
                "+faststart",
            ],
        )
        self._writer.send(None)  # start ffmpeg
        self.frames = 0

    def write(self, rgb: np.ndarray) -> None:
        """Append one frame, (H, W, 3) uint8 RGB."""
        if rgb.shape != (self.resolution_wh[1], self.resolution_wh[0], 3) or rgb.dtype != np.uint8:
            raise ValueError(
                f"frame of shape {rgb.shape} {rgb.dtype} does not fit "
                f"{self.resolution_wh[0]}x{self.resolution_wh[1]} uint8 RGB"
            )
        self._writer.send(np.ascontiguousarray(rgb))
        self.frames += 1

    def __enter__(self) -> VideoSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._writer.close()
        if exc_type is None:
            os.replace(self._tmp, self.path)
        else:
            self._tmp.unlink(missing_ok=True)
