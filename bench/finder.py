"""How well a finder of any face finds the faces of casts and drawing styles it never saw.

The finder (`toon proposer train --any-face`, shipped in cascades/weights/finder) runs on every
`--frame-step`-th frame of each folder of episodes with truth; a box is a hit when it overlaps
an owed face of any character by IoU >= 0.5 (faces under half visible are "don't care"). For
each folder, precision and recall at a sweep of heat-map thresholds, then at the finder's own;
on `--phantoms` (real pictures with no face: the held-out clip of `make nonfaces`) the boxes it
finds per 1,000 frames. `--choose` names folders to pick a threshold on as `toon proposer tune`
does (the highest recall at precision >= `--min-precision`): never the folders it is judged on.

    .venv/bin/python bench/finder.py --folder data/finder-eval/meadow \
        --folder data/finder-eval/artists [--choose data/finder-eval/val] [--finder DIR]

Prints a Markdown table, then everything as JSON on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/cascades.py would hide the cascades package

from cascades.proposer_tune import THRESHOLDS, ThresholdScore, choose, sweep  # noqa: E402

BATCH = 32


def sweep_folder(finder, folder: Path, frame_step: int) -> dict:  # noqa: ANN001
    """Precision and recall of any face at every threshold, over the folder's frames."""
    t0 = time.perf_counter()
    scores, frames = sweep(finder, [folder], frame_step)
    return {
        "frames": frames,
        "ms_per_frame": round(1000 * (time.perf_counter() - t0) / max(frames, 1), 1),
        "by_threshold": {s.threshold: s.as_json() for s in scores},
    }


def per_character(finder, folder: Path, frame_step: int) -> dict:  # noqa: ANN001
    """At the finder's own threshold: the share of each character's owed faces it finds."""
    from cascades.evaluate import match
    from cascades.proposer import decode
    from cascades.samples import as_boxes, truth_frames
    from core.truth import DONT_CARE_VISIBLE

    found: dict[str, list[int]] = {}
    batch: list = []

    def flush() -> None:
        for o, tf in zip(finder.raw([t.frame.bgr for t in batch]), batch, strict=True):
            bgr = tf.frame.bgr
            dets = decode(o, finder.config, (bgr.shape[1], bgr.shape[0]), finder.config.threshold)
            hidden = as_boxes([r.xyxy for r in tf.rows if r.visible < DONT_CARE_VISIBLE])
            for c in {r.character for r in tf.rows}:
                owed = as_boxes(
                    [r.xyxy for r in tf.rows if r.character == c and r.visible >= DONT_CARE_VISIBLE]
                )
                hits, _, _ = match(dets.xyxy, owed, hidden)
                tally = found.setdefault(c, [0, 0])
                tally[0] += hits
                tally[1] += len(owed)
        batch.clear()

    for tf in truth_frames(folder, frame_step):
        batch.append(tf)
        if len(batch) == BATCH:
            flush()
    if batch:
        flush()
    return {c: round(h / max(n, 1), 4) for c, (h, n) in sorted(found.items())}


def phantoms(finder, folder: Path) -> dict:  # noqa: ANN001
    """Boxes per 1,000 frames on footage with no face at all, at every threshold."""
    from cascades.proposer import decode
    from core.video import find_videos, read_frames

    counts = {t: 0 for t in THRESHOLDS}
    frames = 0
    for clip in find_videos([folder]):
        batch = [f.bgr for f in read_frames(clip, sample_fps=1.0)]
        for k in range(0, len(batch), BATCH):
            part = batch[k : k + BATCH]
            for o, bgr in zip(finder.raw(part), part, strict=True):
                for t in THRESHOLDS:
                    counts[t] += len(decode(o, finder.config, (bgr.shape[1], bgr.shape[0]), t))
            frames += len(part)
    return {
        "frames": frames,
        "per_1000_frames": {t: round(1000 * n / max(frames, 1), 1) for t, n in counts.items()},
    }


def pooled_choice(results: dict, folders: list[str], min_precision: float) -> float | None:
    """`toon proposer tune`'s pick over `folders` pooled."""
    pooled = [
        ThresholdScore(
            t,
            *(
                sum(results[f]["by_threshold"][t][k] for f in folders)
                for k in ("hits", "false_positives", "owed")
            ),
        )  # fmt: skip
        for t in THRESHOLDS
    ]
    best = choose(pooled, min_precision)
    return best.threshold if best else None


def main() -> None:
    from cascades.proposer import Proposer

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--finder", type=Path, default=ROOT / "cascades" / "weights" / "finder")
    ap.add_argument("--folder", type=Path, action="append", default=[], help="judged on")
    ap.add_argument("--choose", type=Path, action="append", default=[], help="threshold from")
    ap.add_argument("--phantoms", type=Path, default=ROOT / "data" / "nonfaces" / "heldout")
    ap.add_argument("--frame-step", type=int, default=12)
    ap.add_argument("--min-precision", type=float, default=0.9)
    args = ap.parse_args()
    finder = Proposer.load(args.finder)
    if not finder.config.any_face:
        sys.exit(f"{args.finder}: a proposer of {finder.config.characters}, not a finder")
    results: dict = {"finder": str(args.finder), "threshold": finder.config.threshold}
    results["cpus"] = os.cpu_count()
    folders = {}
    for folder in [*args.choose, *args.folder]:
        folders[str(folder)] = sweep_folder(finder, folder, args.frame_step)
        folders[str(folder)]["recall_per_character"] = per_character(
            finder, folder, args.frame_step
        )
        print(f"{folder}: done", file=sys.stderr, flush=True)
    results["folders"] = folders
    if args.choose:
        results["chosen_threshold"] = pooled_choice(
            folders, [str(f) for f in args.choose], args.min_precision
        )
    if args.phantoms.is_dir():
        results["phantoms"] = phantoms(finder, args.phantoms)
    print("| folder | threshold | precision | recall | frames |")
    print("|---|---|---|---|---|")
    for name, r in folders.items():
        for t in THRESHOLDS:
            row = r["by_threshold"][t]
            mark = " (its own)" if t == finder.config.threshold else ""
            print(
                f"| {name} | {t}{mark} | {row['precision']:.3f} | {row['recall']:.3f} "
                f"| {r['frames']} |"
            )
    for name, r in folders.items():
        print(f"{name}: recall per character at {finder.config.threshold}: "
              f"{r['recall_per_character']}")  # fmt: skip
    if "phantoms" in results:
        print(f"phantoms per 1,000 frames: {results['phantoms']['per_1000_frames']}")
    if args.choose:
        print(f"chosen threshold: {results['chosen_threshold']}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
