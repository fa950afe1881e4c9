"""The method's experiment: every optimizer, several runs each, one table of loss and accuracy."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

from model.data import fingerprint
from model.plots import curves
from model.settings import TrainSettings
from model.train import fit, load_data

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
    resume: bool = False,
) -> list[dict]:
    """Train `runs` times per optimizer on one split; loss and accuracy on its held-out 20%.

    Writes OUT/results.csv (a row per run), OUT/results.md (optimizer x run, with the mean),
    OUT/results.json, OUT/<optimizer>-accuracy.png / -loss.png (one curve per run), and what
    resuming needs: OUT/settings.json and OUT/histories.json. Runs go round the optimizers
    (every optimizer's run 1, then every run 2, ...) and the files are rewritten as each ends,
    so a comparison that stops keeps a balanced table; `resume` continues it.
    """
    if runs < 1:
        raise ValueError(f"--runs must be at least 1, got {runs}")
    base = TrainSettings(arch, None, epochs, classes, seed, augment=False).resolved()
    for name in optimizers:
        replace(base, optimizer=name).resolved()  # reject a bad name before hours of training
    rows, histories, before, uncurved = _resumed(out, resume)
    faces = load_data(data, base)
    settings = {
        "arch": arch,
        "epochs": base.epochs,
        "classes": list(faces.classes),
        "seed": seed,
        "images": len(faces),
        "images_sha1": fingerprint(faces.paths, faces.emotion, data),
    }
    if before is not None and "images_sha1" not in before:
        # Comparisons started before the images were fingerprinted: same settings otherwise.
        before = {**before, "images_sha1": settings["images_sha1"]}
        if progress:
            print(
                f"{out}: its images were not fingerprinted; taking them as these", file=sys.stderr
            )
    if before is not None and before != settings:
        raise ValueError(
            f"{out}: its comparison had other settings ({json.dumps(before)}), "
            f"not {json.dumps(settings)}"
        )
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "settings.json", json.dumps(settings, indent=2) + "\n")
    done = {(r["optimizer"], r["run"]) for r in rows}
    order = {
        name: k
        for k, name in enumerate(dict.fromkeys((*optimizers, *(r["optimizer"] for r in rows))))
    }
    for run in range(runs):
        for name in optimizers:
            if (name, run + 1) in done:
                continue
            s = replace(base, optimizer=name, run=run)
            if progress:
                print(f"{name} run {run + 1}/{runs}", file=sys.stderr)
            fitted = fit(faces, s, progress)
            history, seconds = fitted.history, fitted.seconds
            mine = histories.setdefault(name, {})
            mine[f"run {run + 1}"] = history
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
            rows.sort(key=lambda r: (order[r["optimizer"]], r["run"]))
            _write(out / "histories.json", json.dumps(histories) + "\n")
            _write_tables(out, rows, runs, faces.classes, len(faces), epochs, arch)
            mine = dict(sorted(mine.items(), key=lambda kv: int(kv[0].split()[1])))
            lost = uncurved.get(name)
            title = f"{name}; no curves kept for run {', '.join(map(str, lost))}" if lost else name
            curves(mine, "accuracy", out / f"{name}-accuracy.png", title)
            curves(mine, "loss", out / f"{name}-loss.png", title)
    return rows


def _resumed(out: Path, resume: bool) -> tuple[list[dict], dict, dict | None, dict[str, list[int]]]:
    """The rows, learning curves ({optimizer: {"run k": history}}), settings of the comparison
    in `out` to continue, and the runs whose curves were not kept ({optimizer: [run]}: their
    rows stay, their curves cannot be redrawn); none when there is none."""
    results = out / "results.json"
    if not results.exists():
        return [], {}, None, {}
    if not resume:
        raise FileExistsError(
            f"{out}: holds a comparison already; --resume continues it, or choose another --out"
        )
    try:
        rows = json.loads(results.read_text())
        settings = json.loads((out / "settings.json").read_text())
        histories = json.loads((out / "histories.json").read_text())
        if not all(isinstance(r, dict) and set(FIELDS) <= set(r) for r in rows):
            raise ValueError("results.json rows lack fields")
    except (OSError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise ValueError(f"{out}: cannot resume its comparison ({exc})") from None
    uncurved: dict[str, list[int]] = {}
    for r in rows:
        if f"run {r['run']}" not in histories.get(r["optimizer"], {}):
            uncurved.setdefault(r["optimizer"], []).append(r["run"])
    return rows, histories, settings, uncurved


def _write_tables(
    out: Path, rows: list[dict], runs: int, classes: tuple, images: int, epochs: int, arch: str
) -> None:
    table = io.StringIO()
    w = csv.DictWriter(table, FIELDS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    _write(out / "results.csv", table.getvalue())
    runs = max([runs, *(r["run"] for r in rows)])
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
        by_run = {r["run"]: f"{r['loss']:.3f} / {r['accuracy']:.3f}" for r in mine}
        cells = [by_run.get(k + 1, "") for k in range(runs)]
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
