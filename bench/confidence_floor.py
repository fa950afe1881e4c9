"""Choosing the character head's confidence floor: phantoms removed against faces lost.

A track is kept only when the head's mean probability of its character reaches the floor
(`PassSettings.min_character_confidence`). Every track of a warehouse indexed with no floor
carries that mean as `character_confidence`, so a floor is the same as deleting the faces
below it: for each floor this scores copies of the given warehouses so trimmed.

- `--scored DIR:TRUTH` (repeatable): a warehouse of episodes with truth, scored as
  `toon evaluate-index` does (detection, emotion, every emotion's ranking);
- `--phantoms DIR`: a warehouse of footage with none of the cast (`toon synth real-nonfaces
  --split train --video`, never the held-out clip): faces per 1,000 sampled frames.

Prints one JSON line per (warehouse, floor).

    .venv/bin/python bench/confidence_floor.py --scored data/conf-val/clean:data/val-index/clean \\
        --scored data/conf-val/worn:data/val-index/worn --phantoms data/conf-val/train-views
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/cascades.py would hide the cascades package

PER_FRAMES = 1000


def trimmed(warehouse: Path, floor: float, tmp: Path):  # noqa: ANN201
    """A writable copy of `warehouse`'s database with the faces under `floor` deleted."""
    import duckdb

    copy = tmp / f"floor-{floor:g}.duckdb"
    shutil.copyfile(warehouse / "toon.duckdb", copy)
    con = duckdb.connect(str(copy))
    con.execute("DELETE FROM faces WHERE character_confidence < ?", [floor])
    return con


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scored", action="append", default=[], metavar="WAREHOUSE:TRUTH")
    ap.add_argument("--phantoms", type=Path, action="append", default=[], metavar="WAREHOUSE")
    ap.add_argument("--floors", default="0,0.5,0.6,0.7,0.8,0.85,0.9,0.95")
    args = ap.parse_args()
    floors = [float(v) for v in args.floors.split(",")]

    from indexer.evaluate import evaluate_warehouse

    with tempfile.TemporaryDirectory() as tmp:
        for spec in args.scored:
            warehouse, _, truth = spec.partition(":")
            for floor in floors:
                con = trimmed(Path(warehouse), floor, Path(tmp))
                try:
                    r = evaluate_warehouse(con, Path(truth))
                    faces = con.execute("SELECT count(*) FROM faces").fetchone()[0]
                finally:
                    con.close()
                row = {
                    "warehouse": warehouse,
                    "floor": floor,
                    "faces": faces,
                    **r.as_row(),
                }
                print(json.dumps(row), flush=True)
        for warehouse in args.phantoms:
            for floor in floors:
                con = trimmed(warehouse, floor, Path(tmp))
                try:
                    faces = con.execute("SELECT count(*) FROM faces").fetchone()[0]
                    sampled = con.execute("SELECT sum(sampled_frames) FROM episodes").fetchone()[0]
                finally:
                    con.close()
                row = {
                    "warehouse": str(warehouse),
                    "floor": floor,
                    "phantoms": faces,
                    "sampled_frames": sampled,
                    "per_1000_frames": round(PER_FRAMES * faces / max(sampled or 0, 1), 2),
                }
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
