"""PNG figures: learning curves, confusion matrices, filters and activations."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _save(fig: plt.Figure, path: Path) -> Path:
    tmp = path.with_name(path.name + ".part.png")
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, path)
    return path


def curves(
    histories: dict[str, dict[str, list[float]]], metric: str, path: Path, title: str = ""
) -> Path:
    """One line per run for `metric` (train solid, validation dashed)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    if title:
        ax.set_title(title, fontsize=9)
    for i, (name, h) in enumerate(histories.items()):
        colour = f"C{i % 10}"
        if metric in h:
            ax.plot(range(1, len(h[metric]) + 1), h[metric], colour, label=f"{name} train")
        if f"val_{metric}" in h:
            ax.plot(
                range(1, len(h[f"val_{metric}"]) + 1),
                h[f"val_{metric}"],
                colour,
                linestyle="--",
                label=f"{name} test",
            )
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return _save(fig, path)


def confusion(matrix: list[list[int]], classes: list[str], path: Path, title: str = "") -> Path:
    m = np.asarray(matrix, np.float64)
    share = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1 + 0.8 * len(classes), 1 + 0.7 * len(classes)))
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(
                j,
                i,
                int(m[i, j]),
                ha="center",
                va="center",
                color="white" if share[i, j] > 0.5 else "black",
                fontsize=8,
            )
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("truth")
    ax.set_title(title, fontsize=9)
    return _save(fig, path)


def grid(tiles: np.ndarray, path: Path, title: str, cmap: str | None = None) -> Path:
    """Tiles (N, H, W) or (N, H, W, 3) in any range, each scaled to its own min..max."""
    n = len(tiles)
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.9, rows * 0.9 + 0.4), squeeze=False)
    for ax, k in zip(axes.flat, range(rows * cols), strict=True):
        ax.axis("off")
        if k < n:
            t = tiles[k].astype(np.float64)
            t = (t - t.min()) / max(float(t.max() - t.min()), 1e-9)
            ax.imshow(t, cmap=cmap or ("gray" if t.ndim == 2 else None), interpolation="nearest")
    fig.suptitle(title, fontsize=9)
    return _save(fig, path)
