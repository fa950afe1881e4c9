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


@pytest.mark.parametrize("renamed", [0, 1, 2, 3])
def test_a_writer_stopped_between_renames_leaves_a_pair_that_reads(
    tmp_path: Path, renamed: int
) -> None:
    """Killed after any number of its renames, the writer leaves the old index or the new one,
    each accepted by the checksum file beside it, and nothing damaged."""
    path = tmp_path / "faces.faiss"
    vectors.write(index_of([7, 3]), path)
    staged = vectors.stage(index_of([7, 3, 9]), path)
    assert len(staged) == 3
    for tmp, final in staged[:renamed]:
        tmp.replace(final)
    expected = [7, 3, 9] if renamed >= 2 else [7, 3]
    assert vectors.ids_of(vectors.read(path)).tolist() == expected
    lines = vectors.checksum_path(path).read_text().splitlines()
    assert len(lines) == (2 if renamed in (1, 2) else 1)  # both digests only mid-swap
    assert all(line.endswith("  faces.faiss") for line in lines)


def test_a_damaged_file_is_hashed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing changes while the file and its checksum disagree: damage, said at once."""
    path = tmp_path / "faces.faiss"
    vectors.write(index_of([7, 3]), path)
    path.write_bytes(path.read_bytes()[:-1] + b"\x01")
    hashed = []
    digest = vectors.hashlib.file_digest
    monkeypatch.setattr(vectors.hashlib, "file_digest", lambda *a: hashed.append(1) or digest(*a))
    with pytest.raises(ValueError, match=r"faces.faiss: damaged \(its bytes do not match"):
        vectors.read(path)
    assert hashed == [1]


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
