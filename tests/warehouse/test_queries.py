"""Tests for warehouse/queries.py, on the hand-made warehouses of conftest.py (WORLD's table
there gives every number below)."""

from __future__ import annotations

import math
from contextlib import nullcontext as does_not_raise
from pathlib import Path

import numpy as np
import pytest

from tests.warehouse.conftest import E0, Face, build, episode_faces, record
from warehouse import queries, reader
from warehouse.store import Warehouse

EMOTION_ERROR = (
    "^Unknown emotion 'joy'. Choose one of: happy, angry, surprise, sad, fear, disgust, neutral$"
)
HALF = 0.5
# Scores against E0 are exact in float32: 1, 0.5, 0.5, 0, -1, -0.5.
GALLERY = {
    "g1": [
        Face(0.0, "tom", "happy", vector=(1, 0, 0, 0, 0, 0, 0, 0)),
        Face(1.0, "jerry", "angry", vector=(HALF, HALF, HALF, HALF, 0, 0, 0, 0)),
        Face(2.0, "tom", "sad", vector=(HALF, 0, 0, 0, HALF, HALF, HALF, 0)),
        Face(3.0, "tom", "angry", vector=(0, 0, 1, 0, 0, 0, 0, 0)),
        Face(4.0, "tom", "fear", vector=(-1, 0, 0, 0, 0, 0, 0, 0)),
        Face(5.0, "spike", "angry", vector=(-HALF, HALF, HALF, HALF, 0, 0, 0, 0)),
    ]
}


@pytest.fixture(scope="module")
def gallery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("gallery"), GALLERY)


def by_character(character: str, share: float, seconds: float, total: float, faces: int) -> dict:
    return {"character": character, "share": share, "seconds": seconds,
            "total_seconds": total, "faces": faces}  # fmt: skip


def by_episode(episode_id: str, share: float, seconds: float, total: float, faces: int) -> dict:
    title = episode_id.replace("ep", "Episode ")
    return {"episode_id": episode_id, "title": title, "share": share, "seconds": seconds,
            "total_seconds": total, "faces": faces}  # fmt: skip


@pytest.mark.parametrize(
    ("folder", "emotion", "by", "expected", "expectation"),
    [
        ("empty", "happy", "character", [], does_not_raise()),
        (
            "world",
            "happy",
            "character",
            [by_character("tom", 1 / 2, 4.0, 8.0, 4), by_character("jerry", 3 / 8, 6.0, 16.0, 4)],
            does_not_raise(),
        ),
        (
            "world",
            "sad",
            "character",  # not 5/12 for tom: ep9 failed
            [by_character("jerry", 1 / 2, 8.0, 16.0, 1), by_character("tom", 1 / 8, 1.0, 8.0, 1)],
            does_not_raise(),
        ),
        (
            "world",
            "happy",
            "episode",  # ep1 and ep2 tie: by id
            [
                by_episode("ep1", 5 / 8, 5.0, 8.0, 3),
                by_episode("ep2", 5 / 8, 5.0, 8.0, 5),
                by_episode("ep3", 0.0, 0.0, 8.0, 0),
            ],
            does_not_raise(),
        ),
        (
            "world",
            "happy",
            "character-episode",
            [
                by_character("jerry", 1.0, 4.0, 4.0, 2) | by_episode("ep1", 1.0, 4.0, 4.0, 2),
                by_character("tom", 3 / 4, 3.0, 4.0, 3) | by_episode("ep2", 3 / 4, 3.0, 4.0, 3),
                by_character("jerry", 1 / 2, 2.0, 4.0, 2) | by_episode("ep2", 1 / 2, 2.0, 4.0, 2),
                by_character("tom", 1 / 4, 1.0, 4.0, 1) | by_episode("ep1", 1 / 4, 1.0, 4.0, 1),
                by_character("jerry", 0.0, 0.0, 8.0, 0) | by_episode("ep3", 0.0, 0.0, 8.0, 0),
            ],
            does_not_raise(),
        ),
        ("world", "joy", "character", None, pytest.raises(ValueError, match=EMOTION_ERROR)),
        (
            "world",
            "happy",
            "show",
            None,
            pytest.raises(
                ValueError,
                match="^Unknown grouping 'show'. Choose one of: character, episode, "
                "character-episode$",
            ),
        ),
    ],
)
def test_rank(connect, folder: str, emotion: str, by: str, expected, expectation) -> None:
    with expectation:
        got = queries.rank(connect(folder), emotion, by)
        assert got == [
            row | {"rank": n, "emotion": emotion} for n, row in enumerate(expected, start=1)
        ]


def test_rank_intervals_bootstrap_over_tracks(connect) -> None:
    # tom: two tracks, happy 1 of 4 s and 3 of 4 s: resamples give 0.25, 0.5 or 0.75.
    # jerry: three tracks (4 of 4 s, 2 of 4 s, 0 of 8 s): all-ep3 and all-ep1 resamples each
    # come up 1 in 27 (> 2.5%), so the interval spans 0 to 1.
    got = queries.rank(connect("world"), "happy", "character", interval=True)
    assert [(r["character"], r["share_low"], r["share_high"], r["tracks"]) for r in got] == [
        ("tom", 0.25, 0.75, 2),
        ("jerry", 0.0, 1.0, 3),
    ]
    assert got == queries.rank(connect("world"), "happy", "character", interval=True)
    # one track each: nothing to resample, no interval
    pairs = queries.rank(connect("world"), "happy", "character-episode", interval=True)
    assert {(r["share_low"], r["share_high"], r["tracks"]) for r in pairs} == {(None, None, 1)}
    assert queries.rank(connect("empty"), "happy", interval=True) == []


def test_interval_narrows_with_tracks_and_the_approximation_agrees() -> None:
    rng = np.random.default_rng(1)
    widths = []
    for n in (20, 200, 1900):
        total = rng.uniform(1, 10, n)
        shown = total * (rng.uniform(size=n) < 0.3)
        low, high = queries._interval(shown, total, np.random.default_rng(0))
        assert low < shown.sum() / total.sum() < high
        widths.append(high - low)
    assert widths[0] > widths[1] > widths[2]
    # past BOOTSTRAP_MAX_TRACKS the normal approximation: within a few % of the bootstrap
    boot = queries._interval(shown, total, np.random.default_rng(0))
    queries_max = queries.BOOTSTRAP_MAX_TRACKS
    try:
        queries.BOOTSTRAP_MAX_TRACKS = 10
        approx = queries._interval(shown, total, np.random.default_rng(0))
    finally:
        queries.BOOTSTRAP_MAX_TRACKS = queries_max
    assert approx != boot
    np.testing.assert_allclose(approx, boot, atol=0.1 * (boot[1] - boot[0]))


@pytest.mark.parametrize(
    ("folder", "episode_id", "k", "expected", "expectation"),
    [
        (
            "empty",
            "ep1",
            10,
            None,
            pytest.raises(ValueError, match=r"^no episode 'ep1' in the warehouse \(has: none\)$"),
        ),
        (
            "world",
            "ep1",
            10,
            [("ep2", math.sqrt(0.34375)), ("ep3", math.sqrt(1.40625))],
            does_not_raise(),
        ),
        ("world", "ep3", 1, [("ep2", math.sqrt(1.28125))], does_not_raise()),
        ("world", "ep2", 0, [], does_not_raise()),
        (
            "world",
            "nope",
            10,
            None,
            pytest.raises(
                ValueError,
                match=r"^no episode 'nope' in the warehouse \(has: ep1, ep2, ep3, ep9\)$",
            ),
        ),
        (
            "world",
            "ep9",
            10,
            None,
            pytest.raises(ValueError, match="^episode 'ep9' failed to index; it has no faces$"),
        ),
    ],
)
def test_recommend_like_nearest_profile_first(
    connect, folder: str, episode_id: str, k: int, expected, expectation
) -> None:
    with expectation:
        got = queries.recommend_like(connect(folder), episode_id, k)
        assert got == [
            {"episode_id": e, "title": e.replace("ep", "Episode "), "distance": d, "rank": n}
            for n, (e, d) in enumerate(expected, start=1)
        ]


def test_an_episode_without_faces_is_never_recommended(tmp_path: Path) -> None:
    """ep2 was indexed and no face was seen in it: it has no mix of emotions to be near to."""
    build(
        tmp_path, {"ep1": [Face(0.0, "tom", "happy")], "ep2": [], "ep3": [Face(0.0, "tom", "sad")]}
    )
    with reader.connect(tmp_path) as con:
        like = [(r["episode_id"], r["distance"]) for r in queries.recommend_like(con, "ep1")]
        moods = {
            (emotion, who): [r["episode_id"] for r in queries.recommend_mood(con, emotion, who)]
            for emotion in ("happy", "sad", "neutral")
            for who in (None, "tom")
        }
        with pytest.raises(ValueError, match="^episode 'ep2' has no faces, so no mix of emotions"):
            queries.recommend_like(con, "ep2")
    assert like == [("ep3", math.sqrt(2))]
    assert moods == {
        ("happy", None): ["ep1", "ep3"],
        ("happy", "tom"): ["ep1", "ep3"],
        ("sad", None): ["ep3", "ep1"],
        ("sad", "tom"): ["ep3", "ep1"],
        ("neutral", None): ["ep1", "ep3"],
        ("neutral", "tom"): ["ep1", "ep3"],
    }


@pytest.mark.parametrize(
    ("folder", "emotion", "character", "k", "expected", "expectation"),
    [
        ("empty", "happy", None, 10, [], does_not_raise()),
        (
            "world",
            "happy",
            None,
            10,
            [("ep1", 5 / 8, 5.0), ("ep2", 5 / 8, 5.0), ("ep3", 0.0, 0.0)],
            does_not_raise(),
        ),
        ("world", "happy", "tom", 10, [("ep2", 3 / 4, 3.0), ("ep1", 1 / 4, 1.0)], does_not_raise()),
        ("world", "sad", "tom", 10, [("ep2", 1 / 4, 1.0), ("ep1", 0.0, 0.0)], does_not_raise()),
        ("world", "sad", "jerry", 1, [("ep3", 1.0, 8.0)], does_not_raise()),
        ("world", "joy", None, 10, None, pytest.raises(ValueError, match=EMOTION_ERROR)),
        (
            "world",
            "happy",
            "spike",
            10,
            None,
            pytest.raises(
                ValueError,
                match=r"^no faces of character 'spike' in the warehouse \(has: jerry, tom\)$",
            ),
        ),
    ],
)
def test_recommend_mood_largest_share_first(
    connect, folder: str, emotion: str, character: str | None, k: int, expected, expectation
) -> None:
    with expectation:
        got = queries.recommend_mood(connect(folder), emotion, character, k)
        assert got == [
            {
                "episode_id": e,
                "title": e.replace("ep", "Episode "),
                "share": s,
                "seconds": t,
                "rank": n,
            }  # fmt: skip
            for n, (e, s, t) in enumerate(expected, start=1)
        ]


@pytest.mark.parametrize(
    ("folder", "query", "k", "character", "expected", "expectation"),
    [
        ("empty", np.ones(128, np.float32), 5, None, [], does_not_raise()),
        ("gallery", E0, 1, None, [(1, "tom", 1.0)], does_not_raise()),
        (
            "gallery",
            E0,
            3,
            None,
            [(1, "tom", 1.0), (2, "jerry", 0.5), (3, "tom", 0.5)],
            does_not_raise(),
        ),
        (  # more than the index holds: FAISS pads with -1, which is dropped
            "gallery",
            E0,
            10,
            None,
            [
                (1, "tom", 1.0),
                (2, "jerry", 0.5),
                (3, "tom", 0.5),
                (4, "tom", 0.0),
                (6, "spike", -0.5),
                (5, "tom", -1.0),
            ],
            does_not_raise(),
        ),
        ("gallery", E0, 2, "tom", [(1, "tom", 1.0), (3, "tom", 0.5)], does_not_raise()),
        ("gallery", E0[None], 2, "tom", [(1, "tom", 1.0), (3, "tom", 0.5)], does_not_raise()),
        # the one spike is fifth of six: found by fetching more
        ("gallery", E0, 1, "spike", [(6, "spike", -0.5)], does_not_raise()),
        ("gallery", E0, 3, "spike", [(6, "spike", -0.5)], does_not_raise()),
        ("gallery", E0, 2, "nobody", [], does_not_raise()),
        ("gallery", E0, 0, None, None, pytest.raises(ValueError, match="^k must be >= 1, got 0$")),
        (
            "gallery",
            E0[:4],
            1,
            None,
            None,
            pytest.raises(ValueError, match="^query has 4 dimensions, the index 8$"),
        ),
    ],
)
def test_similar(
    connect, request, folder: str, query, k: int, character, expected, expectation
) -> None:
    index = reader.face_index(request.getfixturevalue(folder))
    with expectation:
        got = queries.similar(connect(folder), index, query, k, character)
        assert [(r["face_id"], r["character"], r["score"]) for r in got] == expected


def test_similar_rows_carry_the_face(connect, gallery: Path) -> None:
    (got,) = queries.similar(connect("gallery"), reader.face_index(gallery), E0, 1)
    assert got == {
        "face_id": 1,
        "episode_id": "g1",
        "time_s": 0.0,
        "frame": 0,
        "character": "tom",
        "emotion": "happy",
        "confidence": 0.75,
        "x1": 0,
        "y1": 21,
        "x2": 30,
        "y2": 50,
        "score": 1.0,
    }


def test_similar_skips_vectors_the_snapshot_does_not_hold(tmp_path: Path) -> None:
    """faces.faiss is published before the database: a reader may see newer vectors."""
    with Warehouse(tmp_path) as wh:
        wh.write_episode(record("old"), episode_faces(GALLERY["g1"][1:2]))
        wh.publish()
        with reader.connect(tmp_path) as con:  # the snapshot before the next publish
            wh.write_episode(record("new"), episode_faces(GALLERY["g1"][:1] * 2))
            wh.publish()
            index = reader.face_index(tmp_path)
            got = queries.similar(con, index, E0, 1)
    assert (index.ntotal, [(r["face_id"], r["score"]) for r in got]) == (3, [(1, 0.5)])
