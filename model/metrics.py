"""Accuracy, balanced accuracy, per-class precision/recall/F1 and the confusion matrix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class ClassScore:
    name: str
    precision: float
    recall: float
    f1: float
    support: int  # faces of this class in the truth


@dataclass(frozen=True)
class ClassReport:
    """A classifier's scores on labelled faces. Balanced accuracy is the mean recall over the
    classes that have examples, so a small, unbalanced set is not won by its largest class."""

    accuracy: float
    balanced_accuracy: float
    per_class: tuple[ClassScore, ...]
    confusion: np.ndarray  # (C, C) int: rows truth, columns predicted
    classes: tuple[str, ...]

    def as_json(self) -> dict:
        """The object `toon evaluate --json` prints and `metrics.json` holds."""
        return {
            "accuracy": self.accuracy,
            "balanced_accuracy": self.balanced_accuracy,
            "per_class": {
                c.name: {
                    "precision": c.precision,
                    "recall": c.recall,
                    "f1": c.f1,
                    "support": c.support,
                }
                for c in self.per_class
            },  # fmt: skip
            "confusion": self.confusion.tolist(),
            "classes": list(self.classes),
        }

    def as_row(self) -> dict:
        """The headline figures and each class's recall, as one flat row."""
        return {"accuracy": self.accuracy, "balanced_accuracy": self.balanced_accuracy} | {
            f"recall_{c.name}": c.recall for c in self.per_class
        }


@dataclass(frozen=True)
class Evaluation:
    """`toon evaluate`: a model folder's report on an ImageFolder."""

    report: ClassReport
    images: int  # faces scored
    skipped: int  # faces of emotions the model does not name
    confusion_png: Path

    def as_json(self) -> dict:
        return self.report.as_json() | {
            "images": self.images,
            "skipped": self.skipped,
            "confusion_png": str(self.confusion_png),
        }

    def as_row(self) -> dict:
        return self.report.as_row() | {"images": self.images}


@dataclass(frozen=True)
class TrainingReport:
    """`toon train`: the new model folder, its report on the held-out fifth, and how long."""

    report: ClassReport
    train_seconds: float
    model: Path

    def as_json(self) -> dict:
        return self.report.as_json() | {
            "train_seconds": self.train_seconds,
            "model": str(self.model),
        }

    def as_row(self) -> dict:
        return self.report.as_row() | {"train_seconds": self.train_seconds}


def report(truth: np.ndarray, predicted: np.ndarray, classes: tuple[str, ...]) -> ClassReport:
    """Score `predicted` class indices against `truth` ones."""
    n = len(classes)
    confusion = np.zeros((n, n), np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    support = confusion.sum(axis=1)
    said = confusion.sum(axis=0)
    hits = np.diag(confusion)
    per_class = []
    for i, name in enumerate(classes):
        p = hits[i] / said[i] if said[i] else 0.0
        r = hits[i] / support[i] if support[i] else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        per_class.append(
            ClassScore(name, round(float(p), 4), round(float(r), 4), round(float(f1), 4),
                       int(support[i]))
        )  # fmt: skip
    present = support > 0
    balanced = (hits[present] / support[present]).mean() if present.any() else 0.0
    return ClassReport(
        accuracy=round(float(hits.sum() / max(len(truth), 1)), 4),
        balanced_accuracy=round(float(balanced), 4),
        per_class=tuple(per_class),
        confusion=confusion,
        classes=tuple(classes),
    )
