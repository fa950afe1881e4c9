"""Indexing speed: decode-only, the indexer at its defaults, and a method-style pass, on the
same files in one run.

- decode-only: the same decoder (OpenCV's FFmpeg), every frame decoded and converted.
- indexer: `toon index` at its defaults into a fresh warehouse (model and cascades loaded
  beforehand, as in a long run), database writes and snapshot publishing included.
- `toon index` command: the whole command in a fresh process, start-up (Python, TensorFlow,
  the model and cascades) included, into another fresh warehouse.
- method-style: the 2017 method's loop: every frame, both cascades at scale factor 1.1 on the
  full frame, one model call per face.

Speeds are seconds of video per second of wall time (x real time). Renders its own episodes
from an unseen seed unless given a folder.

    .venv/bin/python bench/index_speed.py [--folder DIR | --seed 4100 --count 2 --seconds 60]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/cascades.py would hide the cascades package
from bench.common import toon  # noqa: E402


def decode_only(videos: list[Path]) -> float:
    from core.video import read_frames

    t = time.perf_counter()
    for v in videos:
        for _ in read_frames(v):
            pass
    return time.perf_counter() - t


def indexer_pass(videos: list[Path], out: Path) -> tuple[float, dict]:
    from cascades.finder import SHIPPED
    from indexer.library import Indexer, index_library
    from indexer.pipeline import PassSettings
    from model.store import DEFAULT

    ix = Indexer.load(DEFAULT, SHIPPED, PassSettings())
    ix.classifier.classify(__import__("numpy").zeros((1, 64, 64, 3), "uint8"))  # warm up
    t = time.perf_counter()
    summary = index_library(videos, out, ix)
    return time.perf_counter() - t, summary.as_json()


def whole_command(videos: list[Path], out: Path) -> float:
    t = time.perf_counter()
    toon("index", *videos, "--warehouse", out, "--json")
    return time.perf_counter() - t


def method_pass(videos: list[Path]) -> tuple[float, int]:
    import numpy as np

    from cascades.detect import Detector
    from cascades.finder import CascadeSet
    from core.video import read_frames
    from indexer.faces import crops
    from model.store import DEFAULT, EmotionModel

    shipped = CascadeSet.load()
    detectors = [
        Detector(d.path, dataclasses.replace(d.settings, scale_factor=1.1, downscale=1.0))
        for d in shipped.detectors
    ]
    model = EmotionModel(DEFAULT)
    model.predict(np.zeros((1, 64, 64, 3), np.uint8))
    faces = 0
    t = time.perf_counter()
    for v in videos:
        for frame in read_frames(v):
            for d in detectors:
                for box in d.detect(frame.bgr):
                    model.predict(crops(frame.bgr, box[None], model.size))
                    faces += 1
    return time.perf_counter() - t, faces


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", type=Path, help="episodes to time (default: render some)")
    ap.add_argument("--seed", type=int, default=4100)
    ap.add_argument("--count", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--skip-method", action="store_true", help="the method-style pass is slow")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder
        if folder is None:
            folder = Path(tmp) / "episodes"
            toon(
                "synth",
                "episodes",
                folder,
                "--count",
                str(args.count),
                "--seconds",
                str(args.seconds),
                "--seed",
                str(args.seed),
                "--json",
            )
        from core.video import count_frames, find_videos, probe

        videos = find_videos([folder])
        video_s = 0.0
        for v in videos:
            n, last = count_frames(v)
            video_s += last + 1 / probe(v).fps
        result = {"files": len(videos), "video_seconds": round(video_s, 2), "cpus": os.cpu_count()}
        t = decode_only(videos)
        result["decode_only_x"] = round(video_s / t, 1)
        t, summary = indexer_pass(videos, Path(tmp) / "wh")
        result["indexer_x"] = round(video_s / t, 1)
        result["indexer_faces"] = summary["faces"]
        t = whole_command(videos, Path(tmp) / "wh-command")
        result["toon_index_command_x"] = round(video_s / t, 1)
        result["toon_index_command_over_decode"] = round(
            result["toon_index_command_x"] / result["decode_only_x"], 3
        )
        if not args.skip_method:
            t, faces = method_pass(videos)
            result["method_x"] = round(video_s / t, 2)
            result["method_faces"] = faces
            result["indexer_over_method"] = round(result["indexer_x"] / result["method_x"], 1)
        result["indexer_over_decode"] = round(result["indexer_x"] / result["decode_only_x"], 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
