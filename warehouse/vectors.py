"""The FAISS store: one L2-normalised vector per face, whose id is `faces.face_id`.

Inner product on unit vectors is cosine similarity. The file is always derived: the warehouse's
`embeddings` table holds the same vectors, and `rebuild` makes the index again from it.
"""

from __future__ import annotations

import os
from pathlib import Path

import faiss
import numpy as np

# Exact search on one query: a second OpenMP thread made it 3-15x slower on a 2-core machine.
SINGLE_QUERY_THREADS = 1
# Below this many queries at once, copying the index to a GPU costs more than it saves.
GPU_MIN_QUERIES = 256


def new_index(dim: int) -> faiss.IndexIDMap2:
    """An empty exact inner-product index that keeps caller-given ids (face_id)."""
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def ids_of(index: faiss.IndexIDMap2) -> np.ndarray:
    """(ntotal,) int64 ids stored in `index`, in insertion order."""
    return faiss.vector_to_array(index.id_map).astype(np.int64)


def add(index: faiss.IndexIDMap2, ids: np.ndarray, vectors: np.ndarray) -> None:
    """Add (N, D) vectors under their (N,) ids."""
    if len(ids):
        index.add_with_ids(
            np.ascontiguousarray(vectors, np.float32), np.ascontiguousarray(ids, np.int64)
        )


def remove(index: faiss.IndexIDMap2, ids: np.ndarray) -> int:
    """Drop the vectors of `ids`; returns how many were removed."""
    if len(ids) == 0:
        return 0
    return int(index.remove_ids(np.ascontiguousarray(ids, np.int64)))


def on_gpu(index: faiss.Index) -> faiss.Index:
    """`index` copied to every GPU FAISS sees (the `faiss-gpu` build); itself without one."""
    if faiss.get_num_gpus() < 1 or not hasattr(faiss, "index_cpu_to_all_gpus"):
        return index
    try:
        return faiss.index_cpu_to_all_gpus(index)
    except RuntimeError:  # an index type the GPU build cannot hold: search on the CPU
        return index


def write(index: faiss.IndexIDMap2, path: Path) -> None:
    """Replace `path` atomically: temporary file, fsync, rename."""
    tmp = path.with_name(path.name + ".part")
    faiss.write_index(index, str(tmp))
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read(path: Path) -> faiss.IndexIDMap2:
    """Load an index written by `write`; ValueError naming the file when it is not one."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such FAISS index")
    try:
        index = faiss.read_index(str(path))
    except RuntimeError as exc:
        raise ValueError(f"{path}: not a FAISS index ({str(exc).splitlines()[0]})") from None
    if not isinstance(index, faiss.IndexIDMap2):
        index = faiss.downcast_index(index)
    if not isinstance(index, faiss.IndexIDMap2):
        raise ValueError(f"{path}: not an id-mapped FAISS index")
    return index


def search(
    index: faiss.IndexIDMap2, queries: np.ndarray, k: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The `k` nearest stored vectors of each of the (Q, D) queries.

    Returns one (ids, scores) pair per query, best first, with FAISS's -1 padding dropped
    (when the index holds fewer than k vectors).
    """
    queries = np.ascontiguousarray(np.atleast_2d(queries), np.float32)
    if len(queries) == 1:
        faiss.omp_set_num_threads(SINGLE_QUERY_THREADS)
    k = max(1, min(k, index.ntotal))
    if len(queries) >= GPU_MIN_QUERIES:
        index = on_gpu(index)
    scores, ids = index.search(queries, k)
    return [(i[i >= 0], s[i >= 0]) for i, s in zip(ids, scores, strict=True)]
