"""Leave-one-style-out on ../shared/datasets/emoji-faces, the recipe chosen without it.

Nested, so that no choice sees the styles it is scored on:

1. choosing the recipe (how often the drawn styles are shown an epoch, how many epochs): for
   each candidate, fine-tune BASE (a model that never saw an emoji) on SYNTH plus the
   emoji-faces-extra styles but one, score the one left out, and keep the candidate with the
   best mean balanced accuracy. emoji-faces is not read in this stage.
2. scoring: for each emoji-faces style group (fluent_flat and fluent_color, one artwork flat and
   shaded, go out together; noto_v1, Google's older drawing, leaves with google), fine-tune BASE
   with the chosen recipe on SYNTH, every emoji-faces-extra style and the other emoji-faces
   styles, and score each held-out style once, with a 95% bootstrap interval over its faces.

Prints a Markdown table, then everything as JSON on the last line.

    .venv/bin/python bench/emoji_loso.py --base data/models/synth --synth data/faces/train
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/cascades.py would hide the cascades package
from bench.common import toon  # noqa: E402

DATASETS = ROOT.parent / "shared" / "datasets"
EMOJI, EXTRA = DATASETS / "emoji-faces", DATASETS / "emoji-faces-extra"
GROUPS = (("google",), ("twemoji",), ("openmoji",), ("fluent_flat", "fluent_color"))
EXTRA_STYLES = ("noto_v1", "emojione_v1", "fxemoji", "streamline")
SIBLINGS = {"google": ("noto_v1",)}  # extra styles that leave with an emoji-faces style
BOOTSTRAP = 2000


def assemble(folder: Path, synth: Path, styles: dict[str, Path]) -> Path:
    """An ImageFolder of links: synth/ and drawn/<name>/ for each style given."""
    if folder.exists():
        for link in sorted(folder.rglob("*"), reverse=True):
            if link.is_symlink():
                link.unlink()
    (folder / "drawn").mkdir(parents=True, exist_ok=True)
    (folder / "synth").symlink_to(synth.resolve(), target_is_directory=True)
    for name, path in styles.items():
        (folder / "drawn" / name).symlink_to(path, target_is_directory=True)
    return folder


def balanced(pairs: np.ndarray) -> float:
    """Mean recall over the emotions present, from (true, predicted) index pairs."""
    return float(
        np.mean([np.mean(pairs[pairs[:, 0] == c, 1] == c) for c in np.unique(pairs[:, 0])])
    )


def pairs_of(report: dict) -> np.ndarray:
    """(true, predicted) pairs, one per face, from a confusion matrix."""
    m = np.asarray(report["confusion"])
    return np.array([(t, p) for t in range(len(m)) for p in range(len(m)) for _ in range(m[t, p])])


def resample(pairs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One bootstrap draw of (true, predicted) pairs, faces resampled within each emotion."""
    by_class = [pairs[pairs[:, 0] == c] for c in np.unique(pairs[:, 0])]
    return np.concatenate([g[rng.integers(len(g), size=len(g))] for g in by_class])


def interval(pairs: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    """95% bootstrap interval of balanced accuracy, resampling faces within each emotion."""
    draws = [balanced(resample(pairs, rng)) for _ in range(BOOTSTRAP)]
    return float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))


def mean_interval(styles: list[np.ndarray], rng: np.random.Generator) -> list[float]:
    """95% bootstrap interval of the mean over styles of balanced accuracy, each style's faces
    resampled within each emotion."""
    means = [np.mean([balanced(resample(p, rng)) for p in styles]) for _ in range(BOOTSTRAP)]
    return [round(float(np.percentile(means, q)), 3) for q in (2.5, 97.5)]


def fine_tune(work: Path, synth: Path, styles: dict[str, Path], base: Path, recipe: dict) -> Path:
    data = assemble(work / "data", synth, styles)
    model = work / "model"
    if not (model / "model.keras").exists():
        toon(
            "train", data, "--out", model, "--init", base, "--epochs", recipe["epochs"],
            "--oversample", f"drawn={recipe['oversample']}",
        )  # fmt: skip
    return model


def evaluate(model: Path, style: Path) -> dict:
    return json.loads(toon("evaluate", model, style, "--json"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, required=True, help="model folder that saw no emoji")
    ap.add_argument("--synth", type=Path, required=True, help="synthetic faces to fine-tune with")
    ap.add_argument("--work", type=Path, default=ROOT / "data" / "loso", help="(data/loso)")
    ap.add_argument(
        "--recipes", default="20:6,40:6,20:10",
        help="candidates OVERSAMPLE:EPOCHS, comma-separated (20:6,40:6,20:10)",
    )  # fmt: skip
    args = ap.parse_args()
    for d in (EMOJI, EXTRA):
        if not d.is_dir():
            sys.exit(f"{d}: not found")
    recipes = [
        {"oversample": int(o), "epochs": int(e)}
        for o, e in (r.split(":") for r in args.recipes.split(","))
    ]
    out: dict = {"base": str(args.base), "synth": str(args.synth), "choice": [], "styles": {}}
    t0 = time.perf_counter()
    # 1. the recipe, chosen on the training styles only
    for recipe in recipes:
        name = f"os{recipe['oversample']}-ep{recipe['epochs']}"
        scores = {}
        for held in EXTRA_STYLES:
            styles = {s: EXTRA / s for s in EXTRA_STYLES if s != held}
            model = fine_tune(
                args.work / "choose" / name / held, args.synth, styles, args.base, recipe
            )
            scores[held] = evaluate(model, EXTRA / held).report.balanced_accuracy
        mean = round(float(np.mean(list(scores.values()))), 4)
        out["choice"].append(recipe | {"per_style": scores, "mean": mean})
        print(f"recipe {name}: {scores} mean {mean}", file=sys.stderr, flush=True)
    chosen = max(out["choice"], key=lambda c: c["mean"])
    recipe = {"oversample": chosen["oversample"], "epochs": chosen["epochs"]}
    out["recipe"] = recipe
    # 2. each emoji-faces style scored once, held out
    rng = np.random.default_rng(0)
    every = []
    for group in GROUPS:
        gone = set(group) | {s for g in group for s in SIBLINGS.get(g, ())}
        styles = {f"extra-{s}": EXTRA / s for s in EXTRA_STYLES if s not in gone}
        styles |= {s: EMOJI / s for g in GROUPS for s in g if s not in gone}
        model = fine_tune(
            args.work / "score" / "+".join(group), args.synth, styles, args.base, recipe
        )
        for style in group:
            r = evaluate(model, EMOJI / style).as_json()  # the file's own shape
            pairs = pairs_of(r)
            every.append(pairs)
            low, high = interval(pairs, rng)
            out["styles"][style] = {
                "balanced_accuracy": r["balanced_accuracy"],
                "accuracy": r["accuracy"],
                "interval_95": [round(low, 3), round(high, 3)],
                "faces": r["images"],
                "trained_with": sorted(styles),
            }
            print(f"{style}: {r['balanced_accuracy']} [{low:.3f}, {high:.3f}]", file=sys.stderr)
    scores = [v["balanced_accuracy"] for v in out["styles"].values()]
    out["mean_balanced_accuracy"] = round(float(np.mean(scores)), 4)
    out["mean_interval_95"] = mean_interval(every, rng)
    out["seconds"] = round(time.perf_counter() - t0, 1)
    print("| held-out style | balanced accuracy | 95% interval | accuracy | faces |")
    print("|---|---|---|---|---|")
    for style, v in out["styles"].items():
        lo, hi = v["interval_95"]
        print(
            f"| {style} | {v['balanced_accuracy']:.3f} | {lo:.3f} - {hi:.3f} "
            f"| {v['accuracy']:.3f} | {v['faces']} |"
        )
    lo, hi = out["mean_interval_95"]
    print(f"| **mean** | **{out['mean_balanced_accuracy']:.3f}** | {lo:.3f} - {hi:.3f} | | |")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
