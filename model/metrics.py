"""Accuracy, balanced accuracy, per-class precision/recall/F1 and the confusion matrix."""

from __future__ import annotations

import numpy as np


def report(truth: np.ndarray, predicted: np.ndarray, classes: tuple[str, ...]) -> dict:
    """The `toon evaluate --json` object. Balanced accuracy is the mean recall over the classes
    that have examples, so a small, unbalanced set is not won by its largest class."""
    n = len(classes)
    confusion = np.zeros((n, n), np.int64)  # rows: truth, columns: predicted
    np.add.at(confusion, (truth, predicted), 1)
    support = confusion.sum(axis=1)
    said = confusion.sum(axis=0)
    hits = np.diag(confusion)
    per_class = {}
    for i, name in enumerate(classes):
        p = hits[i] / said[i] if said[i] else 0.0
        r = hits[i] / support[i] if support[i] else 0.0
        per_class[name] = {
            "precision": round(float(p), 4),
            "recall": round(float(r), 4),
            "f1": round(float(2 * p * r / (p + r)) if p + r else 0.0, 4),
            "support": int(support[i]),
        }
    present = support > 0
    return {
        "accuracy": round(float(hits.sum() / max(len(truth), 1)), 4),
        "balanced_accuracy": round(float((hits[present] / support[present]).mean()), 4)
        if present.any()
        else 0.0,
        "per_class": per_class,
        "confusion": confusion.tolist(),
        "classes": list(classes),
    }
