"""Tests for warehouse/catalog.py, on the hand-made warehouses of conftest.py (WORLD's table
there gives every number below)."""

from __future__ import annotations

from contextlib import nullcontext as does_not_raise
from pathlib import Path

import pytest

from tests.warehouse.conftest import Face, build, episode_faces, jpeg, record
from warehouse import catalog, reader
from warehouse.store import Warehouse

# Two faces of one character in one frame: the timeline keeps the more confident, and on a
# tie the one written first.
DUEL = {
    "duel": [
        Face(0.0, "tom", "happy", seconds=0.25, confidence=0.5),
        Face(0.0, "tom", "angry", seconds=0.25, confidence=0.75),
        Face(0.0, "jerry", "happy", seconds=0.25, confidence=0.5),
        Face(0.25, "tom", "sad", seconds=0.25, confidence=0.5),
        Face(0.25, "tom", "fear", seconds=0.25, confidence=0.5),
        Face(0.5, "jerry", "surprise", seconds=0.25, confidence=0.625),
    ],
    "quiet": [],
    "broken": [],
}


@pytest.fixture(scope="module")
def duel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("duel"), DUEL, {"broken": "no frames"})


def test_episodes_lists_failed_ones_too(connect) -> None:
    got = catalog.episodes(connect("world"))
    assert [
        (r["episode_id"], r["title"], r["status"], r["error"], r["faces"], r["path"]) for r in got
    ] == [
        ("ep1", "Episode 1", "indexed", None, 6, "/episodes/ep1.mp4"),
        ("ep2", "Episode 2", "indexed", None, 8, "/episodes/ep2.mp4"),
        ("ep3", "Episode 3", "indexed", None, 1, "/episodes/ep3.mp4"),
        ("ep9", "Episode 9", "failed", "cannot decode frame 12", 0, "/episodes/ep9.mp4"),
    ]
    assert catalog.episodes(connect("empty")) == []


@pytest.mark.parametrize(
    ("folder", "episode_id", "expected", "expectation"),
    [
        ("duel", "quiet", [], does_not_raise()),
        (
            "duel",
            "duel",
            [
                (0.0, 0.25, "jerry", "happy", 0.5),
                (0.0, 0.25, "tom", "angry", 0.75),
                (0.25, 0.25, "tom", "sad", 0.5),
                (0.5, 0.25, "jerry", "surprise", 0.625),
            ],
            does_not_raise(),
        ),
        (
            "duel",
            "nope",
            None,
            pytest.raises(
                ValueError,
                match=r"^no episode 'nope' in the warehouse \(has: broken, duel, quiet\)$",
            ),
        ),
        (
            "duel",
            "broken",
            None,
            pytest.raises(ValueError, match="^episode 'broken' failed to index; it has no faces$"),
        ),
        (
            "empty",
            "duel",
            None,
            pytest.raises(ValueError, match=r"^no episode 'duel' in the warehouse \(has: none\)$"),
        ),
    ],
)
def test_timeline_keeps_the_most_confident_face(
    connect, folder: str, episode_id: str, expected, expectation
) -> None:
    keys = ("time_s", "seconds", "character", "emotion", "confidence")
    with expectation:
        got = catalog.timeline(connect(folder), episode_id)
        assert got == [dict(zip(keys, row, strict=True)) for row in expected]


def test_unknown_episodes_are_listed_ten_at_most(tmp_path: Path) -> None:
    build(tmp_path, {f"ep{n:02d}": [] for n in range(12)})
    with reader.connect(tmp_path) as con, pytest.raises(ValueError) as error:
        catalog.timeline(con, "nope")
    known = ", ".join(f"ep{n:02d}" for n in range(10))
    assert str(error.value) == f"no episode 'nope' in the warehouse (has: {known} ...)"


def test_thumbnail(connect) -> None:
    con = connect("world")
    assert (catalog.thumbnail(con, 1), catalog.thumbnail(con, 6)) == (jpeg(0), jpeg(5))
    assert catalog.thumbnail(con, 999) is None


def test_overview(connect) -> None:
    assert catalog.overview(connect("world")) == {
        "episodes": 3,
        "failed": 1,
        "duration_s": 0.0,  # the hand-made records carry no duration
        "faces": 15,
        "characters": ["jerry", "tom"],
    }
    assert catalog.overview(connect("empty")) == {
        "episodes": 0,
        "failed": 0,
        "duration_s": 0.0,
        "faces": 0,
        "characters": [],
    }


def test_character_emotions_is_the_view_largest_share_first(connect) -> None:
    assert catalog.character_emotions(connect("world")) == [
        {"character": c, "emotion": e, "faces": n, "seconds": s, "share": share}
        for c, e, n, s, share in [
            ("jerry", "sad", 1, 8.0, 8 / 16),
            ("jerry", "happy", 4, 6.0, 6 / 16),
            ("jerry", "angry", 2, 2.0, 2 / 16),
            ("tom", "happy", 4, 4.0, 4 / 8),
            ("tom", "angry", 3, 3.0, 3 / 8),
            ("tom", "sad", 1, 1.0, 1 / 8),
        ]
    ]


def test_episode_and_one_that_failed(connect) -> None:
    con = connect("world")
    assert catalog.episode(con, "ep2") == {
        "episode_id": "ep2",
        "title": "Episode 2",
        "path": "/episodes/ep2.mp4",
        "duration_s": None,
        "fps": None,
        "width": None,
        "height": None,
        "faces": 8,
    }
    with pytest.raises(ValueError, match="^episode 'ep9' failed to index; it has no faces$"):
        catalog.episode(con, "ep9")


@pytest.mark.parametrize(
    ("time_s", "expected"),
    [
        (0.0, [("jerry", 0.0), ("tom", 0.0)]),
        (0.4, [("jerry", 0.0), ("tom", 0.0)]),
        (0.5, [("jerry", 0.0), ("tom", 0.0)]),  # a tie takes the earlier frame
        (0.6, []),  # sampled at 1.0 s, no face there
        (2.9, [("tom", 3.0)]),
        (99.0, [("tom", 3.0)]),
    ],
)
def test_faces_at_the_nearest_sampled_frame(tmp_path: Path, time_s: float, expected) -> None:
    faces = [Face(0.0, "tom", "happy"), Face(0.0, "jerry", "sad"), Face(3.0, "tom", "angry")]
    with Warehouse(tmp_path) as wh:
        wh.write_episode(record("ep1"), episode_faces(faces, samples_s=[0.0, 1.0, 2.0, 3.0]))
        wh.publish()
    with reader.connect(tmp_path) as con:
        got = catalog.faces_at(con, "ep1", time_s)
    assert [(r["character"], r["time_s"]) for r in got] == expected


def test_models_used_by_indexed_episodes(tmp_path: Path) -> None:
    from dataclasses import replace

    with Warehouse(tmp_path) as wh:
        for episode_id, sha, error in [
            ("ep1", "a" * 64, None),
            ("ep2", "a" * 64, None),
            ("ep3", "b" * 64, None),
            ("ep4", "c" * 64, "cannot decode"),  # failed: wrote no faces
        ]:
            rec = replace(record(episode_id, error), model_sha256=sha)
            wh.write_episode(rec, episode_faces([] if error else [Face(0.0, "tom", "happy")]))
        wh.publish()
    with reader.connect(tmp_path) as con:
        assert catalog.models_used(con) == {"a" * 64, "b" * 64}
