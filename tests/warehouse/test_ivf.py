"""The face index by size: exact search up to vectors.IVF_FROM vectors, an IVF index past it,
trained again as the library grows; published, read back, searched and rebuilt like the exact
one. The thresholds are lowered here so that a few hundred faces cross them."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from tests.conftest import run_toon
from tests.warehouse.conftest import Face, episode_faces, record
from warehouse import queries, reader, vectors
from warehouse.store import Warehouse

DIM = 16


def unit(rng: np.random.Generator, n: int, centres: np.ndarray | None = None) -> np.ndarray:
    """n unit vectors, near `centres` (a clustered library, as faces are) or anywhere."""
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    if centres is not None:
        v = centres[rng.integers(len(centres), size=n)] + 0.15 * v
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def low_threshold(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(vectors, "IVF_FROM", 100)
    return 100


def test_an_ivf_index_finds_what_exact_search_finds(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    centres = unit(rng, 40)
    data, queries_ = unit(rng, 20_000, centres), unit(rng, 200, centres)
    ids = np.arange(1000, 1000 + len(data))
    exact = vectors.new_index(DIM)
    vectors.add(exact, ids, data)
    ivf = vectors.ivf_index(ids, data)
    assert (ivf.nlist, ivf.nprobe) == (int(4 * np.sqrt(len(data))), vectors.NPROBE)
    truth = vectors.search(exact, queries_, 10)
    got = vectors.search(ivf, queries_, 10)
    recall = np.mean([len(set(a[0]) & set(b[0])) / 10 for a, b in zip(got, truth, strict=True)])
    assert recall >= 0.9
    assert sorted(vectors.ids_of(ivf).tolist()) == ids.tolist()
    assert vectors.remove(ivf, ids[:5]) == 5
    assert ivf.ntotal == len(data) - 5 and ids[0] not in vectors.ids_of(ivf)

    path = tmp_path / "faces.faiss"
    vectors.write(ivf, path)
    back = vectors.read(path)
    assert isinstance(back, faiss.IndexIVFFlat) and back.nprobe == vectors.NPROBE
    assert [i.tolist() for i, _ in vectors.search(back, queries_[:3], 10)] == [
        i.tolist() for i, _ in vectors.search(ivf, queries_[:3], 10)
    ]


def test_the_same_vectors_make_the_same_ivf_index() -> None:
    rng = np.random.default_rng(1)
    data = unit(rng, 3000)
    ids = np.arange(len(data))
    a, b = vectors.ivf_index(ids, data), vectors.ivf_index(ids, data)
    assert faiss.serialize_index(a).tobytes() == faiss.serialize_index(b).tobytes()


def test_sized_index_is_exact_below_the_threshold(low_threshold: int) -> None:
    rng = np.random.default_rng(2)
    small = vectors.sized_index(np.arange(99), unit(rng, 99), DIM)
    large = vectors.sized_index(np.arange(100), unit(rng, 100), DIM)
    assert (vectors.is_ivf(small), vectors.is_ivf(large)) == (False, True)


def faces_of(rng: np.random.Generator, n: int) -> list[Face]:
    return [Face(float(t), "tom", "happy", vector=tuple(v)) for t, v in enumerate(unit(rng, n))]


def test_the_warehouse_switches_to_ivf_and_retrains_as_it_grows(
    tmp_path: Path, low_threshold: int
) -> None:
    rng = np.random.default_rng(3)
    lists = []
    with Warehouse(tmp_path) as wh:
        for n in range(12):  # 12 episodes of 40 faces: 480 faces
            wh.write_episode(record(f"ep{n}"), episode_faces(faces_of(rng, 40), dim=DIM))
            wh.publish()
            lists.append(wh.index.nlist if vectors.is_ivf(wh.index) else 0)
    # exact below 100 faces; IVF at 120 (43 lists); trained again at 4x that (480: 87 lists)
    assert lists == [0, 0, 43, 43, 43, 43, 43, 43, 43, 43, 43, 87]
    index = reader.face_index(tmp_path)
    assert vectors.is_ivf(index)
    with reader.connect(tmp_path) as con:
        face_ids = [r[0] for r in con.execute("SELECT face_id FROM faces ORDER BY 1").fetchall()]
        assert sorted(vectors.ids_of(index).tolist()) == face_ids
        stored = dict(con.execute("SELECT face_id, vector FROM embeddings").fetchall())
        face_id = face_ids[200]
        (best,) = queries.similar(con, index, np.array(stored[face_id], np.float32), 1)
    assert best["face_id"] == face_id and best["score"] == pytest.approx(1.0, abs=1e-5)


def test_rebuild_faiss_makes_the_ivf_index_again(tmp_path: Path, low_threshold: int) -> None:
    rng = np.random.default_rng(4)
    with Warehouse(tmp_path) as wh:
        for n in range(3):
            wh.write_episode(record(f"ep{n}"), episode_faces(faces_of(rng, 50), dim=DIM))
        wh.publish()
    before = reader.face_index(tmp_path)
    (tmp_path / "faces.faiss").write_bytes(b"")
    rc, out, err = run_toon(["index", "--rebuild-faiss", "--warehouse", str(tmp_path)])
    assert rc == 0, err
    after = reader.face_index(tmp_path)
    # built from all 150 at once: more lists than the index that grew from 100
    assert (before.nlist, after.nlist) == (int(4 * np.sqrt(100)), int(4 * np.sqrt(150)))
    assert sorted(vectors.ids_of(after).tolist()) == sorted(vectors.ids_of(before).tolist())
