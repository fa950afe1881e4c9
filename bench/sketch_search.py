"""Sketch search from a warehouse: hand-drawn-style faces as queries against indexed faces.

Draws `--count` sketches (`toon synth faces --style sketch`, an unseen seed), embeds each with
the model that indexed the warehouse, asks `warehouse.queries.similar` for its 10 nearest faces,
and prints emotion precision@10: the share of those faces whose emotion is the sketch's, both by
the warehouse's own emotion column and by the truth of the frame (faces matched to a truth box).

    .venv/bin/python bench/sketch_search.py --warehouse DIR --truth DIR [--seed 7100 --count 700]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/cascades.py would hide the cascades package
from bench.common import toon  # noqa: E402


def truth_emotions(con, truth_dir: Path) -> dict[int, str]:  # noqa: ANN001
    """face_id -> the truth's emotion, for faces that overlap a truth face (IoU >= 0.5)."""
    import numpy as np

    from core.detections import iou
    from core.truth import read_truth

    out: dict[int, str] = {}
    for (episode_id,) in con.execute(
        "SELECT episode_id FROM episodes WHERE status='indexed'"
    ).fetchall():
        by_frame: dict[tuple, list] = {}
        for r in read_truth(truth_dir / f"{episode_id}.truth.csv"):
            by_frame.setdefault((r.frame, r.character), []).append(r)
        rows = con.execute(
            "SELECT face_id, frame, character, x1, y1, x2, y2 FROM faces WHERE episode_id = ?",
            [episode_id],
        ).fetchall()
        for face_id, frame, character, *box in rows:
            cands = by_frame.get((frame, character), [])
            if cands:
                m = iou(np.array([box], float), np.array([c.xyxy for c in cands], float))[0]
                if m.max() >= 0.5:
                    out[face_id] = cands[int(m.argmax())].emotion
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", type=Path, required=True)
    ap.add_argument("--truth", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=7100)
    ap.add_argument("--count", type=int, default=700)
    ap.add_argument("-k", type=int, default=10)
    args = ap.parse_args()

    import csv

    from indexer.similar import check_model, embed_image
    from model.store import DEFAULT, EmotionModel
    from warehouse import queries, reader

    model = EmotionModel(DEFAULT)
    index = reader.face_index(args.warehouse)
    with tempfile.TemporaryDirectory() as tmp, reader.connect(args.warehouse) as con:
        check_model(con, model)
        toon(
            "synth",
            "faces",
            tmp,
            "--count",
            str(args.count),
            "--seed",
            str(args.seed),
            "--style",
            "sketch",
            "--json",
        )
        truth = truth_emotions(con, args.truth)
        with open(Path(tmp) / "faces.csv") as f:
            sketches = list(csv.DictReader(f))
        by_stored = by_truth = 0.0
        judged = 0
        for s in sketches:
            rows = queries.similar(con, index, embed_image(model, Path(tmp) / s["path"]), args.k)
            by_stored += sum(r["emotion"] == s["emotion"] for r in rows) / args.k
            known = [truth[r["face_id"]] for r in rows if r["face_id"] in truth]
            if known:
                by_truth += sum(e == s["emotion"] for e in known) / len(known)
                judged += 1
    print(
        json.dumps(
            {
                "queries": len(sketches),
                "k": args.k,
                "faces_indexed": index.ntotal,
                "precision_at_k_stored_emotion": round(by_stored / len(sketches), 4),
                "precision_at_k_truth_emotion": round(by_truth / max(judged, 1), 4),
            }
        )
    )


if __name__ == "__main__":
    main()
