"""Scoring stored faces against truth: the ranking of every emotion's share."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from core.truth import TruthRow
from core.vocabulary import EMOTIONS
from indexer.evaluate import StoredFaces, score
from tests.conftest import run_toon


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
    r = asdict(score(episodes, {"tom"}).ranking)
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
    r = asdict(score(episodes, {"tom"}).ranking)
    assert r["per_emotion"]["sad"] == 0.0
    assert r["per_emotion"]["happy"] == 0.0
    assert r["mean_spearman"] == 0.0


def test_evaluate_index_prints_the_report_it_writes_as_json(
    tmp_path: Path, episodes_640: Path
) -> None:
    wh = tmp_path / "wh"
    assert run_toon(["index", str(episodes_640), "--warehouse", str(wh)])[0] == 0
    rc, out, err = run_toon(
        ["evaluate-index", "--warehouse", str(wh), "--truth", str(episodes_640), "--json"]
    )
    assert rc == 0, err
    report = json.loads(out)
    assert set(report) == {"detection", "emotion", "ranking", "episodes", "truth"}
    assert report["episodes"] == 3
    d = report["detection"]
    assert set(d["per_character"]) == {"tom", "jerry"}
    assert d["precision"] == round(d["hits"] / (d["hits"] + d["false_positives"]), 4)
    assert d["recall"] == round(d["hits"] / d["owed"], 4)
    assert set(report["ranking"]["per_emotion"]) == set(EMOTIONS)

    rc, text, _ = run_toon(["evaluate-index", "--warehouse", str(wh), "--truth", str(episodes_640)])
    assert rc == 0
    lines = text.splitlines()
    assert lines[0] == "episodes 3"
    assert lines[1] == f"detection  precision {d['precision']:.4f}  recall {d['recall']:.4f}"
    e = report["emotion"]
    assert (
        f"emotion    accuracy {e['accuracy']:.4f}  balanced {e['balanced_accuracy']:.4f}" in lines
    )
    # the truth's faces per character on the frames looked at; spike, a distractor the
    # index has no cascade for, is named as not owed
    t = report["truth"]
    assert t["faces"]["tom"] > 0 and t["faces"]["jerry"] > 0
    assert t["unknown"] == ["spike"] and t["faces"]["spike"] > 0
    rc, _, err = run_toon(["evaluate-index", "--warehouse", str(wh), "--truth", str(episodes_640)])
    assert "spike" in err and "not owed" in err

    # The same episodes against a truth of another cast: nothing was owed, and it says so
    # instead of scoring precision and recall 0.
    other = tmp_path / "other-truth"
    other.mkdir()
    renamed = {"tom": "bunny", "jerry": "frog", "spike": "frog"}
    for path in episodes_640.glob("*.truth.csv"):
        with open(path) as f:
            rows = list(csv.DictReader(f))
        with open(other / path.name, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows({**r, "character": renamed[r["character"]]} for r in rows)
    rc, out, err = run_toon(["evaluate-index", "--warehouse", str(wh), "--truth", str(other)])
    assert rc == 2 and out == ""
    assert err.count("\n") == 1
    assert "nothing to score" in err and "bunny, frog" in err and "jerry, tom" in err


def test_unknown_characters_are_named_and_not_owed() -> None:
    stored, truth = _episode("e0", ["happy", "sad"], ["happy", "sad"])
    truth += [TruthRow(0, 0.0, "bunny", "happy", 1.0, 100, 100, 140, 140, 1.0)]
    report = score([(stored, truth)], {"tom"})
    assert report.unknown == ("bunny",)
    assert report.truth_faces == {"bunny": 1, "tom": 2}
    assert report.detection.owed == 2 and report.detection.recall == 1.0
    (note,) = report.notes()
    assert "bunny (1 faces)" in note
    assert score([(stored, truth[:2])], {"tom"}).notes() == []
