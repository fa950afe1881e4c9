"""Tests for warehouse/picks.py, on the hand-made warehouses of conftest.py (WORLD's table
there gives every number below)."""

from __future__ import annotations

from contextlib import nullcontext as does_not_raise
from pathlib import Path

import pytest

from tests.warehouse.conftest import Face, episode_faces, jpeg, record
from warehouse import picks, reader
from warehouse.store import Warehouse


@pytest.mark.parametrize(
    ("limit", "skip", "expected", "expectation"),
    [
        (3, None, [1, 3, 5], does_not_raise()),  # equal confidence: by face id; filled ones never
        (3, [1, 5], [3, 7, 9], does_not_raise()),
        (100, None, [1, 3, 5, 7, 9, 11, 13, 15], does_not_raise()),
        (0, None, None, pytest.raises(ValueError, match="^limit must be >= 1, got 0$")),
    ],
)
def test_least_certain_equal_confidences(connect, limit, skip, expected, expectation) -> None:
    with expectation:
        got = picks.least_certain(connect("world"), limit, skip)
        assert [r["face_id"] for r in got] == expected


def test_reference_faces_one_per_track_never_a_filled_one(connect) -> None:
    picked = picks.reference_faces(connect("world"), 3)
    assert {key: [face_id for face_id, _ in faces] for key, faces in picked.items()} == {
        ("jerry", "angry"): [11],
        ("jerry", "happy"): [5, 13],
        ("jerry", "sad"): [15],
        ("tom", "angry"): [1],
        ("tom", "happy"): [7],
    }
    assert picked[("jerry", "happy")][1][1] == jpeg(6)  # face 13 is ep2's seventh face
    with pytest.raises(ValueError, match="^per must be >= 1, got 0$"):
        picks.reference_faces(connect("world"), 0)


def test_least_certain_lowest_confidence_first(tmp_path: Path) -> None:
    confidences = [0.9, 0.2, 0.6, 0.3]
    faces = [Face(float(k), "tom", "happy", confidence=c) for k, c in enumerate(confidences)]
    with Warehouse(tmp_path) as wh:
        wh.write_episode(record("ep1"), episode_faces(faces))  # faces 2 and 4 are filled
        wh.publish()
    with reader.connect(tmp_path) as con:
        assert [r["face_id"] for r in picks.least_certain(con, 10)] == [3, 1]


def test_most_informative_one_face_a_track_taking_turns(tmp_path: Path) -> None:
    # one track per character and episode; every second face is filled and never offered
    ep1 = [
        ("tom", "happy", 0.2),
        ("tom", "happy", 0.25),
        ("jerry", "sad", 0.5),
        ("jerry", "sad", 0.6),
    ]
    ep2 = [("tom", "happy", 0.3), ("tom", "angry", 0.9)]
    with Warehouse(tmp_path) as wh:
        for episode_id, rows in (("ep1", ep1), ("ep2", ep2)):
            faces = [
                Face(float(t), who, emotion, confidence=c)
                for k, (who, emotion, c) in enumerate(rows)
                for t in (2 * k, 2 * k + 1)
            ]
            wh.write_episode(record(episode_id), episode_faces(faces))
        wh.publish()
    with reader.connect(tmp_path) as con:
        got = [r["face_id"] for r in picks.most_informative(con, 100)]
        # the first face of each track (1, 5, 9), tom-happy's second turn (9) after
        # jerry-sad's first (5); then each track's second face
        assert got == [1, 5, 9, 3, 7, 11]
        assert [r["face_id"] for r in picks.least_certain(con, 100)] == [1, 3, 9, 5, 7, 11]
        assert [r["face_id"] for r in picks.most_informative(con, 3, skip=[1])] == [3, 5, 9]
        assert [r["face_id"] for r in picks.most_informative(con, 2)] == [1, 5]
        with pytest.raises(ValueError, match="^limit must be >= 1, got 0$"):
            picks.most_informative(con, 0)
