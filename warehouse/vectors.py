"""The FAISS store: one L2-normalised vector per face, whose id is `faces.face_id`.

Inner product on unit vectors is cosine similarity. The file is always derived: the warehouse's
`embeddings` table holds the same vectors, and `toon index --rebuild-faiss` makes it again.

The kind of index follows the size. Up to IVF_FROM vectors, exact search (a flat index under
an id map); from there on, an inverted-file index (IVF: the vectors split into about 4*sqrt(N)
lists by k-means trained on a sample, NPROBE lists searched per query), which the warehouse
trains again from its embeddings whenever the library has grown RETRAIN_GROWTH-fold since.
Both thresholds are measured, not assumed: `bench/scale.py` and BENCHMARKS.md.

Beside `faces.faiss` lies `faces.faiss.sha256` (the format `sha256sum -c` reads): a flipped
byte that still parses as an index is caught on reading. While a writer swaps the index the
checksum file lists the old digest and the new one, so a reader, or a writer killed between
two renames, never finds a sound index rejected; a damaged file disagrees every time.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import BinaryIO

import faiss
import numpy as np

# Exact search on one query: a second OpenMP thread made it 3-15x slower on a 2-core machine.
SINGLE_QUERY_THREADS = 1
# Below this many queries at once, copying the index to a GPU costs more than it saves.
GPU_MIN_QUERIES = 256
# A reader that finds the file and its checksum disagreeing while a writer keeps replacing them
# reads both again at most this many times before it calls the file damaged.
READ_TRIES = 20
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


# The width of an index that holds no vector yet (the shipped model's): the first episode with
# faces sets the real one, whatever model wrote it.
EMPTY_DIM = 128


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


def nlist_for(n: int) -> int:
    """The lists of an IVF index of `n` vectors: about 4*sqrt(n)."""
    return max(1, int(4 * np.sqrt(n)))


def outgrown(index: Index) -> bool:
    """Whether `index` is no longer the kind or size `n` vectors call for: exact search past
    IVF_FROM, or an IVF index holding RETRAIN_GROWTH times what its lists were made for."""
    if is_ivf(index):
        trained_for = (index.nlist / 4) ** 2  # nlist_for, inverted
        return index.ntotal >= RETRAIN_GROWTH * trained_for
    return index.ntotal >= IVF_FROM


def ivf_index(ids: np.ndarray, vectors: np.ndarray, seed: int = 0) -> faiss.IndexIVFFlat:
    """An IVF index of (N, D) unit vectors under their ids: about 4*sqrt(N) lists, k-means on
    at most TRAIN_PER_LIST vectors a list drawn at random (seeded: the same input, the same
    index)."""
    n, dim = vectors.shape
    nlist = nlist_for(n)
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


def part_path(path: Path, step: str = "") -> Path:
    """The temporary name a file is written under before it is renamed into place."""
    return path.with_name(f"{path.name}{step}.part")


def stage(index: Index, path: Path) -> list[tuple[Path, Path]]:
    """Write `index` and its checksums under temporary names, fsynced; the index is hashed as
    it is written (one pass, no copy in memory).

    Returns the (temporary, final) pairs to rename, in this order: a checksum file that accepts
    both the published index and the new one (not when the published one has no checksum), the
    new index, then its checksum alone. At every moment between the renames the checksum file
    accepts the index beside it, so a writer killed between two of them leaves a pair that
    reads. On failure (a full disk: OSError, or faiss's RuntimeError) the temporary files are
    removed and the error goes on.
    """
    checksum = checksum_path(path)
    pairs = [(part_path(checksum, ".both"), checksum), (part_path(path), path)]
    pairs.append((part_path(checksum), checksum))
    try:
        with open(pairs[1][0], "wb") as f:
            digest = hashlib.sha256()

            def put(data: bytes) -> int:
                digest.update(data)
                return f.write(data)

            faiss.write_index(index, faiss.PyCallbackIOWriter(put))
            f.flush()
            os.fsync(f.fileno())
        new, old = digest.hexdigest(), _accepted(path)
        both = [new, *sorted((old or set()) - {new})]
        for (tmp, _), digests in ((pairs[0], both), (pairs[2], [new])):
            with open(tmp, "w") as f:
                f.writelines(f"{d}  {path.name}\n" for d in digests)
                f.flush()
                os.fsync(f.fileno())
        if old is None:  # an index without a checksum is read unchecked: swap it, then add one
            pairs[0][0].unlink()
            del pairs[0]
    except BaseException:
        for tmp, _ in pairs:
            tmp.unlink(missing_ok=True)
        raise
    return pairs


def write(index: Index, path: Path) -> None:
    """Replace `path` and its checksum: temporary files, fsync, rename."""
    for tmp, final in stage(index, path):
        os.replace(tmp, final)


def _accepted(path: Path) -> frozenset[str] | None:
    """The digests the checksum file beside `path` accepts (two while a writer swaps the
    index); None when there is none (an index written without one)."""
    try:
        text = checksum_path(path).read_bytes().decode("ascii", errors="replace")
    except FileNotFoundError:
        return None
    return frozenset(line.split()[0] for line in text.splitlines() if line.strip())


def read(path: Path) -> Index:
    """Load an index written by `write`; ValueError naming the file when it is not one, or
    when it does not match its checksum.

    The file is opened once, hashed, and deserialised from that same open file, so the bytes
    checked are the bytes loaded even while a writer renames a new index into place. Because
    the checksum file accepts the index beside it at every moment, a mismatch that persists
    while neither file changes is damage; a mismatch caused by a writer passing by is read again.
    """
    seen = None
    for _ in range(READ_TRIES):
        before = _accepted(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such FAISS index; {_rebuild_hint(path)}")
        with path.open("rb") as f:
            after = _accepted(path)
            stat = os.fstat(f.fileno())
            now = (stat.st_ino, stat.st_mtime_ns, stat.st_size, after)
            if now == seen:  # the same file, the same checksum, still disagreeing: damage
                break
            seen = now
            if before is None and after is None:  # written without a checksum
                return _deserialise(path, f)
            if hashlib.file_digest(f, "sha256").hexdigest() in (before or set()) | (after or set()):
                f.seek(0)
                return _deserialise(path, f)
    raise ValueError(
        f"{path}: damaged (its bytes do not match {checksum_path(path).name}); "
        f"{_rebuild_hint(path)}"
    )


def _deserialise(path: Path, f: BinaryIO) -> Index:
    try:
        index = faiss.read_index(faiss.PyCallbackIOReader(f.read))
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
