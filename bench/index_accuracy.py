"""The whole pass against synth truth on unseen episodes, clean and as old transfers, with the
effect of each stage after the cascades.

Renders `--count` episodes of `--seconds` from `--seed` (never used for training or tuning:
cascades trained on seed 100 and tuned on 200, the indexer's settings chosen on 210), re-encodes
them with `toon synth degrade --strength medium`, and for each configuration indexes them into
a fresh warehouse with the real `index_library` and scores it with `toon evaluate-index`'s
function. Prints one JSON line per (footage, configuration) and a summary line, including
"which character is happiest" from the warehouse against the truth.

    .venv/bin/python bench/index_accuracy.py [--seed 7000 --count 10 --seconds 60] [--cascades DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/cascades.py would hide the cascades package
from bench.common import toon  # noqa: E402

CONFIGS = {
    "cascades alone": dict(proposer=False, character_head=False, tracking=False, smoothing=False),
    "+ learned proposer": dict(character_head=False, tracking=False, smoothing=False),
    "+ character head": dict(tracking=False, smoothing=False),
    "+ tracking and gap filling": dict(smoothing=False),
    "+ smoothing (default)": {},
}


def happiest(con, truth_dir: Path) -> tuple[str, str]:  # noqa: ANN001
    """(the warehouse's happiest character, the truth's), by share of screen time."""
    from core.truth import DONT_CARE_VISIBLE, read_truth
    from warehouse.queries import rank

    stored = rank(con, "happy", "character")[0]["character"]
    cast = {r[0] for r in con.execute("SELECT DISTINCT character FROM faces").fetchall()}
    seen: dict[str, list[int]] = {}
    for path in sorted(truth_dir.glob("*.truth.csv")):
        for r in read_truth(path):
            if r.character in cast and r.visible >= DONT_CARE_VISIBLE:
                s = seen.setdefault(r.character, [0, 0])
                s[0] += r.emotion == "happy"
                s[1] += 1
    true = max(seen, key=lambda c: seen[c][0] / seen[c][1])
    return stored, true


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=7000)
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--strength", default="medium")
    ap.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated subset")
    ap.add_argument("--keep", type=Path, help="keep the episodes in this folder")
    ap.add_argument("--cascades", type=Path, help="cascade folder (default: the shipped one)")
    args = ap.parse_args()

    import duckdb

    from cascades.finder import SHIPPED
    from indexer.evaluate import evaluate_warehouse
    from indexer.library import Indexer, index_library
    from indexer.pipeline import PassSettings
    from model.store import DEFAULT

    base = Indexer.load(DEFAULT, args.cascades or SHIPPED, PassSettings())
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        clean, worn = root / "clean", root / "worn"
        if not clean.exists():
            toon(
                "synth",
                "episodes",
                clean,
                "--count",
                args.count,
                "--seconds",
                args.seconds,
                "--seed",
                args.seed,
                "--jobs",
                2,
                "--json",
            )
        if not worn.exists():
            toon(
                "synth",
                "degrade",
                clean,
                worn,
                "--seed",
                args.seed + 1,
                "--strength",
                args.strength,
                "--json",
            )
        for footage, folder in (("clean", clean), (f"old transfer ({args.strength})", worn)):
            for name in args.configs.split(","):
                settings = dataclasses.replace(PassSettings(), **CONFIGS[name])
                ix = dataclasses.replace(base, settings=settings)
                wh = root / f"wh-{footage[:5]}-{list(CONFIGS).index(name)}"
                shutil.rmtree(wh, ignore_errors=True)
                t = time.perf_counter()
                summary = index_library([folder], wh, ix)
                seconds = time.perf_counter() - t
                with duckdb.connect(str(wh / "toon.duckdb"), read_only=True) as con:
                    report = evaluate_warehouse(con, folder)
                    stored, true = happiest(con, folder)
                print(
                    json.dumps(
                        {
                            "footage": footage,
                            "config": name,
                            **report.as_row(),
                            "happiest": stored,
                            "happiest_truth": true,
                            "faces": summary.as_json()["faces"],
                            "seconds": round(seconds, 1),
                        }
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
