"""Tests for warehouse/vectors.py, on real FAISS indexes."""

from __future__ import annotations

from contextlib import nullcontext as does_not_raise
from pathlib import Path

import faiss
import numpy as np
import pytest

from warehouse import vectors

BASIS = np.eye(4, dtype=np.float32)


def index_of(ids: list[int]) -> faiss.IndexIDMap2:
    """Basis vector i under ids[i]."""
    index = vectors.new_index(4)
    vectors.add(index, np.array(ids, np.int64), BASIS[: len(ids)])
    return index


@pytest.mark.parametrize(
    ("ids", "remove", "removed", "left"),
    [
        ([], [], 0, []),
        ([7, 3, 9], [], 0, [7, 3, 9]),
        ([7, 3, 9], [3], 1, [7, 9]),
        ([7, 3, 9], [9, 7, 42], 2, [3]),
        ([7, 3, 9], [42], 0, [7, 3, 9]),
    ],
)
def test_add_and_remove_keep_caller_ids(
    ids: list[int], remove: list[int], removed: int, left: list[int]
) -> None:
    index = index_of(ids)
    assert vectors.remove(index, np.array(remove, np.int64)) == removed
    assert (index.ntotal, sorted(vectors.ids_of(index).tolist())) == (len(left), sorted(left))
    for i in left:
        assert index.reconstruct(i).tolist() == BASIS[ids.index(i)].tolist()


@pytest.mark.parametrize(
    ("ids", "queries", "k", "expected"),
    [
        ([], BASIS[0], 3, [([], [])]),
        ([7, 3, 9], BASIS[1], 1, [([3], [1.0])]),
        ([7, 3, 9], BASIS[1] + BASIS[2] / 2, 2, [([3, 9], [1.0, 0.5])]),
        # k above ntotal: FAISS's -1 padding is dropped
        ([7, 3, 9], np.float32([0.5, 0.25, -0.25, 1]), 10, [([7, 3, 9], [0.5, 0.25, -0.25])]),
        ([7, 3, 9], BASIS[[0, 2]], 1, [([7], [1.0]), ([9], [1.0])]),
        # k below 1 asks for one
        ([7, 3, 9], BASIS[2], 0, [([9], [1.0])]),
    ],
)
def test_search_best_first_without_padding(
    ids: list[int], queries: np.ndarray, k: int, expected: list
) -> None:
    got = vectors.search(index_of(ids), queries, k)
    assert [(i.tolist(), s.tolist()) for i, s in got] == expected
    assert all(i.dtype == np.int64 for i, _ in got)


def test_write_then_read_is_the_same_index(tmp_path: Path) -> None:
    path = tmp_path / "faces.faiss"
    vectors.write(index_of([7, 3]), path)
    vectors.write(index_of([7, 3, 9]), path)  # replaces
    index = vectors.read(path)
    assert isinstance(index, faiss.IndexIDMap2)
    assert (index.d, vectors.ids_of(index).tolist()) == (4, [7, 3, 9])
    assert index.reconstruct(9).tolist() == BASIS[2].tolist()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["faces.faiss", "faces.faiss.sha256"]


@pytest.mark.parametrize(
    ("content", "expectation"),
    [
        (None, pytest.raises(FileNotFoundError, match="faces.faiss: no such FAISS index; ")),
        (
            b"",
            pytest.raises(ValueError, match=r"faces.faiss: not a FAISS index \(it ends early\);"),
        ),
        (b"junk" * 10, pytest.raises(ValueError, match=r"faces.faiss: not a FAISS index \(Index")),
        (faiss.IndexFlatIP(4), pytest.raises(ValueError, match="not an id-mapped FAISS index; ")),
        (faiss.IndexIDMap(faiss.IndexFlatIP(4)), pytest.raises(ValueError, match="id-mapped")),
        (vectors.new_index(4), does_not_raise()),
    ],
    ids=["missing", "empty", "junk", "flat", "idmap-1", "idmap-2"],
)
def test_read_says_which_file_is_not_an_index(tmp_path: Path, content, expectation) -> None:
    path = tmp_path / "faces.faiss"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        faiss.write_index(content, str(path))
    with expectation as error:
        assert vectors.read(path).ntotal == 0
    if error is not None:
        assert "\n" not in str(error.value)
        assert str(error.value).endswith(f"--rebuild-faiss --warehouse {tmp_path}` makes it again")
