"""Choosing a character's detection settings by a small search on validation episodes.

For each pyramid step, downscale and minimum size the cascade runs once per frame with grouping
off (timed); every `min_neighbors` is then scored by grouping those raw windows as OpenCV does.
The pick: the highest recall among settings at the precision goal and within the time budget;
failing that, the best F1 within the budget.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass

from cascades.detect import Detector, DetectSettings
from cascades.evaluate import EvalFrame, score_windows

# A small grid: 3 x 3 x 2 x 2 detection passes over the validation frames.
SCALE_FACTORS = (1.1, 1.2, 1.3)
DOWNSCALES = (1.0, 0.75, 0.5)
MIN_SIZES_PX = (24, 40)
PADS = (0.0, 0.1)
MIN_NEIGHBORS = tuple(range(0, 9))


@dataclass(frozen=True)
class Trial:
    settings: DetectSettings
    precision: float
    recall: float
    f1: float
    ms_per_frame: float
    reaches_small_faces: bool = True  # its smallest detectable face fits `smallest_face_px`

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
    for sf, ds, min_px, pad in itertools.product(SCALE_FACTORS, DOWNSCALES, MIN_SIZES_PX, PADS):
        if min_px * ds < detector.window_wh[0] and min_px != MIN_SIZES_PX[0]:
            continue  # the window's own size already bounds the search: same as a smaller min
        reach = max(round(min_px * ds), detector.window_wh[0]) / ds
        reaches = smallest_face_px is None or reach * sf <= smallest_face_px
        s = dataclasses.replace(base, scale_factor=sf, downscale=ds, min_size_px=min_px, pad=pad)
        t0 = time.perf_counter()
        raw = [detector.raw_windows(f.image, s, min_neighbors=0) for f in frames]
        ms = 1000 * (time.perf_counter() - t0) / len(frames)
        for mn in MIN_NEIGHBORS:
            p, r, f1 = score_windows(raw, frames, s, mn)
            trial = Trial(dataclasses.replace(s, min_neighbors=mn), p, r, f1, ms, reaches)
            trials.append(trial)
            if on_trial:
                on_trial(trial)
    return trials


def pick(trials: list[Trial], max_ms: float, min_precision: float) -> Trial:
    """In order of priority: the time budget, reaching the smallest faces, the precision goal;
    then the highest recall (or, short of the precision goal, the best F1)."""
    fast = [t for t in trials if t.ms_per_frame <= max_ms]
    if not fast:
        fastest = min(t.ms_per_frame for t in trials)
        fast = [t for t in trials if t.ms_per_frame == fastest]
    fast = [t for t in fast if t.reaches_small_faces] or fast
    precise = [t for t in fast if t.precision >= min_precision]
    if precise:
        return max(precise, key=lambda t: (t.recall, t.precision, -t.ms_per_frame))
    return max(fast, key=lambda t: (t.f1, -t.ms_per_frame))
