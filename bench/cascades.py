"""Shipped cascades against unseen synthetic episodes, with the stock face cascade for contrast.

Renders test episodes from a seed never used for training or tuning (cascades were trained on
seed 100 and tuned on seed 200), then runs `toon cascade eval` for every cascade on one core.

    .venv/bin/python bench/cascades.py [--seed 300 --count 3 --seconds 60]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
STOCK = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"


def toon(*args: object) -> str:
    cmd = [sys.executable, "-m", "toon", *map(str, args)]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=300)
    ap.add_argument("--count", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--no-stock", action="store_true", help="skip the stock face cascade")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        toon(
            "synth",
            "episodes",
            tmp,
            "--count",
            args.count,
            "--seconds",
            args.seconds,
            "--seed",
            args.seed,
            "--jobs",
            2,
        )
        for character in ("tom", "jerry"):
            cascades = [
                (
                    f"cascades/weights/default/{character}.xml",
                    ROOT / "cascades" / "weights" / "default" / f"{character}.xml",
                )
            ]
            if not args.no_stock:
                cascades.append(("stock frontalface_default", STOCK))
            for name, cascade in cascades:
                result = json.loads(
                    toon(
                        "cascade",
                        "eval",
                        "--cascade",
                        cascade,
                        "--character",
                        character,
                        "--truth",
                        tmp,
                        "--json",
                    )
                )
                rows.append({"cascade": name, "character": character} | result)
    print(
        json.dumps(
            {
                "test_episodes": f"toon synth episodes OUT --count {args.count} "
                f"--seconds {args.seconds:g} --seed {args.seed}",
                "results": rows,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
