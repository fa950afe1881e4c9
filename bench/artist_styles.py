"""Drawing styles no training face was drawn in, and how fast a few labels teach one.

1. Held out by style: the style generator draws training artists that never use some
   conventions (HELD_OUT: eyelashes, fangs, box heads, gradient shading) and test artists that
   use all of them. BASE is fine-tuned with a recipe on the synthetic faces, all nine
   human-drawn styles and the training artists (and, to see what the generator does, without
   them), then scored on the test artists' faces, per artist.
2. Few labels: for each of the first --curve-artists test artists, the fine-tuned model is
   tuned again (`toon train --init`) with k labelled faces per emotion of that artist beside
   the synthetic faces (k = 5, 10, 20; k = 0 is the model as it was), and scored on the
   artist's other faces. The labels are shown --label-times times an epoch, as the README's
   labelling step does.

Prints Markdown tables, then everything as JSON on the last line.

    .venv/bin/python bench/artist_styles.py --base data/style/base --synth data/style/tune
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/cascades.py would hide the cascades package
from bench.common import toon  # noqa: E402
from bench.style_loso import STYLES, Runner, parse_recipes, recipe_name  # noqa: E402

HELD_OUT = {"eyes": "lashes", "mouth": "fangs", "head": "box", "shading": "gradient"}
KS = (5, 10, 20)


def artist_faces(out: Path, flag: str, count: int, artists: int, seed: int) -> Path:
    if not (out / "faces.csv").is_file():
        rules = [a for name, v in HELD_OUT.items() for a in (flag, f"{name}={v}")]
        toon(
            "synth", "artists", out, "--count", count, "--artists", artists, "--seed", seed, *rules
        )
    return out


def link_faces(folder: Path, by_emotion: dict[str, list[Path]]) -> None:
    """An ImageFolder of links, `folder/<emotion>/<name>`, to each emotion's faces."""
    for emotion, paths in by_emotion.items():
        (folder / emotion).mkdir(parents=True)
        for path in paths:
            (folder / emotion / path.name).symlink_to(path.resolve())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, required=True, help="model folder that saw no drawn style")
    ap.add_argument("--synth", type=Path, required=True, help="synthetic faces to fine-tune with")
    ap.add_argument(
        "--work", type=Path, default=ROOT / "data" / "artist-styles", help="(data/artist-styles)"
    )
    ap.add_argument(
        "--recipe", default="20:4:artists", help="OVERSAMPLE:EPOCHS[:artists] (20:4:artists)"
    )
    ap.add_argument("--curve-artists", type=int, default=5, help="test artists in the curve (5)")
    ap.add_argument("--label-times", type=int, default=20, help="labels shown an epoch (20)")
    ap.add_argument("--label-epochs", type=int, default=3, help="epochs of the few-label tune (3)")
    args = ap.parse_args()
    (recipe,) = parse_recipes(args.recipe)
    work = args.work
    trained = artist_faces(work / "artists-train", "--without", 700, 35, 51)
    test = artist_faces(work / "artists-test", "--only", 2800, 10, 52)  # 40 an emotion
    runner = Runner(args.base, args.synth, trained, work)
    t0 = time.perf_counter()
    out: dict = {"held_out": HELD_OUT, "recipe": recipe, "models": {}}
    artists = sorted(p.name for p in test.iterdir() if p.is_dir())
    held = {a: test / a for a in artists}
    # 1. held out by style: with and without the training artists
    tuned = {}
    for r in (recipe, recipe | {"artists": not recipe["artists"]}):
        run = work / recipe_name(r)
        scores = runner.tune_and_score(run, runner.links(list(STYLES), r), held, r)
        per = {a: scores[a]["balanced_accuracy"] for a in artists}
        out["models"][recipe_name(r)] = {
            "per_artist": per,
            "mean": round(float(np.mean(list(per.values()))), 4),
            "weakest": round(float(min(per.values())), 4),
        }
        tuned[recipe_name(r)] = run / "model"
    # 2. few labels of one test artist at a time, from the recipe's model
    start = tuned[recipe_name(recipe)]
    rng = np.random.default_rng(0)
    curve: dict = {}
    for a in artists[: args.curve_artists]:
        by_emotion = {e.name: sorted(e.glob("*.png")) for e in sorted((test / a).iterdir())}
        order = {e: list(rng.permutation(len(p))) for e, p in by_emotion.items()}
        rest = work / "curve" / a / "rest"  # the artist's faces never labelled at any k
        if not rest.is_dir():
            link_faces(
                rest, {e: [p[i] for i in order[e][max(KS) :]] for e, p in by_emotion.items()}
            )
        curve[a] = {"0": out["models"][recipe_name(recipe)]["per_artist"][a]}
        for k in KS:
            labels = work / "curve" / a / f"labels-{k}"
            shutil.rmtree(labels, ignore_errors=True)
            link_faces(
                labels / "labels", {e: [p[i] for i in order[e][:k]] for e, p in by_emotion.items()}
            )
            tune = {"oversample": args.label_times, "epochs": args.label_epochs, "artists": False}
            links = {"synth": args.synth, "labels": labels / "labels"}
            scores = runner.tune_and_score(
                work / "curve" / a / f"k{k}",
                links,
                {a: rest},
                tune,
                init=start,
                oversample="labels",
            )
            curve[a][str(k)] = scores[a]["balanced_accuracy"]
            curve[a][f"seconds_{k}"] = scores[a]["run_seconds"]
    out["curve"] = curve
    out["curve_mean"] = {
        str(k): round(float(np.mean([c[str(k)] for c in curve.values()])), 4) for k in (0, *KS)
    }
    out["seconds"] = round(time.perf_counter() - t0, 1)
    names = list(out["models"])
    print("| test artist (all held-out conventions) | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for a in artists:
        print(
            f"| {a} | "
            + " | ".join(f"{out['models'][n]['per_artist'][a]:.3f}" for n in names)
            + " |"
        )
    print("| **mean** | " + " | ".join(f"**{out['models'][n]['mean']:.3f}**" for n in names) + " |")
    print()
    print("| artist | k = 0 | " + " | ".join(f"k = {k}" for k in KS) + " |")
    print("|---|---|" + "---|" * len(KS))
    for a, c in curve.items():
        print(f"| {a} | " + " | ".join(f"{c[str(k)]:.3f}" for k in (0, *KS)) + " |")
    print(
        "| **mean** | "
        + " | ".join(f"**{out['curve_mean'][str(k)]:.3f}**" for k in (0, *KS))
        + " |"
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
