"""Frames to annotate: the first step of teaching the tool a new character.

A person draws face boxes on a few hundred frames (with `opencv_annotation`, CVAT or any tool
that writes COCO); those frames should cover every shot, since a shot is one background, one
camera and one set of poses, and frames within a shot are near copies. `pick_frames` decodes
an episode once, finds the cuts by how much a small grey thumbnail changes from one frame to
the next, and keeps one frame `every_s` seconds within each shot, starting a little into the
shot (cuts, fades and motion blur sit at its edges); a shot too short for that gives its last
frame.
"""

from __future__ import annotations

import csv
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from core.video import Frame, probe, read_frames

THUMB_WH = (64, 36)  # cut detection compares frames at this size: fast, blind to grain
# Mean change of the thumbnail, in grey levels (0-255), that marks a cut rather than motion: on
# the 4 demo episodes (seed 2017) every cut changed it by 27.6 or more, motion within a shot by
# 18.8 at most.
CUT_MEAN_ABS_DIFF = 22.0
INTO_SHOT_S = 0.5  # the first pick of a shot is this far in (or every_s / 2 when shorter)
MANIFEST = "frames.csv"


@dataclass(frozen=True)
class Pick:
    """A frame chosen for annotation: where it is in the episode and which shot it is in."""

    frame: Frame
    shot: int  # 0-based, in order of appearance


def _thumb(bgr: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    return cv2.resize(grey, THUMB_WH, interpolation=cv2.INTER_AREA).astype(np.float32)


def pick_frames(video: Path, every_s: float) -> Iterator[Pick]:
    """Frames of `video` to annotate, in order: within each shot one at `min(INTO_SHOT_S,
    every_s / 2)` seconds in, then one every `every_s` seconds; a shorter shot, its last frame.

    Example:
        >>> [(p.frame.index, p.shot) for p in pick_frames(Path("ep.mp4"), every_s=2.0)][:3]
        [(12, 0), (60, 0), (103, 1)]
    """
    if not (math.isfinite(every_s) and every_s > 0):
        raise ValueError(f"--every must be a positive number of seconds, got {every_s}")
    first_offset = min(INTO_SHOT_S, every_s / 2)
    shot, next_pick, picked_in_shot = 0, None, False
    previous: Frame | None = None
    before = None
    for frame in read_frames(video):
        thumb = _thumb(frame.bgr)
        if next_pick is None:  # the first frame starts the first shot, whatever its timestamp
            next_pick = frame.time_s + first_offset
        elif float(np.abs(thumb - before).mean()) > CUT_MEAN_ABS_DIFF:
            if not picked_in_shot and previous is not None:
                yield Pick(previous, shot)  # a shot shorter than the first pick's offset
            shot, picked_in_shot = shot + 1, False
            next_pick = frame.time_s + first_offset
        elif previous is not None and frame.time_s < previous.time_s:
            next_pick = min(next_pick, frame.time_s + every_s)  # timestamps went back: go on
        if frame.time_s >= next_pick - 1e-6:
            yield Pick(frame, shot)
            picked_in_shot = True
            # the next grid point after this frame: no burst of picks after a gap
            next_pick += every_s * (math.floor((frame.time_s - next_pick) / every_s + 1e-6) + 1)
        before, previous = thumb, frame
    if not picked_in_shot and previous is not None:
        yield Pick(previous, shot)


def write_frames(videos: list[Path], out: Path, every_s: float) -> dict:
    """Write `OUT/<episode>_<frame>.png` for every pick of every video, and `OUT/frames.csv`
    (image, episode, frame, time_s, shot): a folder `opencv_annotation --images` opens as is.
    The folder is built beside OUT and renamed into place whole: a bad video, found before or
    during decoding, leaves nothing behind. OUT must not exist or be empty."""
    if not videos:
        raise ValueError("no videos given (mp4, mkv, avi, mov, webm files or folders of them)")
    stems = [v.stem for v in videos]
    repeated = sorted({s for s in stems if stems.count(s) > 1})
    if repeated:
        raise ValueError(f"two episodes are named {repeated[0]}: their frames would collide")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out}: exists and is not an empty folder")
    for video in videos:  # every file is a video before the first frame is decoded
        probe(video)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        rows, shots = [], 0
        for video in videos:
            last_shot = -1
            for pick in pick_frames(video, every_s):
                name = f"{video.stem}_{pick.frame.index:06d}.png"
                if not cv2.imwrite(str(tmp / name), pick.frame.bgr):
                    raise OSError(f"{out / name}: cannot write the frame")
                time_s = f"{pick.frame.time_s:.3f}"
                rows.append((name, video.stem, pick.frame.index, time_s, pick.shot))
                last_shot = pick.shot
            shots += last_shot + 1
        with (tmp / MANIFEST).open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["image", "episode", "frame", "time_s", "shot"])
            writer.writerows(rows)
        if out.exists():
            out.rmdir()  # empty, checked above
        os.replace(tmp, out)  # the whole folder appears at once, or none of it
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"out": str(out), "episodes": len(videos), "shots": shots, "frames": len(rows)}
