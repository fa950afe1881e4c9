"""The heat-map threshold of a proposer or finder, chosen on validation episodes.

One pass of the network over the frames; every threshold of a sweep is then decoded and scored
against the truth of any character (a box is a hit when it overlaps an owed face by IoU >= 0.5;
faces under half visible are "don't care"). The pick is the highest recall at precision >=
`min_precision` (the model's character head removes false alarms after it, as it does the
cascades').
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cascades.evaluate import match
from cascades.proposer import CONFIG_FILE, Proposer, decode
from cascades.samples import as_boxes, truth_frames
from core.truth import DONT_CARE_VISIBLE

THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)
BATCH = 32


@dataclass(frozen=True)
class ThresholdScore:
    threshold: float
    hits: int
    false_positives: int
    owed: int

    @property
    def precision(self) -> float:
        return self.hits / max(self.hits + self.false_positives, 1)

    @property
    def recall(self) -> float:
        return self.hits / max(self.owed, 1)

    def as_json(self) -> dict:
        return {
            "threshold": self.threshold,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "hits": self.hits,
            "false_positives": self.false_positives,
            "owed": self.owed,
        }


def _frames(folder: Path, frame_step: int) -> Iterator[list]:
    batch = []
    for tf in truth_frames(folder, frame_step):
        owed = as_boxes([r.xyxy for r in tf.rows if r.visible >= DONT_CARE_VISIBLE])
        ignore = as_boxes([r.xyxy for r in tf.rows if r.visible < DONT_CARE_VISIBLE])
        batch.append((tf.frame.bgr, owed, ignore))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def sweep(
    proposer: Proposer,
    folders: Iterable[Path],
    frame_step: int = 12,
    thresholds: tuple[float, ...] = THRESHOLDS,
) -> tuple[list[ThresholdScore], int]:
    """Every threshold's hits, false positives and owed faces of any character over the
    folders' frames, and how many frames were scored."""
    tally = {t: [0, 0, 0] for t in thresholds}
    frames = 0
    for folder in folders:
        for batch in _frames(folder, frame_step):
            out = proposer.raw([bgr for bgr, _, _ in batch])
            for o, (bgr, owed, ignore) in zip(out, batch, strict=True):
                wh = (bgr.shape[1], bgr.shape[0])
                for t in thresholds:
                    h, fp, _ = match(decode(o, proposer.config, wh, t).xyxy, owed, ignore)
                    tally[t][0] += h
                    tally[t][1] += fp
                    tally[t][2] += len(owed)
            frames += len(batch)
    return [ThresholdScore(t, *tally[t]) for t in thresholds], frames


def choose(scores: list[ThresholdScore], min_precision: float) -> ThresholdScore | None:
    """The highest recall at `min_precision` (the higher threshold on a tie), or None."""
    fit = [s for s in scores if s.precision >= min_precision]
    return max(fit, key=lambda s: (s.recall, s.threshold)) if fit else None


def tune_threshold(
    folder: Path, truth: list[Path], min_precision: float, frame_step: int = 12
) -> dict:
    """Choose the threshold of the proposer in `folder` on the `truth` episodes and write it
    into its proposer.json (through a temporary file); what was scored and chosen."""
    proposer = Proposer.load(folder)
    scores, frames = sweep(proposer, truth, frame_step)
    if not any(s.owed for s in scores):
        raise ValueError(f"{', '.join(map(str, truth))}: no face to find on {frames} frames")
    best = choose(scores, min_precision)
    if best is None:
        top = max(s.precision for s in scores)
        raise ValueError(
            f"{folder}: no threshold reaches precision {min_precision} on "
            f"{', '.join(map(str, truth))} (at most {top:.3f}); lower --min-precision"
        )
    path = folder / CONFIG_FILE
    doc = json.loads(path.read_text())
    doc["threshold"] = best.threshold
    doc["tuned"] = {
        "truth": [str(t) for t in truth],
        "frame_step": frame_step,
        "frames": frames,
        "min_precision": min_precision,
        "precision": round(best.precision, 4),
        "recall": round(best.recall, 4),
    }
    part = folder / (CONFIG_FILE + ".part")
    part.write_text(json.dumps(doc, indent=2) + "\n")
    os.replace(part, path)
    return {"threshold": best.threshold, "frames": frames, "sweep": [s.as_json() for s in scores]}
