from __future__ import annotations

import numpy as np

from model.metrics import report


def test_report_counts_and_balances() -> None:
    truth = np.array([0, 0, 0, 0, 1, 1, 2])
    said = np.array([0, 0, 0, 1, 1, 0, 2])
    r = report(truth, said, ("a", "b", "c"))
    assert r["confusion"] == [[3, 1, 0], [1, 1, 0], [0, 0, 1]]
    assert r["accuracy"] == round(5 / 7, 4)
    assert r["balanced_accuracy"] == round((3 / 4 + 1 / 2 + 1) / 3, 4)
    assert r["per_class"]["a"] == {"precision": 0.75, "recall": 0.75, "f1": 0.75, "support": 4}
    assert r["classes"] == ["a", "b", "c"]


def test_absent_classes_do_not_count_in_balanced_accuracy() -> None:
    r = report(np.array([0, 0]), np.array([0, 1]), ("a", "b"))
    assert r["balanced_accuracy"] == 0.5
    assert r["per_class"]["b"]["support"] == 0
