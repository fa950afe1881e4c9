"""The method's experiment: every optimizer, several runs each, one table of loss and accuracy."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

from model.plots import curves
from model.train import TrainSettings, fit, load_data

FIELDS = ("optimizer", "run", "loss", "accuracy", "train_loss", "train_accuracy", "seconds")


def compare(
    data: Path,
    out: Path,
    arch: str = "seed",
    runs: int = 5,
    epochs: int = 50,
    classes: tuple[str, ...] | None = None,
    seed: int = 12379231,
    optimizers: tuple[str, ...] = ("sgd", "adagrad", "adadelta", "rmsprop", "adam"),
    progress: bool = True,
) -> list[dict]:
    """Train `runs` times per optimizer on one split; loss and accuracy on its held-out 20%.

    Writes OUT/results.csv (a row per run), OUT/results.md (optimizer x run, with the mean) and
    OUT/<optimizer>-accuracy.png / -loss.png (one curve per run). Rows are appended as runs end,
    so a long comparison that stops keeps what it finished.
    """
    if runs < 1:
        raise ValueError(f"--runs must be at least 1, got {runs}")
    base = TrainSettings(arch, None, epochs, classes, seed, augment=False).resolved()
    for name in optimizers:
        replace(base, optimizer=name).resolved()  # reject a bad name before hours of training
    faces = load_data(data, base)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    for name in optimizers:
        histories = {}
        for run in range(runs):
            s = replace(base, optimizer=name, run=run)
            if progress:
                print(f"{name} run {run + 1}/{runs}", file=sys.stderr)
            _, history, _, _, seconds = fit(faces, s, progress)
            histories[f"run {run + 1}"] = history
            rows.append(
                {
                    "optimizer": name,
                    "run": run + 1,
                    "loss": round(history["val_loss"][-1], 4),
                    "accuracy": round(history["val_accuracy"][-1], 4),
                    "train_loss": round(history["loss"][-1], 4),
                    "train_accuracy": round(history["accuracy"][-1], 4),
                    "seconds": round(seconds, 1),
                }
            )
            _write_tables(out, rows, runs, faces.classes, len(faces), epochs, arch)
        curves(histories, "accuracy", out / f"{name}-accuracy.png")
        curves(histories, "loss", out / f"{name}-loss.png")
    return rows


def _write_tables(
    out: Path, rows: list[dict], runs: int, classes: tuple, images: int, epochs: int, arch: str
) -> None:
    table = io.StringIO()
    w = csv.DictWriter(table, FIELDS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    _write(out / "results.csv", table.getvalue())
    head = "| optimizer | " + " | ".join(f"run {r + 1}" for r in range(runs)) + " | mean |"
    lines = [
        f"`{arch}` network, {epochs} epochs, {images} images ({', '.join(classes)}), "
        "stratified 80/20 split; each cell: test loss / test accuracy.",
        "",
        head,
        "|" + "---|" * (runs + 2),
    ]
    for name in dict.fromkeys(r["optimizer"] for r in rows):
        mine = [r for r in rows if r["optimizer"] == name]
        cells = [f"{r['loss']:.3f} / {r['accuracy']:.3f}" for r in mine]
        cells += [""] * (runs - len(mine))
        mean_loss = sum(r["loss"] for r in mine) / len(mine)
        mean_acc = sum(r["accuracy"] for r in mine) / len(mine)
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {mean_loss:.3f} / {mean_acc:.3f} |")
    _write(out / "results.md", "\n".join(lines) + "\n")
    _write(out / "results.json", json.dumps(rows, indent=2) + "\n")


def _write(path: Path, text: str) -> None:
    """Replace `path` whole, so a comparison stopped mid-write leaves the last full table."""
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(text)
    os.replace(tmp, path)
