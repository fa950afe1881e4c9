"""Writing what synth draws: PNG files, and a balanced order of classes to draw."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def balanced_order(classes: int, count: int, seed: int) -> np.ndarray:
    """`count` class indices in `classes`, each round of `classes` a fresh shuffle of them all,
    so every class gets its share whatever `count` is."""
    rng = np.random.default_rng([seed, 0])
    rounds = [rng.permutation(classes) for _ in range(-(-count // classes))]
    return np.concatenate(rounds)[:count]


def write_png(path: Path, rgb: np.ndarray) -> None:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError(f"{path}: could not encode PNG")
    path.write_bytes(buf.tobytes())
