"""The per-character cascades of one frame one after the other, or side by side in threads.

OpenCV's `detectMultiScale` releases the GIL and already splits its image pyramid over its own
worker threads (`cv2.getNumThreads()`, one per core by default). This times, on the sampled
frames of one episode, each cascade alone, the cascade set as the pass runs it
(`CascadeSet.detect`), the characters' cascades of a frame in a thread each, and whole frames
in a thread each (every thread with cascades of its own, a classifier is not safe to share;
checked to find the boxes the serial run finds); with OpenCV's own threads on and off. Prints
one JSON line per setting.

    .venv/bin/python bench/cascade_threads.py VIDEO [--sample-fps 1.5 --frames 150]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/cascades.py would hide the cascades package


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video", type=Path)
    ap.add_argument("--sample-fps", type=float, default=1.5)
    ap.add_argument("--frames", type=int, default=150)
    args = ap.parse_args()

    import os

    import cv2

    from cascades.finder import CascadeSet
    from core.video import read_frames

    cascades = CascadeSet.load()
    frames = [f.bgr for f in read_frames(args.video, sample_fps=args.sample_fps)][: args.frames]
    cores = os.cpu_count() or 1

    def timed(name: str, opencv_threads: int, run) -> None:  # noqa: ANN001
        t = time.perf_counter()
        run()
        ms = (time.perf_counter() - t) / len(frames) * 1000
        line = {"setting": name, "opencv_threads": opencv_threads, "ms_per_frame": round(ms, 2)}
        print(json.dumps(line | {"frames": len(frames), "cores": cores}), flush=True)

    for opencv_threads in (cores, 1):
        cv2.setNumThreads(opencv_threads)
        for d in cascades.detectors:
            timed(f"{d.path.stem} alone", opencv_threads, lambda d=d: [d.detect(f) for f in frames])
        timed("one after the other", opencv_threads, lambda: [cascades.detect(f) for f in frames])
        with ThreadPoolExecutor(len(cascades.detectors)) as pool:

            def per_character() -> None:
                for f in frames:
                    list(pool.map(lambda det, f=f: det.detect(f), cascades.detectors))

            timed("a thread per character", opencv_threads, per_character)
        serial = [cascades.detect(f).xyxy for f in frames]
        found: list[np.ndarray] = []
        with ThreadPoolExecutor(cores) as pool:
            list(pool.map(_own_detect, frames[:cores]))  # each thread's cascades loaded, untimed
            timed(
                "a thread per frame",
                opencv_threads,
                lambda found=found: found.extend(pool.map(_own_detect, frames)),
            )
        if not all(_same_boxes(a, b) for a, b in zip(serial, found, strict=True)):
            sys.exit("a thread per frame found other boxes than one after the other")


def _same_boxes(a: np.ndarray, b: np.ndarray) -> bool:
    """The same boxes, in any order (OpenCV's parallel pyramid may list them differently)."""
    return a.shape == b.shape and np.allclose(np.unique(a, axis=0), np.unique(b, axis=0))


_OWN = threading.local()


def _own_detect(bgr: np.ndarray) -> np.ndarray:
    """The shipped cascades' boxes, with cascades loaded once per thread: a CascadeClassifier
    is not safe to share between threads."""
    from cascades.finder import CascadeSet

    if not hasattr(_OWN, "cascades"):
        _OWN.cascades = CascadeSet.load()
    return _OWN.cascades.detect(bgr).xyxy


if __name__ == "__main__":
    main()
