"""Choosing a character's detection settings by a small search on validation episodes.

For each pyramid step, downscale and minimum size the cascade runs once per frame with grouping
off (timed); every `min_neighbors` is then scored by grouping those raw windows as OpenCV does.
A pass that is far over the time budget on its first frames is abandoned there: it could never
be picked, and the slowest passes would otherwise take most of the search's time.
The pick: the highest recall among settings within the time budget that rarely take another
character's face for this one and reach the precision goal; failing that, the best F1 within
the budget.

Unlike evaluation, which streams, the search holds its frames in memory (`validation_frames`,
at most `TUNE_FRAMES_MB`): every pass runs over the same frames, and decoding them again for
each of up to 100 passes would cost more than the search itself.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2

from cascades.detect import Detector, DetectSettings, load_settings, save_settings
from cascades.evaluate import EvalFrame, eval_frames, score_windows
from cascades.train import smallest_face_px as smallest_of

# A small grid: 5 x 5 x 2 x 2 detection passes over the validation frames.
SCALE_FACTORS = (1.1, 1.15, 1.2, 1.25, 1.3)
DOWNSCALES = (1.0, 0.85, 0.75, 0.65, 0.5)
MIN_SIZES_PX = (24, 40)
PADS = (0.0, 0.1)
MIN_NEIGHBORS = tuple(range(0, 9))
MAX_CONFUSION = 0.05  # of the frames showing another character, with a detection on its face
PROBE_FRAMES = 40  # frames timed before a pass may be abandoned
ABANDON_OVER = 1.5  # ... when it takes this many times the budget
# The most frame pixels the search holds at once: the shipped tuning held 1,080 640x360 frames
# (about 750 MB); beyond this, a larger frame step gives the same picture for less memory.
TUNE_FRAMES_MB = 2048


@dataclass(frozen=True)
class TuneGoals:
    """What the pick must reach."""

    max_ms: float = 15.0  # time budget per 640x360 frame on one core
    min_precision: float = 0.9  # the highest recall reaching it wins

    def __post_init__(self) -> None:
        if not 0 < self.max_ms < math.inf:
            raise ValueError(f"max_ms must be a positive number of milliseconds, got {self.max_ms}")
        if not 0 <= self.min_precision <= 1:
            raise ValueError(f"min_precision must be in [0, 1], got {self.min_precision}")


@dataclass(frozen=True)
class Trial:
    settings: DetectSettings
    precision: float
    recall: float
    f1: float
    ms_per_frame: float
    reaches_small_faces: bool = True  # its smallest detectable face fits `smallest_face_px`
    confused: float = 0.0  # worst share of another character's frames with a detection on it

    def as_json(self) -> dict:
        s = self.settings
        return {
            "scale_factor": s.scale_factor,
            "min_neighbors": s.min_neighbors,
            "min_size_px": s.min_size_px,
            "downscale": s.downscale,
            "pad": s.pad,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "ms_per_frame": round(self.ms_per_frame, 2),
            "reaches_small_faces": self.reaches_small_faces,
            "confused": round(self.confused, 4),
        }


def search(
    detector: Detector,
    frames: list[EvalFrame],
    max_ms: float,
    smallest_face_px: float | None = None,
    on_trial: Callable[[Trial], None] | None = None,
) -> list[Trial]:
    """Every trial of the grid, in the order run.

    A trial is marked when its smallest detectable face (the window, or `min_size_px`, scaled
    back from the downscaled picture, one pyramid step up) is larger than `smallest_face_px`:
    a validation set with few small faces would otherwise reward settings blind to them.
    """
    trials = []
    base = detector.settings
    # Coarsest (fastest) passes first, so the first pass always completes and there is a pick.
    grid = itertools.product(
        sorted(SCALE_FACTORS, reverse=True), sorted(DOWNSCALES), MIN_SIZES_PX[::-1], PADS
    )
    for sf, ds, min_px, pad in grid:
        if min_px * ds < detector.window_wh[0] and min_px != MIN_SIZES_PX[0]:
            continue  # the window's own size already bounds the search: same as a smaller min
        reach = max(round(min_px * ds), detector.window_wh[0]) / ds
        reaches = smallest_face_px is None or reach * sf <= smallest_face_px
        s = dataclasses.replace(base, scale_factor=sf, downscale=ds, min_size_px=min_px, pad=pad)
        done = _raw_within(detector, frames, s, ABANDON_OVER * max_ms if trials else None)
        if done is None:
            continue
        raw, ms = done
        for mn in MIN_NEIGHBORS:
            sc = score_windows(raw, frames, s, mn)
            trial = Trial(
                dataclasses.replace(s, min_neighbors=mn),
                sc.precision,
                sc.recall,
                sc.f1,
                ms,
                reaches,
                sc.worst_confusion,
            )
            trials.append(trial)
            if on_trial:
                on_trial(trial)
    return trials


def _raw_within(
    detector: Detector, frames: list[EvalFrame], s: DetectSettings, abandon_ms: float | None
) -> tuple[list, float] | None:
    """Raw windows of every frame and the mean ms per frame, or None once the pass proves
    slower than `abandon_ms` per frame over its first `PROBE_FRAMES` frames."""
    raw = []
    t0 = time.perf_counter()
    for i, f in enumerate(frames, 1):
        raw.append(detector.raw_windows(f.image, s, min_neighbors=0))
        if abandon_ms and i == PROBE_FRAMES and 1000 * (time.perf_counter() - t0) / i > abandon_ms:
            return None
    return raw, 1000 * (time.perf_counter() - t0) / len(frames)


def pick(trials: list[Trial], max_ms: float, min_precision: float) -> Trial:
    """In order of priority: the time budget, reaching the smallest faces, rarely taking another
    character for this one, the precision goal; then the highest recall (or, short of the
    precision goal, the best F1)."""
    fast = [t for t in trials if t.ms_per_frame <= max_ms]
    if not fast:
        fastest = min(t.ms_per_frame for t in trials)
        fast = [t for t in trials if t.ms_per_frame == fastest]
    fast = [t for t in fast if t.reaches_small_faces] or fast
    fast = [t for t in fast if t.confused < MAX_CONFUSION] or fast
    precise = [t for t in fast if t.precision >= min_precision]
    if precise:
        return max(precise, key=lambda t: (t.recall, t.precision, -t.ms_per_frame))
    return max(fast, key=lambda t: (t.f1, -t.ms_per_frame))


def validation_frames(
    truth: Path, character: str, frame_step: int, *, allow_outside_images: bool = False
) -> list[EvalFrame]:
    """The frames the search scores every setting on, held in memory (see the module's note).

    Raises:
        ValueError: they would take more than `TUNE_FRAMES_MB`, or the truth is bad.
    """
    frames: list[EvalFrame] = []
    held = 0
    for f in eval_frames(truth, character, frame_step, allow_outside_images=allow_outside_images):
        held += f.image.nbytes
        if held > TUNE_FRAMES_MB * 2**20:
            raise ValueError(
                f"{truth}: its frames at frame step {frame_step} take more than "
                f"{TUNE_FRAMES_MB} MB, the most tuning holds in memory; use a larger frame step"
            )
        frames.append(f)
    return frames


def tune(
    detector: Detector,
    truth: Path,
    character: str,
    frame_step: int,
    goals: TuneGoals,
    smallest_face_px: float | None = None,
    say: Callable[[str], None] = lambda line: None,
    *,
    allow_outside_images: bool = False,
) -> tuple[DetectSettings, dict]:
    """Search settings for `detector` on `truth`'s frames and pick one by `goals`.

    Args:
        smallest_face_px: the face height settings must still reach (from training); None
            takes it from the validation faces.

    Returns:
        The picked settings and the record kept beside them as `tuned`.
    """
    cv2.setNumThreads(1)  # the speed goal is per core
    frames = validation_frames(
        truth, character, frame_step, allow_outside_images=allow_outside_images
    )
    smallest = smallest_face_px
    if smallest is None:  # no training record: the validation faces themselves say
        heights = [b[3] - b[1] for f in frames for b in f.owed_xyxy]
        smallest = smallest_of(heights) if heights else None
    trials = search(detector, frames, goals.max_ms, smallest_face_px=smallest)
    best = pick(trials, goals.max_ms, goals.min_precision)
    say(f"tuned on {len(frames)} frames: " + json.dumps(best.as_json()))
    record = {
        "truth": str(truth),
        "frames": len(frames),
        "max_ms": goals.max_ms,
        "min_precision": goals.min_precision,
        "chosen": best.as_json(),
        "smallest_face_px": smallest,
        "trials": len(trials),
    }
    return best.settings, record


def retune(
    cascade: Path,
    character: str,
    truth: Path,
    frame_step: int,
    goals: TuneGoals,
    say: Callable[[str], None] = lambda line: None,
    *,
    allow_outside_images: bool = False,
) -> dict:
    """Tune a cascade already on disk and rewrite its `<cascade>.json` in one atomic write.

    Returns:
        The chosen trial, as JSON.
    """
    detector = Detector(cascade)
    smallest = load_settings(cascade)[1].get("trained", {}).get("smallest_face_px")
    settings, record = tune(
        detector,
        truth,
        character,
        frame_step,
        goals,
        smallest,
        say,
        allow_outside_images=allow_outside_images,
    )
    save_settings(cascade, settings, tuned=record)
    return record["chosen"]
