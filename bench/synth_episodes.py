"""Speed and integrity of `toon synth episodes` on one core.

Runs the real command (pinned to one core with `taskset` where it exists), then decodes every
video with OpenCV and checks it against its truth file.

    .venv/bin/python bench/synth_episodes.py [--count 2 --seconds 60 --seed 7]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import cv2

from core.truth import read_truth
from synth import CHARACTERS, EMOTIONS


def decoded_frames(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            *pin,
            sys.executable,
            "-m",
            "toon",
            "synth",
            "episodes",
            tmp,
            "--count",
            str(args.count),
            "--seconds",
            str(args.seconds),
            "--seed",
            str(args.seed),
            "--json",
        ]
        t0 = time.perf_counter()
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        shown = ["toon", *cmd[len(pin) + 3 :]]
        report = {
            "command": " ".join(shown).replace(tmp, "OUT"),
            "pinned_to_one_core": bool(pin),
            "wall_s": round(wall, 1),
            "s_per_episode": round(wall / args.count, 1),
            "episodes": [],
        }
        for meta in json.loads(out.stdout)["episodes"]:
            rows = list(read_truth(Path(tmp) / meta["truth"]))
            frames = decoded_frames(Path(tmp) / meta["video"])
            emotions = Counter(r.emotion for r in rows)
            characters = Counter(r.character for r in rows)
            report["episodes"].append(
                {
                    "episode": meta["episode_id"],
                    "frames_decoded": frames,
                    "frames_expected": meta["frames"],
                    "truth_frames_within_video": all(0 <= r.frame < frames for r in rows),
                    "faces": len(rows),
                    "mp4_bytes": (Path(tmp) / meta["video"]).stat().st_size,
                    "all_emotions": set(emotions) == set(EMOTIONS),
                    "all_characters": set(characters) == set(CHARACTERS),
                    "faces_per_emotion": dict(sorted(emotions.items())),
                    "faces_per_character": dict(sorted(characters.items())),
                }
            )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
