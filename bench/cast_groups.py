"""How `toon cast propose` groups a show's faces: the person's actions against the groups' purity,
for a sweep of grouping distances.

For each show (the episodes of a folder whose ids share a show prefix, e.g. `artists-1150-`), the
shipped finder and model find and embed the faces once (`indexer.cast.find_faces`, `looks`);
then for each distance the tracks are grouped and each group shown one by one (>=
MIN_GROUP_FACES faces) is named after the character most of its faces show (a face is a
character's when it overlaps an owed truth face of it by IoU >= 0.5) or rejected. Per
distance, over the shows:

- actions: groups shown, one decision each;
- purity: the share of the faces in shown groups whose group was named after their own character
  (or rejected, for faces of no one);
- kept: the share of the cast's proposed faces that land in a group named after them.

`--choose` picks the distance with the fewest actions at purity >= `--min-purity`: run it on
shows the journey is not judged on (the finder's validation shows, artists-1150..1159).

    .venv/bin/python bench/cast_groups.py data/finder/val --sample-fps 4

Prints a Markdown table, then everything as JSON on the last line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/cascades.py would hide the cascades package

DISTANCES = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)


def show_of(video: Path) -> str:
    """The show part of an episode id: everything before `s<seed>-e<nn>`."""
    stem = video.stem
    cut = stem.rfind("-s", 0, stem.rfind("-e"))
    return stem[:cut] if cut > 0 else "classic"


def truth_characters(faces: list, folder: Path) -> list[str | None]:
    from core.detections import iou
    from core.truth import DONT_CARE_VISIBLE, read_truth

    by_frame: dict = {}
    for path in folder.glob("*.truth.csv"):
        episode = path.name.removesuffix(".truth.csv")
        for r in read_truth(path):
            if r.visible >= DONT_CARE_VISIBLE:
                by_frame.setdefault((episode, r.frame), []).append(r)
    out = []
    for f in faces:
        rows = by_frame.get((f.episode, f.frame), [])
        if not rows:
            out.append(None)
            continue
        overlap = iou(np.array([f.xyxy]), np.array([r.xyxy for r in rows], float))[0]
        out.append(rows[int(overlap.argmax())].character if overlap.max() >= 0.5 else None)
    return out


def decide(group: np.ndarray, truth: list, min_faces: int) -> dict:
    sizes = np.bincount(group) if len(group) else np.zeros(0, int)
    shown = [g for g in range(len(sizes)) if sizes[g] >= min_faces]
    right = in_shown = kept = 0
    for g in shown:
        seen = [truth[i] for i in np.flatnonzero(group == g)]
        top = max(set(seen), key=lambda c: (seen.count(c), c is not None, str(c)))
        right += seen.count(top)
        in_shown += len(seen)
        if top is not None:
            kept += seen.count(top)
    cast_faces = sum(t is not None for t in truth)
    return {
        "actions": len(shown),
        "right": right,
        "in_shown": in_shown,
        "kept": kept,
        "cast_faces": cast_faces,
    }


def main() -> None:
    from cascades import FINDER
    from cascades.proposer import Proposer
    from core.video import find_videos
    from indexer.cast import MIN_GROUP_FACES, find_faces, group_tracks, looks
    from indexer.faces import FaceClassifier
    from model import DEFAULT
    from model.store import EmotionModel

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", type=Path, nargs="+")
    ap.add_argument("--sample-fps", type=float, default=1.0)
    ap.add_argument("--finder", type=Path, default=FINDER)
    ap.add_argument("--model", type=Path, default=DEFAULT)
    ap.add_argument("--min-purity", type=float, default=0.9)
    args = ap.parse_args()
    finder = Proposer.load(args.finder)
    classifier = FaceClassifier(EmotionModel(args.model))
    totals = {d: {"actions": 0, "right": 0, "in_shown": 0, "kept": 0, "cast_faces": 0}
              for d in DISTANCES}  # fmt: skip
    shows = {}
    for folder in args.folders:
        by_show: dict[str, list[Path]] = {}
        for video in find_videos([folder]):
            by_show.setdefault(show_of(video), []).append(video)
        for name, videos in sorted(by_show.items()):
            faces, emb, rgb, sampled = find_faces(videos, finder, classifier, args.sample_fps)
            seen = looks(emb, rgb)
            truth = truth_characters(faces, folder)
            track = np.array([f.track for f in faces], int)
            per = {}
            for d in DISTANCES:
                r = decide(group_tracks(track, seen, d), truth, MIN_GROUP_FACES)
                per[d] = r
                for k, v in r.items():
                    totals[d][k] += v
            shows[name] = {"faces": len(faces), "sampled_frames": sampled, "by_distance": per}
            print(f"{name}: {len(faces)} faces", file=sys.stderr, flush=True)
    rows = {}
    for d, t in totals.items():
        rows[d] = {
            "actions_per_show": round(t["actions"] / max(len(shows), 1), 2),
            "purity": round(t["right"] / max(t["in_shown"], 1), 4),
            "kept": round(t["kept"] / max(t["cast_faces"], 1), 4),
        }
    fit = [d for d in DISTANCES if rows[d]["purity"] >= args.min_purity]
    chosen = min(fit, key=lambda d: (rows[d]["actions_per_show"], -d)) if fit else None
    print("| distance | actions per show | purity | kept |")
    print("|---|---|---|---|")
    for d, r in rows.items():
        print(f"| {d} | {r['actions_per_show']} | {r['purity']:.3f} | {r['kept']:.3f} |")
    print(f"chosen distance (fewest actions at purity >= {args.min_purity}): {chosen}")
    print(json.dumps({"shows": shows, "by_distance": rows, "chosen": chosen}))


if __name__ == "__main__":
    main()
