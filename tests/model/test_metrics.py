from __future__ import annotations

import numpy as np

from model.metrics import ClassScore, report


def test_report_counts_and_balances() -> None:
    truth = np.array([0, 0, 0, 0, 1, 1, 2])
    said = np.array([0, 0, 0, 1, 1, 0, 2])
    r = report(truth, said, ("a", "b", "c"))
    assert r.confusion.tolist() == [[3, 1, 0], [1, 1, 0], [0, 0, 1]]
    assert r.accuracy == round(5 / 7, 4)
    assert r.balanced_accuracy == round((3 / 4 + 1 / 2 + 1) / 3, 4)
    assert r.per_class[0] == ClassScore("a", 0.75, 0.75, 0.75, 4)
    assert r.classes == ("a", "b", "c")


def test_the_json_keeps_its_shape() -> None:
    r = report(np.array([0, 0, 1]), np.array([0, 1, 1]), ("a", "b")).as_json()
    assert r == {
        "accuracy": round(2 / 3, 4),
        "balanced_accuracy": 0.75,
        "per_class": {
            "a": {"precision": 1.0, "recall": 0.5, "f1": round(2 / 3, 4), "support": 2},
            "b": {"precision": 0.5, "recall": 1.0, "f1": round(2 / 3, 4), "support": 1},
        },
        "confusion": [[1, 1], [0, 1]],
        "classes": ["a", "b"],
    }


def test_absent_classes_do_not_count_in_balanced_accuracy() -> None:
    r = report(np.array([0, 0]), np.array([0, 1]), ("a", "b"))
    assert r.balanced_accuracy == 0.5
    assert r.per_class[1].support == 0
    assert r.as_row() == {
        "accuracy": 0.5,
        "balanced_accuracy": 0.5,
        "recall_a": 0.5,
        "recall_b": 0.0,
    }
