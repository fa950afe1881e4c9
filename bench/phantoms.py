"""Phantom faces on real pictures without faces (the held-out clip of `make nonfaces`).

Every sampled frame of the clip shows a real picture with no face in it, so every face found is a
phantom. Three figures, one per stage of the pass:

- cascades alone: the shipped cascade set (`cascades.finder.CascadeSet`) on every frame sampled
  at 1 a second (each picture once): the share of frames where any cascade fires, and boxes
  per frame;
- the character head's verdict on those boxes (cropped as the indexer crops them): the share it
  calls `tom`, `jerry` and `other` (the indexer drops `other`);
- the whole pass: `toon index CLIP --warehouse TMP --sample-fps 1 --json` (tracks, their vote,
  gap filling and all), and the faces it stores per 1,000 sampled frames.

Prints one JSON line.

    .venv/bin/python bench/phantoms.py [--folder data/nonfaces/heldout] [--model DIR]
        [--cascades DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/cascades.py would hide the cascades package

SAMPLE_FPS = 1.0  # the clip shows each picture for exactly 1 s: every picture once
PER_FRAMES = 1000  # phantom faces are counted per this many sampled frames


def cascades_and_head(clips: list[Path], model_dir: Path, cascades_dir: Path) -> dict:
    """(a) the cascades alone on every sampled frame, (b) the character head on their boxes."""
    import numpy as np

    from cascades.finder import CascadeSet
    from core.video import read_frames
    from indexer.faces import FaceClassifier, crops
    from model.store import EmotionModel

    cascades = CascadeSet.load(cascades_dir)
    classifier = FaceClassifier(EmotionModel(model_dir))
    frames = fired = 0
    by_cascade: dict[str, int] = {}
    windows = []
    t = time.perf_counter()
    for clip in clips:
        for frame in read_frames(clip, sample_fps=SAMPLE_FPS):
            dets = cascades.detect(frame.bgr)
            frames += 1
            fired += len(dets) > 0
            for name in dets.character:
                by_cascade[str(name)] = by_cascade.get(str(name), 0) + 1
            windows.append(crops(frame.bgr, dets.xyxy, classifier.size))
    detect_s = time.perf_counter() - t
    boxes = sum(by_cascade.values())
    out = {
        "sampled_frames": frames,
        "cascades": {
            "share_of_frames_firing": round(fired / max(frames, 1), 4),
            "boxes_per_frame": round(boxes / max(frames, 1), 3),
            "boxes": boxes,
            "boxes_by_cascade": dict(sorted(by_cascade.items())),
            "ms_per_frame": round(1000 * detect_s / max(frames, 1), 1),
        },
    }
    names = classifier.characters
    if not names:
        out["head"] = None  # a model without a character head keeps every box
        return out
    rgb = np.concatenate(windows) if windows else np.zeros((0, classifier.size, classifier.size, 3))
    called = (
        classifier.classify(rgb.astype(np.uint8)).character.argmax(1)
        if len(rgb)
        else np.zeros(0, int)
    )
    out["head"] = {
        "windows": int(len(rgb)),
        "share_called": {
            name: round(float((called == i).mean()) if len(called) else 0.0, 4)
            for i, name in enumerate(names)
        },
    }
    return out


def index_pass(clips: list[Path], model_dir: Path, cascades_dir: Path) -> dict:
    """(c) the real `toon index` into a fresh warehouse: faces stored per 1,000 sampled frames."""
    import duckdb

    from synth.realworld import CLIP_HOLD_FRAMES

    with tempfile.TemporaryDirectory() as tmp:
        warehouse = Path(tmp) / "wh"
        cmd = [
            sys.executable,
            "-m",
            "toon",
            "index",
            *map(str, clips),
            "--warehouse",
            str(warehouse),
        ]
        cmd += ["--model", str(model_dir), "--cascades", str(cascades_dir)]
        cmd += ["--sample-fps", str(SAMPLE_FPS), "--json"]
        run = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if run.returncode != 0:
            raise SystemExit(f"toon index failed ({run.returncode}): {run.stderr.strip()[-2000:]}")
        summary = json.loads(run.stdout)
        con = duckdb.connect(str(warehouse / "toon.duckdb"), read_only=True)
        try:
            faces = con.execute("SELECT count(*) FROM faces").fetchone()[0]
            sampled = con.execute("SELECT sum(sampled_frames) FROM episodes").fetchone()[0] or 0
            by_character = dict(
                con.execute(
                    "SELECT character, count(*) FROM faces GROUP BY character ORDER BY character"
                ).fetchall()
            )
            filled = con.execute("SELECT count(*) FROM faces WHERE filled").fetchone()[0]
            frames = [f for (f,) in con.execute("SELECT frame FROM faces").fetchall()]
        finally:
            con.close()
    pictures = _pictures(clips)
    return {
        "faces": int(faces),
        "sampled_frames": int(sampled),
        "faces_per_1000_frames": round(PER_FRAMES * faces / max(sampled, 1), 1),
        "faces_by_character": by_character,
        "filled": int(filled),
        # Views of one picture are not independent draws: how many pictures the phantoms are on.
        "pictures": len(set(pictures)) if pictures else None,
        "pictures_with_phantoms": len({pictures[f // CLIP_HOLD_FRAMES] for f in frames})
        if pictures
        else None,
        "seconds": summary["seconds"],
    }


def _pictures(clips: list[Path]) -> list[str]:
    """The picture each second of the clip shows (its manifest's `made_from`, in clip order),
    or [] when the folder is not one `toon synth real-nonfaces --video` made."""
    from synth.realworld import MANIFEST

    if len(clips) != 1 or not (clips[0].parent / MANIFEST).is_file():
        return []
    with open(clips[0].parent / MANIFEST, newline="") as f:
        rows = {
            r["path"]: r["made_from"] for r in csv.DictReader(f) if r["path"].startswith("frames/")
        }
    return [rows[k] for k in sorted(rows)]


def main() -> None:
    from cascades.finder import SHIPPED
    from core.video import find_videos
    from model.store import DEFAULT

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", type=Path, default=ROOT / "data" / "nonfaces" / "heldout")
    ap.add_argument("--model", type=Path, default=DEFAULT, help="model folder (the shipped one)")
    ap.add_argument("--cascades", type=Path, default=SHIPPED, help="cascade folder (shipped)")
    args = ap.parse_args()
    if not args.folder.is_dir():
        raise SystemExit(f"{args.folder}: no held-out clip; run `make nonfaces` first")
    clips = find_videos([args.folder])
    if not clips:
        raise SystemExit(f"{args.folder}: no video in it; run `make nonfaces` first")
    result = {
        "clips": [str(c.relative_to(ROOT) if c.is_relative_to(ROOT) else c) for c in clips],
        "cpus": os.cpu_count(),
    }
    result.update(cascades_and_head(clips, args.model, args.cascades))
    result["index"] = index_pass(clips, args.model, args.cascades)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
