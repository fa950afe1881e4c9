"""Nested leave-one-style-out over all nine human-drawn styles of ../shared/datasets.

The nine styles of emoji-faces and emoji-faces-extra form seven groups that leave together
(fluent_flat and fluent_color are one artwork, flat and shaded; noto_v1 is Google's older
drawing of google). For each group held out (the outer loop), every candidate recipe is scored
by leave-one-group-out over the six other groups alone (the inner loop); the candidate with the
best mean balanced accuracy there fine-tunes BASE on all six, and the held-out styles are scored
once, with 95% bootstrap intervals over their faces. No choice sees the styles it is scored on.

Every candidate is also scored on each outer group (not only the chosen one), so that two
candidates differing in one thing (the style generator's faces, for one) can be compared on
the same held-out styles. Each run is kept under WORK with its scores, so a stopped run
resumes where it was.

Prints a Markdown table, then everything as JSON on the last line.

    .venv/bin/python bench/style_loso.py --base data/style/base --synth data/style/tune \\
        --artists data/style/artists
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
from bench.emoji_loso import balanced, interval, mean_interval, pairs_of  # noqa: E402

DATASETS = ROOT.parent / "shared" / "datasets"
STYLES = {
    **{s: DATASETS / "emoji-faces" / s for s in ("google", "twemoji", "openmoji")},
    **{s: DATASETS / "emoji-faces" / s for s in ("fluent_flat", "fluent_color")},
    **{s: DATASETS / "emoji-faces-extra" / s for s in ("noto_v1", "emojione_v1")},
    **{s: DATASETS / "emoji-faces-extra" / s for s in ("fxemoji", "streamline")},
}
GROUPS = (
    ("google", "noto_v1"),
    ("twemoji",),
    ("openmoji",),
    ("fluent_flat", "fluent_color"),
    ("emojione_v1",),
    ("fxemoji",),
    ("streamline",),
)


def recipe_name(r: dict) -> str:
    return f"os{r['oversample']}-ep{r['epochs']}" + ("-artists" if r["artists"] else "")


def parse_recipes(text: str) -> list[dict]:
    """OVERSAMPLE:EPOCHS[:artists], comma-separated."""
    out = []
    for spec in text.split(","):
        parts = spec.split(":")
        if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts[:2]):
            sys.exit(f"--recipes: expected OVERSAMPLE:EPOCHS[:artists], got {spec!r}")
        if len(parts) == 3 and parts[2] != "artists":
            sys.exit(f"--recipes: the third field can only be 'artists', got {parts[2]!r}")
        out.append(
            {"oversample": int(parts[0]), "epochs": int(parts[1]), "artists": len(parts) == 3}
        )
    return out


def assemble(folder: Path, links: dict[str, Path]) -> Path:
    """An ImageFolder of directory links, `name` -> `path` (names may hold a slash)."""
    for name, path in links.items():
        link = folder / name
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink():
            link.unlink()
        link.symlink_to(path.resolve(), target_is_directory=True)
    return folder


class Runner:
    """Fine-tunes a start model in this process (TensorFlow starts once) and scores it."""

    def __init__(self, base: Path, synth: Path, artists: Path | None, work: Path) -> None:
        self.base, self.synth, self.artists, self.work = base, synth, artists, work
        self.runs = 0

    def links(self, trained: list[str], recipe: dict) -> dict[str, Path]:
        """The fine-tuning ImageFolder of a recipe: the synthetic faces, the `trained` styles
        under drawn/ and, where the recipe says, the style generator's faces."""
        links = {"synth": self.synth} | {f"drawn/{s}": STYLES[s] for s in trained}
        if recipe["artists"]:
            if self.artists is None:
                sys.exit("a recipe with artists needs --artists")
            links["artists"] = self.artists
        return links

    def score(self, run: Path, trained: list[str], held: list[str], recipe: dict) -> dict:
        """{style: `toon evaluate --json`} for each of `held`, BASE fine-tuned on `trained`."""
        links = self.links(trained, recipe)
        return self.tune_and_score(run, links, {s: STYLES[s] for s in held}, recipe)

    def tune_and_score(
        self,
        run: Path,
        links: dict[str, Path],
        held: dict[str, Path],
        recipe: dict,
        init: Path | None = None,
        oversample: str = "drawn",
    ) -> dict:
        """{name: `toon evaluate --json`} for each folder of `held`, `init` (BASE by default)
        fine-tuned with `recipe` on the ImageFolder of `links`, `oversample`'s images shown
        the recipe's number of times an epoch. Kept in `run`: a second call reads it back."""
        done = run / "scores.json"
        if done.is_file():
            return json.loads(done.read_text())
        from keras import backend

        from model.evaluate import evaluate
        from model.settings import TrainSettings
        from model.train import train

        settings = TrainSettings(
            epochs=recipe["epochs"],
            init=str(init or self.base),
            oversample=((oversample, recipe["oversample"]),),
        )
        t0 = time.perf_counter()
        train(assemble(run / "data", links), run / "model", settings, progress=False)
        scores = {name: evaluate(run / "model", path).as_json() for name, path in held.items()}
        scores = {name: r | {"run_seconds": round(time.perf_counter() - t0, 1)}
                  for name, r in scores.items()}  # fmt: skip
        backend.clear_session()
        self.runs += 1
        print(
            f"{run.relative_to(self.work)}: "
            + ", ".join(f"{s} {r['balanced_accuracy']:.3f}" for s, r in scores.items())
            + f" ({time.perf_counter() - t0:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
        done.write_text(json.dumps(scores))
        return scores


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, required=True, help="model folder that saw no drawn style")
    ap.add_argument("--synth", type=Path, required=True, help="synthetic faces to fine-tune with")
    ap.add_argument("--artists", type=Path, help="style generator faces (toon synth artists)")
    ap.add_argument(
        "--work", type=Path, default=ROOT / "data" / "style-loso", help="(data/style-loso)"
    )
    ap.add_argument(
        "--recipes", default="20:4,20:4:artists",
        help="candidates OVERSAMPLE:EPOCHS[:artists], comma-separated (20:4,20:4:artists)",
    )  # fmt: skip
    ap.add_argument("--outer", help="only these held-out groups, by first style (for a check)")
    args = ap.parse_args()
    missing = [str(p) for p in STYLES.values() if not p.is_dir()]
    if missing:
        sys.exit(f"{missing[0]}: not found")
    recipes = parse_recipes(args.recipes)
    runner = Runner(args.base, args.synth, args.artists, args.work)
    rng = np.random.default_rng(0)
    out: dict = {"base": str(args.base), "synth": str(args.synth), "recipes": recipes}
    out["artists"] = str(args.artists) if args.artists else None
    out["outer"] = {}
    outer = [g for g in GROUPS if not args.outer or g[0] in args.outer.split(",")]
    t0 = time.perf_counter()
    pairs: dict[str, dict[str, np.ndarray]] = {recipe_name(r): {} for r in recipes}
    for group in outer:
        rest = [g for g in GROUPS if g != group]
        gname = "+".join(group)
        inner = {}
        for r in recipes:  # the inner loop: each other group left out once
            per = {}
            for held in rest:
                trained = [s for g in rest if g != held for s in g]
                run = args.work / gname / "inner" / recipe_name(r) / "+".join(held)
                for style, rep in runner.score(run, trained, list(held), r).items():
                    per[style] = rep["balanced_accuracy"]
            inner[recipe_name(r)] = {
                "per_style": per,
                "mean": round(float(np.mean(list(per.values()))), 4),
            }
        chosen = max(recipes, key=lambda r: inner[recipe_name(r)]["mean"])
        scored = {}
        for r in recipes:  # the outer score of every candidate, the chosen one marked
            run = args.work / gname / "outer" / recipe_name(r)
            reps = runner.score(run, [s for g in rest for s in g], list(group), r)
            for style, rep in reps.items():
                p = pairs_of(rep)
                pairs[recipe_name(r)][style] = p
                low, high = interval(p, rng)
                scored.setdefault(recipe_name(r), {})[style] = {
                    "balanced_accuracy": rep["balanced_accuracy"],
                    "accuracy": rep["accuracy"],
                    "interval_95": [round(low, 3), round(high, 3)],
                    "faces": rep["images"],
                }
        out["outer"][gname] = {"inner": inner, "chosen": recipe_name(chosen), "scores": scored}
        print(f"{gname}: chose {recipe_name(chosen)} {inner}", file=sys.stderr, flush=True)

    def summary(per_style: dict[str, np.ndarray]) -> dict:
        scores = [balanced(p) for p in per_style.values()]
        return {
            "mean_balanced_accuracy": round(float(np.mean(scores)), 4),
            "mean_interval_95": mean_interval(list(per_style.values()), rng),
            "weakest": round(float(min(scores)), 4),
        }

    chosen_pairs = {
        s: pairs[o["chosen"]][s] for o in out["outer"].values() for s in o["scores"][o["chosen"]]
    }
    out["nested"] = summary(chosen_pairs)
    out["per_recipe"] = {name: summary(p) for name, p in pairs.items()}
    out["runs"] = runner.runs
    out["seconds"] = round(time.perf_counter() - t0, 1)
    names = [recipe_name(r) for r in recipes]
    print(
        "| held-out style | chosen | nested (chosen recipe) | " + " | ".join(names) + " | faces |"
    )
    print("|---|---|---|" + "---|" * len(names) + "---|")
    for o in out["outer"].values():
        for style in o["scores"][o["chosen"]]:
            cells = []
            for name in [o["chosen"], *names]:
                v = o["scores"][name][style]
                lo, hi = v["interval_95"]
                cells.append(f"{v['balanced_accuracy']:.3f} ({lo:.3f} - {hi:.3f})")
            faces = o["scores"][o["chosen"]][style]["faces"]
            print(f"| {style} | {o['chosen']} | " + " | ".join(cells) + f" | {faces} |")
    row = [out["nested"], *(out["per_recipe"][n] for n in names)]
    cells = [
        f"**{v['mean_balanced_accuracy']:.3f}** ({v['mean_interval_95'][0]:.3f} - "
        f"{v['mean_interval_95'][1]:.3f}), weakest {v['weakest']:.3f}"
        for v in row
    ]
    print("| **mean** | | " + " | ".join(cells) + " | |")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
