"""Scoring a model folder on an ImageFolder, and classifying single images."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.data import load, scan
from model.metrics import Evaluation, report
from model.plots import confusion
from model.store import EmotionModel


def evaluate(model_dir: Path, data: Path, confusion_png: Path | None = None) -> Evaluation:
    """`toon evaluate --json`: scores on every face of `data` whose emotion the model knows."""
    model = EmotionModel(model_dir)
    items = scan(data, model.named_characters)
    known = [i for i in items if i.emotion in model.classes]
    if not known:
        found = sorted({i.emotion for i in items if i.emotion})
        raise ValueError(
            f"{data}: no images of the model's emotions ({', '.join(model.classes)}); "
            f"found {', '.join(found) or 'none'}"
        )
    faces = load(known, model.classes, model.named_characters, model.size)
    predicted = model.predict(faces.images).emotion.argmax(1)
    result = report(faces.emotion, predicted, model.classes)
    png = confusion_png or model_dir / "confusion.png"
    confusion(result.confusion.tolist(), list(model.classes), png, f"{data}")
    return Evaluation(result, len(faces), len(items) - len(known), png)


def classify(model_dir: Path, images: list[Path]) -> list[dict]:
    """`toon classify --json`: per image, the emotion, its probabilities, and the character."""
    model = EmotionModel(model_dir)
    for path in images:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such image")
    pred = model.predict(model.read(images))
    rows = []
    for n, path in enumerate(images):
        probs = pred.emotion[n]
        row = {
            "image": str(path),
            "emotion": model.classes[int(np.argmax(probs))],
            "probabilities": {
                c: round(float(p), 4) for c, p in zip(model.classes, probs, strict=True)
            },
        }
        if pred.character is not None:
            row["character"] = model.characters[int(np.argmax(pred.character[n]))]
            row["character_probabilities"] = {
                c: round(float(p), 4)
                for c, p in zip(model.characters, pred.character[n], strict=True)
            }
        rows.append(row)
    return rows
