"""Teach the tool a cartoon it has never seen, from nothing: the `meadow` show (bunny, frog), or
any show given as `--train DIR --test DIR --cast a,b` (episode folders with truth files in the
format of `toon synth episodes`).

Two journeys, a person's work simulated from the synthetic truth. `--journey cast` (no boxes):

1. `toon cast propose` the training episodes with the shipped finder and model;
2. a person looks at each group's sheet and names it after the character most of its faces
   show, or rejects it when most show no face of the cast (one action a group);
3. `toon cast export`, then steps 4-6 below with the exported faces instead of boxed crops, and
   `toon index --cascades` the shipped finder.

`--journey boxes`: the README's "Index your own cartoon" with F annotated frames:

1. `toon frames` picks frames over every shot of the training episodes (seed 500);
2. a person boxes the faces on the first F picks (here: the truth's boxes of faces at least
   half visible; fainter ones marked "don't care"), saved as COCO;
3. `toon cascade train` per character on those boxes, its detection settings tuned on them,
   and `toon proposer train` on the same boxes into the same folder (not with --no-proposer);
4. `toon mine-crops` cuts the boxed faces (`<character>/unlabelled/`) and the cascades' false
   alarms beside them; `toon train --init` the shipped model `--characters bunny,frog` on them,
   with synthetic faces of the classic show beside them so the emotions it knows stay (k = 0);
5. a person labels k faces per emotion (here: k crops of each emotion drawn at random from the
   training footage's faces, `toon mine-crops` on the training episodes) and `toon train` again;
6. `toon index` the 5 unseen episodes (seed 600) and `toon evaluate-index` them.

Both are run with k labelled faces per emotion. Prints a Markdown table (F x k: precision,
recall, emotion balanced accuracy, happy-share Spearman) and the person's time the counts
imply, then everything as JSON on the last line.

    .venv/bin/python bench/new_show.py --work data/new-show [--journey cast]
    .venv/bin/python bench/new_show.py --work W --train T --test E --cast a,b --journey cast
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/cascades.py would hide the cascades package
from bench.common import toon  # noqa: E402

MEADOW = ("bunny", "frog")
# Detection settings are tuned on the boxed frames themselves for the highest recall at this
# precision: the character head removes most false alarms (chosen on the training episodes'
# other frames: recall 0.84 -> 0.89 for bunny, 0.84 -> 0.91 for frog at F = 100).
MIN_PRECISION = 0.6
SECONDS_PER_BOX = 7.0  # drawing one face box in a box tool, frame to frame (an estimate)
SECONDS_PER_LABEL = 3.0  # one click on the Label page per face (an estimate)
SECONDS_PER_GROUP = 10.0  # look at a group's sheet, type a name or reject it (an estimate)
EMOTION_NAMES = ("happy", "angry", "surprise", "sad", "fear", "disgust", "neutral")


def once(path: Path, *args: object) -> Path:
    """`toon ARGS` unless `path` is already there (a rerun continues where it stopped)."""
    if not path.exists():
        toon(*args)
    return path


SCORES = ("precision", "recall", "emotion_balanced_accuracy", "happy_spearman")


def cascade_command(character: str, boxes: Path, out: Path, stages: int) -> list[str]:
    """Train a cascade on the boxes, then tune its detection settings on the same frames."""
    return [
        sys.executable, "-m", "toon", "cascade", "train", "--character", character,
        "--truth", str(boxes), "--out", str(out), "--min-faces", "5", "--stages", str(stages),
        "--val", str(boxes), "--val-frame-step", "1", "--min-precision", str(MIN_PRECISION),
    ]  # fmt: skip


def labelling_minutes(boxes: int, labels: int, groups: int = 0) -> float:
    seconds = boxes * SECONDS_PER_BOX + labels * SECONDS_PER_LABEL + groups * SECONDS_PER_GROUP
    return round(seconds / 60, 1)


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def annotate(
    frames_dir: Path, episodes: Path, picks: list[dict], out: Path, cast: tuple[str, ...]
) -> dict:
    """COCO boxes of the picked frames, as a careful person would draw them from the truth."""
    truth: dict[str, dict[int, list[dict]]] = {}
    for p in {p["episode"] for p in picks}:
        with open(episodes / f"{p}.truth.csv") as f:
            rows = truth.setdefault(p, {})
            for r in csv.DictReader(f):
                rows.setdefault(int(r["frame"]), []).append(r)
    coco: dict = {"images": [], "annotations": [], "categories": []}
    coco["categories"] = [{"id": k + 1, "name": c} for k, c in enumerate(cast)]
    boxes = 0
    for i, p in enumerate(picks):
        coco["images"].append(
            {"id": i + 1, "file_name": os.path.relpath(frames_dir / p["image"], out.parent)}
        )
        for r in truth[p["episode"]].get(int(p["frame"]), []):
            if r["character"] not in cast:  # a distractor: not one of the cast to box
                continue
            x1, y1, x2, y2 = (int(r[k]) for k in ("x1", "y1", "x2", "y2"))
            hidden = float(r["visible"]) < 0.5
            boxes += not hidden
            coco["annotations"].append(
                {
                    "id": len(coco["annotations"]) + 1,
                    "image_id": i + 1,
                    "category_id": cast.index(r["character"]) + 1,
                    "bbox": [x1, y1, x2 - x1, y2 - y1],
                    "iscrowd": int(hidden),
                }
            )
    out.write_text(json.dumps(coco))
    return {"frames": len(picks), "boxes": boxes}


def link_tree(folder: Path, links: dict[str, Path]) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, target in links.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).symlink_to(target.resolve(), target_is_directory=target.is_dir())
    return folder


def truth_of(row: dict, truth: dict) -> str | None:
    """The character whose owed truth face a proposed face overlaps by IoU >= 0.5, or None."""
    import numpy as np

    from core.detections import iou

    rows = [r for r in truth.get((row["episode"], int(row["frame"])), []) if r.visible >= 0.5]
    if not rows:
        return None
    box = np.array([[float(row[k]) for k in ("x1", "y1", "x2", "y2")]])
    overlap = iou(box, np.array([r.xyxy for r in rows], float))[0]
    return rows[int(overlap.argmax())].character if overlap.max() >= 0.5 else None


def name_the_cast(cast_dir: Path, episodes: Path, cast: tuple[str, ...]) -> dict:
    """A person's decisions, simulated: each group is named after the character most of its
    faces show, or rejected when most are no face of the cast. Returns what was decided and how
    pure the groups were."""
    from core.truth import read_truth

    truth: dict = {}
    for path in episodes.glob("*.truth.csv"):
        for r in read_truth(path):
            truth.setdefault((path.name.removesuffix(".truth.csv"), r.frame), []).append(r)
    with open(cast_dir / "faces.csv", newline="") as f:
        faces = list(csv.DictReader(f))
    groups: dict[str, list] = {}
    for row in faces:
        groups.setdefault(row["group"], []).append(truth_of(row, truth))
    named, rejected, faces_right = {}, [], 0
    for g, seen in groups.items():
        if g == "rest":
            continue
        top = max(set(seen), key=lambda c: (seen.count(c), c is not None, str(c)))
        if top in cast:
            named[g] = top
        else:
            rejected.append(g)
        faces_right += seen.count(top)
    args = [f"{g}={c}" for g, c in named.items()] + [a for g in rejected for a in ("--reject", g)]
    toon("cast", "name", cast_dir, *args)
    decided = sum(len(v) for g, v in groups.items() if g != "rest")
    return {
        "groups": len(named) + len(rejected),
        "named": named,
        "rejected": rejected,
        "faces": len(faces),
        "faces_of_the_cast": sum(c in cast for c in (t for v in groups.values() for t in v)),
        "purity": round(faces_right / max(decided, 1), 4),
        "rest": len(groups.get("rest", [])),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=ROOT / "data" / "new-show")
    ap.add_argument("--train", type=Path, help="training episodes with truth (meadow's if not)")
    ap.add_argument("--test", type=Path, help="unseen episodes with truth (meadow's if not)")
    ap.add_argument("--cast", help="the show's characters, comma-separated (with --train)")
    ap.add_argument("--journey", choices=("boxes", "cast"), default="boxes")
    ap.add_argument("--frames", default="25,50,100", help="F values for boxes (25,50,100)")
    ap.add_argument("--labels", default="0,5,20,50", help="k values (0,5,20,50)")
    ap.add_argument("--train-episodes", type=int, default=10)
    ap.add_argument("--test-episodes", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--epochs", type=int, default=4, help="fine-tuning epochs (4)")
    ap.add_argument("--stages", type=int, default=16, help="cascade stages (16)")
    ap.add_argument("--sample-fps", type=float, default=1.0, help="cast propose (1)")
    ap.add_argument(
        "--no-proposer",
        dest="proposer",
        action="store_false",
        help="cascades alone: no proposer trained from the boxes",
    )
    args = ap.parse_args()
    if (args.train is None) != (args.test is None) or (args.train is None) != (args.cast is None):
        ap.error("--train, --test and --cast go together")
    ks = [int(v) for v in args.labels.split(",")]
    w = args.work
    w.mkdir(parents=True, exist_ok=True)
    if args.train:
        train, test = args.train, args.test
        cast = tuple(c.strip() for c in args.cast.split(","))
    else:
        cast = MEADOW
        ep = ["--seconds", args.seconds, "--show", "meadow", "--jobs", 2]
        train, test = w / "train", w / "test"
        once(train, "synth", "episodes", train, "--count", args.train_episodes, "--seed", 500,
             *ep)  # fmt: skip
        once(test, "synth", "episodes", test, "--count", args.test_episodes, "--seed", 600, *ep)
    # The classic show's faces beside the new cast's, so the model keeps its emotions.
    rehearse = w / "rehearse"
    once(rehearse, "synth", "faces", rehearse, "--count", 2100, "--seed", 11, "--nonfaces", 300)
    # The faces a labeller could be shown, with the emotion the truth gives them.
    pool_dir = w / "pool"
    once(pool_dir, "mine-crops", train, "--out", pool_dir, "--frame-step", 24)
    pool = {
        e: sorted(p for c in cast for p in (pool_dir / c / e).glob("*.png")) for e in EMOTION_NAMES
    }
    results: dict = {"cast": cast, "journey": args.journey, "train": str(train), "rows": []}
    if args.journey == "cast":
        runs = [("cast", None)]
    else:
        frames = w / "frames"
        once(frames, "frames", *sorted(train.glob("*.mp4")), "--out", frames, "--every", 2)
        with open(frames / "frames.csv") as f:
            picks = list(csv.DictReader(f))
        random.Random(0).shuffle(picks)  # a person annotates frames from all over the footage
        log(f"{len(picks)} frames picked over the shots of the training episodes")
        runs = [(f"F{F}", F) for F in (int(v) for v in args.frames.split(","))]
    for tag, F in runs:
        fw = w / tag
        fw.mkdir(exist_ok=True)
        person: dict = {"boxes": 0, "groups": 0}
        cascade_s = proposer_s = None
        if F is None:  # the cast journey: the finder proposes, a person names the groups
            cascades = ROOT / "cascades" / "weights" / "finder"
            t0 = time.perf_counter()
            once(fw / "cast", "cast", "propose", train, "--out", fw / "cast",
                 "--sample-fps", args.sample_fps)  # fmt: skip
            proposer_s = round(time.perf_counter() - t0, 1)
            if not (fw / "cast" / "names.json").exists():
                person = name_the_cast(fw / "cast", train, cast)
                (fw / "decisions.json").write_text(json.dumps(person, indent=2))
            person = json.loads((fw / "decisions.json").read_text())
            log(f"cast: {json.dumps({k: v for k, v in person.items() if k != 'named'})}")
            crops = fw / "crops"
            once(crops, "cast", "export", fw / "cast", "--out", crops)
            person["boxes"] = 0
        else:
            boxes_file = fw / "boxes.json"
            person = annotate(frames, train, picks[:F], boxes_file, cast)
            cascades = fw / "cascades"
            cascades.mkdir(exist_ok=True)
            t0 = time.perf_counter()
            jobs = [
                subprocess.Popen(
                    cascade_command(c, boxes_file, cascades / f"{c}.xml", args.stages),
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for c in cast
                if not (cascades / f"{c}.xml").exists()
            ]
            for j in jobs:
                _, err = j.communicate()
                if j.returncode:
                    sys.exit(f"cascade training: {err.strip()[-2000:]}")
            cascade_s = round(time.perf_counter() - t0, 1)
            log(f"F={F}: {person['boxes']} boxes; cascades in {cascade_s} s")
            if args.proposer:
                t0 = time.perf_counter()
                once(cascades / "proposer.keras", "proposer", "train", "--truth", boxes_file,
                     "--out", cascades, "--characters", ",".join(cast))  # fmt: skip
                proposer_s = round(time.perf_counter() - t0, 1)
                log(f"F={F}: proposer in {proposer_s} s")
            crops = fw / "crops"
            once(crops, "mine-crops", boxes_file, "--out", crops, "--cascades", cascades)
        for k in ks:
            kw = fw / f"k{k}"
            labelled = {}
            rng = random.Random(k)
            for e, paths in pool.items():
                for p in rng.sample(paths, min(k, len(paths))):
                    labelled[f"labels/{p.parent.parent.name}/{e}/{p.name}"] = p
            data = link_tree(kw / "data", {"crops": crops, "rehearse": rehearse, **labelled})
            model, wh = kw / "model", kw / "warehouse"
            t0 = time.perf_counter()
            start = ROOT / "model" / "weights" / "default"
            # the few new faces shown as often as the classic show's 2,400 images together
            found = sum(1 for _ in crops.glob("*/unlabelled/*.png"))
            shown = [f"crops={-(-2400 // max(found, 1))}"]
            if labelled:
                shown.append(f"labels={-(-2400 // len(labelled))}")
            once(model, "train", data, "--out", model, "--init", start,
                 "--characters", ",".join(cast), "--epochs", args.epochs,
                 *(a for o in shown for a in ("--oversample", o)))  # fmt: skip
            train_s = round(time.perf_counter() - t0, 1)
            once(wh, "index", test, "--warehouse", wh, "--model", model, "--cascades", cascades)
            r = json.loads(toon("evaluate-index", "--warehouse", wh, "--truth", test, "--json"))
            row = {
                "run": tag, "F": F, "k": k, "boxes": person["boxes"],
                "groups": person.get("groups", 0), "labels": len(labelled),
                "precision": r["detection"]["precision"], "recall": r["detection"]["recall"],
                "per_character": r["detection"]["per_character"],
                "emotion_balanced_accuracy": r["emotion"]["balanced_accuracy"],
                "happy_spearman": r["ranking"]["spearman"],
                "proposer": args.proposer, "cascade_seconds": cascade_s,
                "proposer_seconds": proposer_s, "train_seconds": train_s,
                "person_minutes": labelling_minutes(
                    person["boxes"], len(labelled), person.get("groups", 0)
                ),
                "person": person, "report": r,
            }  # fmt: skip
            results["rows"].append(row)
            log(f"{tag} k={k}: {json.dumps({x: row[x] for x in SCORES})}")
            (w / "results.json").write_text(json.dumps(results, indent=2))
    print(
        "| run | boxes | groups | k per emotion | labels | precision | recall | per character "
        "P/R | emotion bal. acc. | happy Spearman | person (min) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results["rows"]:
        per = ", ".join(
            f"{c} {v['precision']:.3f}/{v['recall']:.3f}" for c, v in r["per_character"].items()
        )
        print(
            f"| {r['run']} | {r['boxes']} | {r['groups']} | {r['k']} | {r['labels']} "
            f"| {r['precision']:.3f} | {r['recall']:.3f} | {per} "
            f"| {r['emotion_balanced_accuracy']:.3f} | {r['happy_spearman'] or float('nan'):.3f} "
            f"| {r['person_minutes']} |"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
