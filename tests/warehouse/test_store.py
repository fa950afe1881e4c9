"""Tests for warehouse/store.py, and for the views warehouse/schema.py creates in every store.

Real DuckDB files and real FAISS indexes in tmp_path; second processes are real processes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import sys
from contextlib import nullcontext as does_not_raise
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from tests.conftest import ROOT
from tests.warehouse.conftest import (
    SHA,
    WORLD,
    WORLD_FAILED,
    Face,
    assert_index_matches_faces,
    build,
    episode_faces,
    jpeg,
    probs_of,
    record,
    rows,
)
from warehouse import reader, vectors
from warehouse.store import FAISS, SNAPSHOT, EpisodeRecord, KnownEpisode, Warehouse

TOM_AND_JERRY = [
    Face(0.0, "tom", "happy", seconds=0.5),
    Face(0.5, "tom", "angry", seconds=0.5, confidence=0.5),
    Face(0.5, "jerry", "sad", seconds=0.25, confidence=0.625),
]
TABLES = ("episodes", "faces", "embeddings", "thumbnails", "samples", "meta")

# A second process opening the folder for writing, as a second `toon index` would.
SECOND_WRITER = (
    "import sys; from pathlib import Path; from warehouse.store import Warehouse; "
    "Warehouse(Path(sys.argv[1]))"
)
# A reader in another process: how many faces does a fresh connection see?
COUNT_FACES = (
    "import sys; from pathlib import Path; from warehouse import reader; "
    "print(reader.connect(Path(sys.argv[1])).execute('SELECT count(*) FROM faces').fetchone()[0])"
)


def python(code: str, *args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def dump(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    return {t: sorted(rows(con, f"SELECT * FROM {t}"), key=repr) for t in TABLES}


def index_ids(wh: Warehouse) -> list[int]:
    return sorted(vectors.ids_of(wh.index).tolist())


# -- the dataclasses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "length", "expectation"),
    [
        ({"faces": []}, 0, does_not_raise()),
        ({}, 3, does_not_raise()),
        (
            {"frame": np.zeros(1)},
            None,
            pytest.raises(ValueError, match="^frame has 1 rows, time_s"),
        ),
        (
            {"xyxy": np.zeros((3, 3))},
            None,
            pytest.raises(ValueError, match=r"^xyxy must be \(3, 4\), got \(3, 3\)$"),
        ),
        (
            {"probs": np.zeros((3, 6))},
            None,
            pytest.raises(ValueError, match=r"^probs must be \(3, 7\), got \(3, 6\)$"),
        ),
        (
            {"thumbnails": [b"x"]},
            None,
            pytest.raises(ValueError, match="^embedding and thumbnails need one entry per face$"),
        ),
        (
            {"embedding": np.zeros(3, np.float32)},
            None,
            pytest.raises(ValueError, match="^embedding and thumbnails need one entry per face$"),
        ),
        (
            {"sample_frame": np.zeros(2, np.int64)},
            None,
            pytest.raises(ValueError, match="^sample_frame and sample_time_s differ in length$"),
        ),
    ],
)
def test_episode_faces_checks_its_arrays(change: dict, length: int | None, expectation) -> None:
    faces = episode_faces(change.pop("faces", TOM_AND_JERRY))
    with expectation:
        assert len(dataclasses.replace(faces, **change)) == length


@pytest.mark.parametrize(
    ("status", "expectation"),
    [
        ("indexed", does_not_raise()),
        ("failed", does_not_raise()),
        ("", pytest.raises(ValueError, match="^status must be 'indexed' or 'failed', got ''$")),
        ("done", pytest.raises(ValueError, match="^status must be 'indexed' or 'failed', got 'd")),
    ],
)
def test_episode_record_checks_status(status: str, expectation) -> None:
    with expectation:
        assert EpisodeRecord("ep1", "t", "/p", SHA, status).status == status


def test_a_file_is_not_a_warehouse_folder(tmp_path: Path) -> None:
    (tmp_path / "wh").write_text("keep me")
    with pytest.raises(NotADirectoryError, match="exists and is not a folder$"):
        Warehouse(tmp_path / "wh")
    assert (tmp_path / "wh").read_text() == "keep me"


# -- one transaction per episode ---------------------------------------------------------------


def test_an_episode_lands_whole(tmp_path: Path) -> None:
    with Warehouse(tmp_path) as wh:
        wh.write_episode(record("ep1"), episode_faces(TOM_AND_JERRY, samples_s=(0.0, 0.5, 1.0)))
        wh.publish()
        assert wh.face_count() == 3

    with reader.connect(tmp_path) as con:
        assert rows(
            con,
            "SELECT face_id, episode_id, time_s, frame, character, x1, y1, x2, y2, emotion, "
            "confidence, track_id, seconds, filled, character_confidence FROM faces ORDER BY 1",
        ) == [
            (1, "ep1", 0.0, 0, "tom", 0, 21, 30, 50, "happy", 0.75, 1, 0.5, False, 0.875),
            (2, "ep1", 0.5, 2, "tom", 10, 21, 40, 50, "angry", 0.5, 1, 0.5, True, 0.875),
            (3, "ep1", 0.5, 2, "jerry", 20, 21, 50, 50, "sad", 0.625, 2, 0.25, False, 0.875),
        ]
        probs = rows(con, "SELECT COLUMNS('p_.*') FROM faces ORDER BY face_id")
        assert [list(p) for p in probs] == [probs_of(f).tolist() for f in TOM_AND_JERRY]
        assert rows(con, "SELECT * FROM embeddings ORDER BY 1") == [
            (1, [1.0, 0, 0, 0, 0, 0, 0, 0]),
            (2, [0, 1.0, 0, 0, 0, 0, 0, 0]),
            (3, [0, 0, 1.0, 0, 0, 0, 0, 0]),
        ]
        assert rows(con, "SELECT * FROM thumbnails ORDER BY 1") == [
            (1, jpeg(0)),
            (2, jpeg(1)),
            (3, jpeg(2)),
        ]
        assert rows(con, "SELECT * FROM samples ORDER BY frame") == [
            ("ep1", 0, 0.0),
            ("ep1", 2, 0.5),
            ("ep1", 4, 1.0),
        ]
        assert rows(
            con, "SELECT episode_id, title, status, error, faces, sampled_frames FROM episodes"
        ) == [("ep1", "Episode 1", "indexed", None, 3, 3)]
    assert_index_matches_faces(tmp_path)


@pytest.mark.parametrize(
    ("old", "thumbnails", "error"),
    [
        # NOT NULL on thumbnails.jpeg: fails after the faces and embeddings rows went in
        ([], [b"ok", None, b"ok"], duckdb.ConstraintException),
        ([], [jpeg(0), None, None], duckdb.ConstraintException),
        # not bytes: fails after the episodes row went in
        ([], [b"ok", 7, b"ok"], pa.ArrowTypeError),
        # a rewrite that fails keeps the episode as it was
        (TOM_AND_JERRY[:2], [b"ok", None, b"ok"], duckdb.ConstraintException),
        (TOM_AND_JERRY[:2], [b"ok", 7, b"ok"], pa.ArrowTypeError),
    ],
    ids=["null-jpeg", "null-jpegs", "not-bytes", "rewrite-null-jpeg", "rewrite-not-bytes"],
)
def test_a_failed_write_stores_nothing_of_the_episode(
    tmp_path: Path, old: list[Face], thumbnails: list, error: type[Exception]
) -> None:
    with Warehouse(tmp_path) as wh:
        wh.write_episode(record("ep0"), episode_faces(TOM_AND_JERRY[2:]))
        if old:
            wh.write_episode(record("ep1"), episode_faces(old, samples_s=(0.0,)))
        wh.publish()
        before, ids_before = dump(wh.con), index_ids(wh)
        published = (tmp_path / FAISS).read_bytes(), (tmp_path / SNAPSHOT).read_bytes()

        with pytest.raises(error):
            wh.write_episode(
                record("ep1"), episode_faces(TOM_AND_JERRY, (0.0, 0.5), thumbnails=thumbnails)
            )

        assert dump(wh.con) == before
        assert index_ids(wh) == ids_before
        assert ((tmp_path / FAISS).read_bytes(), (tmp_path / SNAPSHOT).read_bytes()) == published
        # and the warehouse takes the next write as if nothing had happened
        wh.write_episode(record("ep1"), episode_faces(TOM_AND_JERRY))
        wh.publish()
    with reader.connect(tmp_path) as con:
        assert rows(con, "SELECT episode_id, count(*) FROM faces GROUP BY 1 ORDER BY 1") == [
            ("ep0", 1),
            ("ep1", 3),
        ]
    assert_index_matches_faces(tmp_path)


def test_an_embedding_of_another_width_stores_nothing(tmp_path: Path) -> None:
    with Warehouse(tmp_path) as wh:
        wh.write_episode(record("ep1"), episode_faces(TOM_AND_JERRY))
        before = dump(wh.con)
        with pytest.raises(ValueError):
            wh.write_episode(record("ep2"), episode_faces(TOM_AND_JERRY, dim=16))
        assert dump(wh.con) == before
    with Warehouse(tmp_path) as wh:  # still opens
        assert wh.face_count() == 3


def test_a_rewrite_replaces_rows_and_never_reuses_ids(tmp_path: Path) -> None:
    with Warehouse(tmp_path) as wh:
        wh.write_episode(record("ep1"), episode_faces(TOM_AND_JERRY, samples_s=(0.0, 0.5)))
        wh.write_episode(record("ep2"), episode_faces(TOM_AND_JERRY[:1]))
        wh.write_episode(record("ep1"), episode_faces(TOM_AND_JERRY[1:], samples_s=(1.0,)))
        wh.publish()
    with Warehouse(tmp_path) as wh:  # the id counters live in the warehouse, not the process
        wh.write_episode(record("ep2"), episode_faces(TOM_AND_JERRY[:1]))
        wh.publish()

    with reader.connect(tmp_path) as con:
        assert rows(
            con, "SELECT face_id, episode_id, character, track_id FROM faces ORDER BY 1"
        ) == [
            (5, "ep1", "tom", 4),
            (6, "ep1", "jerry", 5),
            (7, "ep2", "tom", 6),
        ]
        assert rows(con, "SELECT face_id FROM embeddings ORDER BY 1") == [(5,), (6,), (7,)]
        assert rows(con, "SELECT face_id FROM thumbnails ORDER BY 1") == [(5,), (6,), (7,)]
        assert rows(con, "SELECT * FROM samples") == [("ep1", 4, 1.0)]
        assert rows(con, "SELECT episode_id, faces FROM episodes ORDER BY 1") == [
            ("ep1", 2),
            ("ep2", 1),
        ]
    assert_index_matches_faces(tmp_path)


def test_a_failed_episode_has_no_faces(tmp_path: Path) -> None:
    with Warehouse(tmp_path) as wh:
        wh.write_episode(record("ep1"), episode_faces(TOM_AND_JERRY, samples_s=(0.0,)))
        wh.publish()
        wh.write_episode(record("ep1", error="cannot decode frame 12"))
        wh.publish()
        known = wh.known()

    assert known == [KnownEpisode("ep1", "/episodes/ep1.mp4", SHA, "failed", None, None)]
    with reader.connect(tmp_path) as con:
        assert rows(con, "SELECT status, error, faces, sampled_frames FROM episodes") == [
            ("failed", "cannot decode frame 12", 0, 0)
        ]
        for table in ("faces", "embeddings", "thumbnails", "samples"):
            assert rows(con, f"SELECT count(*) FROM {table}") == [(0,)], table
    assert reader.face_index(tmp_path).ntotal == 0


# -- the FAISS file follows the warehouse ------------------------------------------------------


def _stale(path: Path) -> None:
    vectors.write(vectors.new_index(8), path)


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: None,  # intact: read back as it is
        lambda path: path.unlink(),
        lambda path: path.write_bytes(b""),
        lambda path: path.write_bytes(b"not a faiss index"),
        lambda path: path.write_bytes(path.read_bytes()[:60]),
        _stale,  # a real index, of other faces
    ],
    ids=["intact", "missing", "empty", "garbage", "truncated", "stale"],
)
def test_a_damaged_faiss_file_is_rebuilt_on_reopen(tmp_path: Path, damage) -> None:
    with Warehouse(tmp_path) as wh:
        wh.write_episode(record("ep1"), episode_faces(TOM_AND_JERRY))
        wh.write_episode(record("ep2"), episode_faces(TOM_AND_JERRY[:1]))
        wh.publish()
    damage(tmp_path / FAISS)

    with Warehouse(tmp_path) as wh:
        assert index_ids(wh) == [1, 2, 3, 4]
        assert wh.index.reconstruct(2).tolist() == [0, 1.0, 0, 0, 0, 0, 0, 0]
        wh.publish()
    assert_index_matches_faces(tmp_path)


def test_a_published_warehouse_is_adopted_without_its_work_copy(tmp_path: Path) -> None:
    with Warehouse(tmp_path) as wh:
        wh.write_episode(record("ep1"), episode_faces(TOM_AND_JERRY))
        wh.publish()
    (tmp_path / ".work" / SNAPSHOT).unlink()

    with Warehouse(tmp_path) as wh:
        assert wh.face_count() == 3
        wh.write_episode(record("ep2"), episode_faces(TOM_AND_JERRY[:1]))
        wh.publish()
    assert_index_matches_faces(tmp_path)
    with reader.connect(tmp_path) as con:
        assert rows(con, "SELECT max(face_id) FROM faces") == [(4,)]


# -- one writer, many readers ------------------------------------------------------------------


@pytest.mark.parametrize(
    "publish",
    [
        False,
        pytest.param(True),
    ],
    ids=["before-publish", "after-publish"],
)
def test_a_second_writer_process_is_refused(tmp_path: Path, publish: bool) -> None:
    with Warehouse(tmp_path) as wh:
        wh.write_episode(record("ep1"), episode_faces(TOM_AND_JERRY))
        if publish:
            wh.publish()
        out = python(SECOND_WRITER, tmp_path)
    assert out.returncode == 1
    assert out.stderr.splitlines()[-1] == (
        f"ValueError: {tmp_path}: another process is indexing into this warehouse"
    )


def test_a_second_writer_in_the_same_process_is_refused(tmp_path: Path) -> None:
    with Warehouse(tmp_path):
        with pytest.raises(ValueError, match="another process is indexing"):
            Warehouse(tmp_path).close()


def test_readers_keep_their_snapshot_while_the_writer_publishes(tmp_path: Path) -> None:
    with Warehouse(tmp_path) as wh:
        wh.write_episode(record("ep1"), episode_faces(TOM_AND_JERRY))
        wh.publish()
        old = reader.connect(tmp_path)  # read-only, while the writer holds its database
        wh.write_episode(record("ep2"), episode_faces(TOM_AND_JERRY[:1]))
        assert rows(old, "SELECT count(*) FROM faces") == [(3,)]  # committed, not published
        wh.publish()  # does not wait for the reader

        assert rows(old, "SELECT count(*) FROM faces") == [(3,)]
        fresh = python(COUNT_FACES, tmp_path)
        assert (fresh.returncode, fresh.stdout, fresh.stderr) == (0, "4\n", "")
        with pytest.raises(duckdb.InvalidInputException, match="read-only"):
            old.execute("DELETE FROM faces")
        old.close()
    with reader.connect(tmp_path) as con:
        assert rows(con, "SELECT count(*) FROM faces") == [(4,)]


def test_a_new_connection_in_the_same_process_sees_the_new_publish(tmp_path: Path) -> None:
    with Warehouse(tmp_path) as wh:
        wh.write_episode(record("ep1"), episode_faces(TOM_AND_JERRY))
        wh.publish()
        with reader.connect(tmp_path) as old:
            wh.write_episode(record("ep2"), episode_faces(TOM_AND_JERRY[:1]))
            wh.publish()
            with reader.connect(tmp_path) as new:
                assert rows(old, "SELECT count(*) FROM faces") == [(3,)]
                assert rows(new, "SELECT count(*) FROM faces") == [(4,)]


def test_publish_replaces_the_files_by_rename(tmp_path: Path) -> None:
    with Warehouse(tmp_path) as wh:
        wh.write_episode(record("ep1"), episode_faces(TOM_AND_JERRY))
        wh.publish()
        paths = (tmp_path / FAISS, tmp_path / SNAPSHOT)
        inodes = [p.stat().st_ino for p in paths]
        digests = [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]
        with open(paths[0], "rb") as old_faiss, open(paths[1], "rb") as old_db:
            wh.write_episode(record("ep2"), episode_faces(TOM_AND_JERRY[:1]))
            wh.publish()
            # what an open reader holds is the old file, untouched
            assert [hashlib.sha256(f.read()).hexdigest() for f in (old_faiss, old_db)] == digests
        assert all(p.stat().st_ino != i for p, i in zip(paths, inodes, strict=True))

    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".work",
        FAISS,
        f"{FAISS}.sha256",
        SNAPSHOT,
    ]
    assert sorted(p.name for p in (tmp_path / ".work").iterdir()) == [SNAPSHOT, "writer.lock"]
    assert_index_matches_faces(tmp_path)
    digest = hashlib.sha256((tmp_path / FAISS).read_bytes()).hexdigest()
    assert (tmp_path / f"{FAISS}.sha256").read_text() == f"{digest}  {FAISS}\n"  # sha256sum -c


# -- the views of schema.py, over what the store wrote -----------------------------------------


@pytest.mark.parametrize(
    ("folder", "sql", "expected"),
    [
        ("empty", "SELECT * FROM episode_character_emotions", []),
        ("empty", "SELECT * FROM character_emotions", []),
        (
            "world",
            "SELECT episode_id, character, emotion, faces, seconds, share "
            "FROM episode_character_emotions ORDER BY ALL",
            [
                ("ep1", "jerry", "happy", 2, 4.0, 1.0),
                ("ep1", "tom", "angry", 3, 3.0, 3 / 4),
                ("ep1", "tom", "happy", 1, 1.0, 1 / 4),
                ("ep2", "jerry", "angry", 2, 2.0, 1 / 2),
                ("ep2", "jerry", "happy", 2, 2.0, 1 / 2),
                ("ep2", "tom", "happy", 3, 3.0, 3 / 4),
                ("ep2", "tom", "sad", 1, 1.0, 1 / 4),
                ("ep3", "jerry", "sad", 1, 8.0, 1.0),
            ],
        ),
        (
            "world",
            "SELECT character, emotion, faces, seconds, share FROM character_emotions ORDER BY ALL",
            [
                ("jerry", "angry", 2, 2.0, 1 / 8),
                ("jerry", "happy", 4, 6.0, 3 / 8),
                ("jerry", "sad", 1, 8.0, 1 / 2),
                ("tom", "angry", 3, 3.0, 3 / 8),
                ("tom", "happy", 4, 4.0, 1 / 2),
                ("tom", "sad", 1, 1.0, 1 / 8),
            ],
        ),
    ],
)
def test_views_weight_by_seconds_and_skip_failed_episodes(
    connect, folder: str, sql: str, expected: list[tuple]
) -> None:
    assert rows(connect(folder), sql) == expected


# -- a warehouse written by the first schema -----------------------------------------------------

# The first schema's views: they added up every face.
V1_VIEWS = (
    """CREATE OR REPLACE VIEW episode_character_emotions AS
    SELECT f.episode_id, f.character, f.emotion, count(*) AS faces, sum(f.seconds) AS seconds,
           sum(f.seconds) / sum(sum(f.seconds)) OVER (PARTITION BY f.episode_id, f.character)
               AS share
    FROM faces f JOIN episodes e USING (episode_id) WHERE e.status = 'indexed'
    GROUP BY f.episode_id, f.character, f.emotion""",
    """CREATE OR REPLACE VIEW character_emotions AS
    SELECT f.character, f.emotion, count(*) AS faces, sum(f.seconds) AS seconds,
           sum(f.seconds) / sum(sum(f.seconds)) OVER (PARTITION BY f.character) AS share
    FROM faces f JOIN episodes e USING (episode_id) WHERE e.status = 'indexed'
    GROUP BY f.character, f.emotion""",
)


def answers(folder: Path) -> list:
    from warehouse import catalog, queries

    with reader.connect(folder) as con:
        return [
            queries.rank(con, "happy"),
            queries.rank(con, "angry", "character-episode"),
            catalog.character_emotions(con),
            catalog.overview(con),
            rows(con, "SELECT * FROM episode_character_emotions ORDER BY ALL"),
        ]


def test_a_first_schema_warehouse_is_read_and_then_migrated(tmp_path: Path) -> None:
    expected = answers(build(tmp_path / "new", WORLD, WORLD_FAILED))
    old = build(tmp_path / "old", WORLD, WORLD_FAILED)
    with duckdb.connect(str(old / ".work" / SNAPSHOT)) as con:  # back to the first schema
        con.execute("DROP VIEW episode_character_emotions")
        con.execute("DROP VIEW character_emotions")
        con.execute("DROP TABLE emotion_seconds")
        con.execute("ALTER TABLE episodes DROP COLUMN min_character_confidence")
        for view in V1_VIEWS:
            con.execute(view)
        con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    (old / SNAPSHOT).unlink()
    (old / ".work" / SNAPSHOT).rename(old / SNAPSHOT)  # published as such, as it was

    assert answers(old) == expected  # readers answer the same from the old views
    with Warehouse(old) as wh:  # the writer migrates it
        assert rows(wh.con, "SELECT value FROM meta WHERE key = 'schema_version'") == [("3",)]
        # a floor nobody recorded: a rerun at any floor says so instead of skipping silently
        assert {k.min_character_confidence for k in wh.known()} == {None}
        wh.publish()
    assert answers(old) == expected
