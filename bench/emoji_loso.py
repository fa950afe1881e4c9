"""Leave-one-style-out on ../shared/datasets/emoji-faces: train without a style, test on it.

For each held-out group (google, twemoji, openmoji, and fluent_flat with fluent_color: one
artwork, flat and shaded, held out together so that the score does not measure a copy), this
fine-tunes BASE, a model that never saw an emoji, on SYNTH plus the other styles, exactly as
`make weights` makes the shipped model from all five, then runs `toon evaluate` on each held-out
style. Prints a Markdown table, then the whole result as JSON on the last line.

    .venv/bin/python bench/emoji_loso.py --base data/models/synth --synth data/faces/train
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EMOJI = ROOT.parent / "shared" / "datasets" / "emoji-faces"
GROUPS = (("google",), ("twemoji",), ("openmoji",), ("fluent_flat", "fluent_color"))
STYLES = tuple(s for g in GROUPS for s in g)


def toon(*args: object) -> str:
    cmd = [sys.executable, "-m", "toon", *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        sys.exit(f"toon {' '.join(map(str, args))}: {done.stderr.strip()}")
    return done.stdout


def assemble(folder: Path, synth: Path, styles: tuple[str, ...]) -> Path:
    """An ImageFolder of links: synth/ and emoji/<style>/ for each style given."""
    (folder / "emoji").mkdir(parents=True, exist_ok=True)
    (folder / "synth").unlink(missing_ok=True)
    (folder / "synth").symlink_to(synth.resolve(), target_is_directory=True)
    for style in STYLES:
        link = folder / "emoji" / style
        link.unlink(missing_ok=True)
        if style in styles:
            link.symlink_to(EMOJI / style, target_is_directory=True)
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, required=True, help="model folder trained without emoji")
    ap.add_argument("--synth", type=Path, required=True, help="its synthetic training faces")
    ap.add_argument("--work", type=Path, default=ROOT / "data" / "loso", help="(data/loso)")
    ap.add_argument("--epochs", type=int, default=6, help="fine-tuning epochs (6)")
    ap.add_argument("--oversample", type=int, default=20, help="emoji shown N times (20)")
    args = ap.parse_args()
    if not EMOJI.is_dir():
        sys.exit(f"{EMOJI}: not found")
    out: dict = {"base": str(args.base), "epochs": args.epochs, "oversample": args.oversample}
    out["styles"] = {}
    for group in GROUPS:
        name = "+".join(group)
        train_on = tuple(s for s in STYLES if s not in group)
        data = assemble(args.work / name / "data", args.synth, train_on)
        model = args.work / name / "model"
        print(f"holding out {name}: training on synth + {', '.join(train_on)}", file=sys.stderr)
        t0 = time.perf_counter()
        trained = json.loads(
            toon(
                "train", data, "--out", model, "--init", args.base, "--epochs", args.epochs,
                "--oversample", f"emoji={args.oversample}", "--json",
            )
        )  # fmt: skip
        for style in group:
            r = json.loads(toon("evaluate", model, EMOJI / style, "--json"))
            out["styles"][style] = {
                "held_out_with": list(group),
                "balanced_accuracy": r["balanced_accuracy"],
                "accuracy": r["accuracy"],
                "images": r["images"],
                "held_out_split_balanced_accuracy": trained["balanced_accuracy"],
                "train_seconds": trained["train_seconds"],
                "wall_seconds": round(time.perf_counter() - t0, 1),
            }
        print(
            f"  {name}: {[out['styles'][s]['balanced_accuracy'] for s in group]}", file=sys.stderr
        )
    scores = [v["balanced_accuracy"] for v in out["styles"].values()]
    out["mean_balanced_accuracy"] = round(sum(scores) / len(scores), 4)
    print("| held-out style | balanced accuracy | accuracy | faces |")
    print("|---|---|---|---|")
    for style, v in out["styles"].items():
        print(f"| {style} | {v['balanced_accuracy']:.3f} | {v['accuracy']:.3f} | {v['images']} |")
    print(f"| **mean** | **{out['mean_balanced_accuracy']:.3f}** | | |")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
