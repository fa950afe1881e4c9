"""The default emotion model against unseen synthetic faces, the emoji styles, sketches, and time.

Renders test faces from seeds never used in training (the shipped model was trained on seeds 1
and 2, the emoji show's on 21 and 22, and fine-tuned on 41-44), then prints, as JSON:
- `toon evaluate` on 3,000 colour faces (seed 901);
- with `--emoji`, `toon evaluate` on each style of ../shared/datasets/emoji-faces: only for a
  `--model` that never saw them (the shipped model has learnt from every human-drawn style
  since 2026-12-07; bench/style_loso.py scores its recipe on styles held out);
- sketch search: each sketch face (seed 902) embedded, its 10 nearest colour faces (seed 901) by
  cosine in a FAISS flat index, and the share of those with the sketch's emotion (precision@10);
- inference speed with embeddings, in faces per second, on every core of this machine.

    .venv/bin/python bench/emotion_model.py [--model model/weights/default] [--emoji]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EMOJI = ROOT.parent / "shared" / "datasets" / "emoji-faces"
STYLES = ("google", "twemoji", "openmoji", "fluent_flat", "fluent_color")


def toon(*args: object) -> str:
    cmd = [sys.executable, "-m", "toon", *map(str, args)]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout


def precision_at_k(
    query: np.ndarray, query_labels: np.ndarray, base: np.ndarray, base_labels: np.ndarray, k: int
) -> float:
    """Mean share of each query's k nearest base vectors (inner product) with its label."""
    index = faiss.IndexFlatIP(base.shape[1])
    index.add(np.ascontiguousarray(base, np.float32))
    _, nearest = index.search(np.ascontiguousarray(query, np.float32), k)
    return float((base_labels[nearest] == query_labels[:, None]).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=ROOT / "model" / "weights" / "default")
    ap.add_argument("--count", type=int, default=3000, help="colour test faces")
    ap.add_argument("--sketches", type=int, default=1050, help="sketch queries")
    ap.add_argument(
        "--emoji",
        action="store_true",
        help="also score every emoji style (a model that never saw them)",
    )
    args = ap.parse_args()
    from model.data import load, scan
    from model.store import EmotionModel

    out: dict = {"model": str(args.model), "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        colour, sketch = Path(tmp) / "colour", Path(tmp) / "sketch"
        toon("synth", "faces", colour, "--count", args.count, "--seed", 901)
        toon("synth", "faces", sketch, "--count", args.sketches, "--seed", 902, "--style", "sketch")
        out["synth_colour_seed_901"] = json.loads(
            toon("evaluate", args.model, colour, "--json", "--confusion", Path(tmp) / "c.png")
        )
        out["emoji"] = {}
        for style in STYLES if args.emoji else ():
            if (EMOJI / style).is_dir():
                r = json.loads(
                    toon(
                        "evaluate",
                        args.model,
                        EMOJI / style,
                        "--json",
                        "--confusion",
                        Path(tmp) / f"{style}.png",
                    )
                )
                out["emoji"][style] = r
        model = EmotionModel(args.model)
        faces_c = load(scan(colour), model.classes, (), model.size)
        faces_s = load(scan(sketch), model.classes, (), model.size)
        emb_c = model.predict(faces_c.images).embedding
        emb_s = model.predict(faces_s.images).embedding
        out["sketch_to_colour_precision_at_10"] = round(
            precision_at_k(emb_s, faces_s.emotion, emb_c, faces_c.emotion, 10), 4
        )
        model.predict(faces_c.images[:512])  # warm up
        t0 = time.perf_counter()
        rounds = 3
        for _ in range(rounds):
            model.predict(faces_c.images)
        seconds = time.perf_counter() - t0
        out["inference_faces_per_second"] = round(rounds * len(faces_c) / seconds, 1)
    for key in ("synth_colour_seed_901",):
        out[key].pop("confusion_png", None)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
