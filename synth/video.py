"""Writing H.264 video with the ffmpeg that imageio-ffmpeg bundles (cv2.VideoWriter has no x264)."""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

import imageio_ffmpeg
import numpy as np


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
        self._tmp = path.with_name(path.stem + ".part" + path.suffix)
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
