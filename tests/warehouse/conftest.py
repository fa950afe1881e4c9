"""Tiny warehouses built by hand: a few faces with known emotions, seconds and vectors.

`WORLD` is the one most tests read. Its seconds are chosen so that every share is an exact
binary fraction, and its per-face seconds differ so that weighting by seconds and counting
faces give different answers:

    episode  character  emotion  faces  seconds
    ep1      tom        angry    3      3.0
    ep1      tom        happy    1      1.0
    ep1      jerry      happy    2      4.0
    ep2      tom        happy    3      3.0
    ep2      tom        sad      1      1.0
    ep2      jerry      angry    2      2.0
    ep2      jerry      happy    2      2.0
    ep3      jerry      sad      1      8.0
    ep9      (failed: no faces; listed, never counted)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import cv2
import duckdb
import numpy as np
import pytest

from warehouse import reader, vectors
from warehouse.schema import EMOTIONS
from warehouse.store import EpisodeFaces, EpisodeRecord, Warehouse

DIM = 8  # embedding size of the hand-made vectors
FRAMES_PER_S = 4  # a face's frame is time_s * FRAMES_PER_S
SHA = "0" * 64
E0 = np.eye(DIM, dtype=np.float32)[0]  # the query vector of the similarity tests


class Face(NamedTuple):
    """One hand-made face; `vector` defaults to a unit basis vector picked by position."""

    time_s: float
    character: str
    emotion: str
    seconds: float = 1.0
    confidence: float = 0.75  # > 1/7, so that `emotion` is the argmax
    vector: tuple[float, ...] | None = None


WORLD: dict[str, list[Face]] = {
    "ep1": [
        Face(0.0, "tom", "angry"),
        Face(1.0, "tom", "angry"),
        Face(2.0, "tom", "angry"),
        Face(3.0, "tom", "happy"),
        Face(0.0, "jerry", "happy", seconds=2.0),
        Face(2.0, "jerry", "happy", seconds=2.0),
    ],
    "ep2": [
        Face(0.0, "tom", "happy"),
        Face(1.0, "tom", "happy"),
        Face(2.0, "tom", "happy"),
        Face(3.0, "tom", "sad"),
        Face(0.0, "jerry", "angry"),
        Face(1.0, "jerry", "angry"),
        Face(2.0, "jerry", "happy"),
        Face(3.0, "jerry", "happy"),
    ],
    "ep3": [Face(0.0, "jerry", "sad", seconds=8.0)],
    "ep9": [],  # failed: the store refuses faces for a failed episode
}
WORLD_FAILED = {"ep9": "cannot decode frame 12"}


def jpeg(shade: int) -> bytes:
    """A real 8x8 grey JPEG, different for each shade."""
    ok, data = cv2.imencode(".jpg", np.full((8, 8, 3), shade % 256, np.uint8))
    assert ok
    return data.tobytes()


def probs_of(face: Face) -> np.ndarray:
    """(7,) probabilities whose argmax is `face.emotion` at `face.confidence`."""
    p = np.full(len(EMOTIONS), (1 - face.confidence) / (len(EMOTIONS) - 1))
    p[EMOTIONS.index(face.emotion)] = face.confidence
    return p


def episode_faces(
    faces: Sequence[Face],
    samples_s: Sequence[float] = (),
    thumbnails: list | None = None,
    dim: int = DIM,
) -> EpisodeFaces:
    """EpisodeFaces of `faces`: one track per character, boxes and JPEGs that differ per face."""
    n = len(faces)
    characters = list(dict.fromkeys(f.character for f in faces))
    basis = np.eye(dim, dtype=np.float32)
    i = np.arange(n)
    return EpisodeFaces(
        time_s=np.array([f.time_s for f in faces], float),
        frame=np.array([round(f.time_s * FRAMES_PER_S) for f in faces], np.int64),
        character=np.array([f.character for f in faces], object),
        # rounded on the way in: (10i, 21, 10i + 30, 50)
        xyxy=np.stack([10 * i + 0.4, np.full(n, 20.6), 10 * i + 30.2, np.full(n, 49.7)], 1),
        probs=np.array([probs_of(f) for f in faces]).reshape(n, len(EMOTIONS)),
        track=np.array([characters.index(f.character) for f in faces], np.int64),
        seconds=np.array([f.seconds for f in faces], float),
        filled=i % 2 == 1,
        character_confidence=np.full(n, 0.875),
        embedding=np.array(
            [basis[k % dim] if f.vector is None else f.vector for k, f in enumerate(faces)],
            np.float32,
        ).reshape(n, dim),
        thumbnails=[jpeg(k) for k in range(n)] if thumbnails is None else thumbnails,
        sample_frame=np.array([round(t * FRAMES_PER_S) for t in samples_s], np.int64),
        sample_time_s=np.array(samples_s, float),
    )


def record(episode_id: str, error: str | None = None) -> EpisodeRecord:
    """An episodes row: 'failed' with `error`, else 'indexed'."""
    return EpisodeRecord(
        episode_id=episode_id,
        title=episode_id.replace("ep", "Episode "),
        path=f"/episodes/{episode_id}.mp4",
        sha256=SHA,
        status="failed" if error else "indexed",
        error=error,
    )


def build(
    folder: Path, episodes: dict[str, list[Face]], failed: dict[str, str] | None = None
) -> Path:
    """Write every episode (in order, one transaction each), publish, close."""
    failed = failed or {}
    with Warehouse(folder) as wh:
        for episode_id, faces in episodes.items():
            wh.write_episode(record(episode_id, failed.get(episode_id)), episode_faces(faces))
        wh.publish()
    return folder


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def assert_index_matches_faces(folder: Path) -> None:
    """faces.faiss holds exactly one vector per `faces` row, under its face_id, equal to the
    `embeddings` row."""
    index = reader.face_index(folder)
    with reader.connect(folder) as con:
        face_ids = [r[0] for r in rows(con, "SELECT face_id FROM faces ORDER BY 1")]
        stored = dict(rows(con, "SELECT face_id, vector FROM embeddings"))
    assert index.ntotal == len(face_ids)
    assert sorted(vectors.ids_of(index).tolist()) == face_ids
    for face_id in face_ids:
        assert index.reconstruct(face_id).tolist() == stored[face_id]


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The published WORLD warehouse; read it, never write it."""
    return build(tmp_path_factory.mktemp("world"), WORLD, WORLD_FAILED)


@pytest.fixture(scope="session")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published warehouse that holds nothing."""
    return build(tmp_path_factory.mktemp("empty"), {})


@pytest.fixture
def connect(request: pytest.FixtureRequest) -> Iterator:
    """connect(name) -> a read-only connection to the fixture `name` ('world', 'empty', ...),
    closed after the test."""
    opened = []

    def open_(name: str) -> duckdb.DuckDBPyConnection:
        opened.append(reader.connect(request.getfixturevalue(name)))
        return opened[-1]

    yield open_
    for con in opened:
        con.close()
