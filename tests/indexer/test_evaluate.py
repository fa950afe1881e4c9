"""Scoring stored faces against truth: the ranking of every emotion's share."""

from __future__ import annotations

import numpy as np

from core.truth import TruthRow
from indexer.evaluate import StoredFaces, score


def _episode(name: str, shown: list[str], stored_as: list[str]) -> tuple[StoredFaces, list]:
    """One character, one face a frame, truth `shown` and stored emotions `stored_as`."""
    truth = [TruthRow(i, float(i), "tom", e, 1.0, 10, 10, 50, 50, 1.0) for i, e in enumerate(shown)]
    n = len(stored_as)
    stored = StoredFaces(
        name,
        sample_frames=np.arange(n),
        frame=np.arange(n),
        character=np.array(["tom"] * n, dtype=object),
        xyxy=np.tile([10.0, 10, 50, 50], (n, 1)),
        emotion=np.array(stored_as, dtype=object),
        seconds=np.ones(n),
    )
    return stored, truth


def test_every_emotion_is_ranked_and_constant_ones_are_left_out() -> None:
    truth = [
        ["happy"] * 1 + ["sad"] * 3,
        ["happy"] * 2 + ["sad"] * 2,
        ["happy"] * 3 + ["sad"] * 1,
    ]
    # stored: happy ranked right, sad not at all (the mean must show it)
    stored = [
        ["happy"] * 1 + ["sad"] * 1 + ["angry"] * 2,
        ["happy"] * 2 + ["sad"] * 2,
        ["happy"] * 3 + ["sad"] * 1,
    ]
    episodes = [_episode(f"e{i}", t, s) for i, (t, s) in enumerate(zip(truth, stored, strict=True))]
    r = score(episodes, {"tom"})["ranking"]
    assert r["spearman"] == 1.0 == r["per_emotion"]["happy"]
    # stored sad shares 0.25, 0.5, 0.25 against true 0.75, 0.5, 0.25: no correlation
    assert r["per_emotion"]["sad"] == 0.0
    # angry is never shown: no ranking to score, and it does not enter the mean
    assert r["per_emotion"]["angry"] is None
    assert r["mean_spearman"] == 0.5
    assert r["pairs"] == 3


def test_an_emotion_never_stored_counts_as_unranked() -> None:
    truth = [["sad"] * k + ["happy"] * (4 - k) for k in (1, 2, 3)]
    stored = [["happy"] * 4] * 3  # sad shares differ in truth; the pass never says sad
    episodes = [_episode(f"e{i}", t, s) for i, (t, s) in enumerate(zip(truth, stored, strict=True))]
    r = score(episodes, {"tom"})["ranking"]
    assert r["per_emotion"]["sad"] == 0.0
    assert r["per_emotion"]["happy"] == 0.0
    assert r["mean_spearman"] == 0.0
