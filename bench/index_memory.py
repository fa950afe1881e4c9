"""Peak memory of `toon index` on one episode, for episodes of different lengths.

Each length is rendered (seed 4200) and indexed by a fresh `toon index` process, whose peak
resident memory (ru_maxrss) is reported; a flat figure means memory does not grow with the
episode.

    .venv/bin/python bench/index_memory.py [--seconds 60 600] [--cascades DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/cascades.py would hide the cascades package
from bench.common import toon  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, nargs="+", default=[60, 600])
    ap.add_argument("--seed", type=int, default=4200)
    ap.add_argument("--cascades", type=Path, help="cascade folder (default: the shipped one)")
    args = ap.parse_args()
    rows = []
    for seconds in args.seconds:
        with tempfile.TemporaryDirectory() as tmp:
            eps = Path(tmp) / "episodes"
            toon(
                "synth",
                "episodes",
                eps,
                "--count",
                "1",
                "--seconds",
                str(seconds),
                "--seed",
                str(args.seed),
                "--json",
            )
            # each index run in its own child, so RUSAGE_CHILDREN's max is that run's peak
            probe = (
                "import resource, subprocess, sys, json;"
                "r = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
                "print(json.dumps({'rc': r.returncode, 'out': r.stdout,"
                " 'peak_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))"
            )
            t = time.perf_counter()
            out = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    probe,
                    sys.executable,
                    "-m",
                    "toon",
                    "index",
                    str(eps),
                    "--warehouse",
                    str(Path(tmp) / "wh"),
                    "--json",
                    *(["--cascades", str(args.cascades.resolve())] if args.cascades else []),
                ],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            report = json.loads(out.stdout)
            summary = json.loads(report["out"])
            rows.append(
                {
                    "episode_seconds": seconds,
                    "cascades": str(args.cascades or "shipped"),
                    "peak_mb": round(report["peak_kb"] / 1024, 1),
                    "faces": summary["faces"],
                    "wall_s": round(time.perf_counter() - t, 1),
                }
            )
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
