"""The FAISS store: one L2-normalised vector per face, whose id is `faces.face_id`.

Inner product on unit vectors is cosine similarity. The file is always derived: the warehouse's
`embeddings` table holds the same vectors, and `toon index --rebuild-faiss` makes it again.

The kind of index follows the size. Up to IVF_FROM vectors, exact search (a flat index under
an id map); from there on, an inverted-file index (IVF: the vectors split into about 4*sqrt(N)
lists by k-means trained on a sample, NPROBE lists searched per query), which the warehouse
trains again from its embeddings whenever the library has grown RETRAIN_GROWTH-fold since.
Both thresholds are measured, not assumed: `bench/scale.py` and BENCHMARKS.md.

Beside `faces.faiss` lies `faces.faiss.sha256` (the format `sha256sum -c` reads): a flipped
byte that still parses as an index is caught on reading. The two files are renamed one after
the other, so a reader that lands between the renames sees them disagree for a moment and
reads again; a damaged file disagrees every time.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path

import faiss
import numpy as np

# Exact search on one query: a second OpenMP thread made it 3-15x slower on a 2-core machine.
SINGLE_QUERY_THREADS = 1
# Below this many queries at once, copying the index to a GPU costs more than it saves.
GPU_MIN_QUERIES = 256
# A reader that finds the file and its checksum disagreeing reads both again this many times,
# this far apart, before it calls the file damaged (a writer renames them microseconds apart).
READ_TRIES = 20
READ_PAUSE_S = 0.05
# Where exact search stops being quick enough for one query (BENCHMARKS.md, "At archive size").
IVF_FROM = 1_000_000
# Lists searched per query. At ten million faces (12,649 lists) recall@10 against exact search
# was 0.634 at 16, 0.905 at 32 and 0.996 at 64, in 1.6 ms (bench/scale.py, BENCHMARKS.md).
NPROBE = 64
# An IVF index is trained again (more lists) when the library has grown this much since.
RETRAIN_GROWTH = 4
# Vectors the k-means of an IVF index learns from: enough for every list, bounded in time.
TRAIN_PER_LIST = 64

Index = faiss.IndexIDMap2 | faiss.IndexIVF


def new_index(dim: int) -> faiss.IndexIDMap2:
    """An empty exact inner-product index that keeps caller-given ids (face_id)."""
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def is_ivf(index: Index) -> bool:
    return isinstance(index, faiss.IndexIVF)


def ids_of(index: Index) -> np.ndarray:
    """(ntotal,) int64 ids stored in `index` (in insertion order for an exact index, list by
    list for an IVF one)."""
    if not is_ivf(index):
        return faiss.vector_to_array(index.id_map).astype(np.int64)
    lists = index.invlists
    parts = [
        faiss.rev_swig_ptr(lists.get_ids(n), lists.list_size(n)).astype(np.int64)
        for n in range(index.nlist)
        if lists.list_size(n)
    ]
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def ivf_index(ids: np.ndarray, vectors: np.ndarray, seed: int = 0) -> faiss.IndexIVFFlat:
    """An IVF index of (N, D) unit vectors under their ids: about 4*sqrt(N) lists, k-means on
    at most TRAIN_PER_LIST vectors a list drawn at random (seeded: the same input, the same
    index)."""
    n, dim = vectors.shape
    nlist = max(1, int(4 * np.sqrt(n)))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = seed
    take = np.random.default_rng(seed).permutation(n)[: TRAIN_PER_LIST * nlist]
    index.train(np.ascontiguousarray(vectors[np.sort(take)], np.float32))
    index.nprobe = NPROBE
    add(index, ids, vectors)
    return index


def sized_index(ids: np.ndarray, vectors: np.ndarray, dim: int) -> Index:
    """The index the size calls for (see the module's notes), holding `vectors` under `ids`."""
    if len(ids) >= IVF_FROM:
        return ivf_index(ids, vectors)
    index = new_index(dim)
    add(index, ids, vectors)
    return index


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


def checksum_path(path: Path) -> Path:
    """Where the checksum of the index at `path` lies: `faces.faiss.sha256`."""
    return path.with_name(path.name + ".sha256")


def part_path(path: Path) -> Path:
    """The temporary name a file is written under before it is renamed into place."""
    return path.with_name(path.name + ".part")


def stage(index: faiss.IndexIDMap2, path: Path) -> list[tuple[Path, Path]]:
    """Write `index` and its checksum under temporary names, fsynced.

    Returns the (temporary, final) pairs to rename, index first. On failure (a full disk:
    faiss raises RuntimeError) the temporary files are removed and the error goes on.
    """
    pairs = [(part_path(path), path), (part_path(checksum_path(path)), checksum_path(path))]
    try:
        faiss.write_index(index, str(pairs[0][0]))
        digest = _sha256(pairs[0][0])
        pairs[1][0].write_text(f"{digest}  {path.name}\n")
        for tmp, _ in pairs:
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
    except BaseException:
        for tmp, _ in pairs:
            tmp.unlink(missing_ok=True)
        raise
    return pairs


def write(index: faiss.IndexIDMap2, path: Path) -> None:
    """Replace `path` and its checksum: temporary files, fsync, rename."""
    for tmp, final in stage(index, path):
        os.replace(tmp, final)


def _sha256(path: Path) -> str:  # model.store has one too; the warehouse imports none of ours
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _expected(path: Path) -> str | None:
    """The checksum written beside `path`; None when there is none (written without one)."""
    try:
        return checksum_path(path).read_text().split()[0]
    except (FileNotFoundError, IndexError):
        return None


def read(path: Path) -> faiss.IndexIDMap2:
    """Load an index written by `write`; ValueError naming the file when it is not one, or
    when it does not match its checksum."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such FAISS index; {_rebuild_hint(path)}")
    for _ in range(READ_TRIES):
        expected = _expected(path)
        data = path.read_bytes()  # one open: the bytes of one version, renamed or not
        if expected is None or hashlib.sha256(data).hexdigest() == expected:
            break
        time.sleep(READ_PAUSE_S)
    else:
        raise ValueError(
            f"{path}: damaged (its bytes do not match {checksum_path(path).name}); "
            f"{_rebuild_hint(path)}"
        )
    try:
        index = faiss.deserialize_index(np.frombuffer(data, np.uint8))
    except RuntimeError as exc:
        raise ValueError(
            f"{path}: not a FAISS index ({_first_line(exc)}); {_rebuild_hint(path)}"
        ) from None
    if not isinstance(index, faiss.IndexIDMap2 | faiss.IndexIVF):
        index = faiss.downcast_index(index)
    if not isinstance(index, faiss.IndexIDMap2 | faiss.IndexIVF):
        raise ValueError(f"{path}: not an id-mapped FAISS index; {_rebuild_hint(path)}")
    return index


def _rebuild_hint(path: Path) -> str:
    return f"`toon index --rebuild-faiss --warehouse {path.parent}` makes it again"


def _first_line(exc: BaseException) -> str:
    """FAISS's reason without the C++ function and source line it names."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "read error" in text:
        return "it ends early"
    return re.sub(r"^Error in .*? at \S+:\d+: (Error: )?", "", text)


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
