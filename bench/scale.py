"""A warehouse and a face index at archive size, fabricated from real indexer output, and how fast
the questions users ask are answered there.

1. Real output: `toon index` over four synthetic episodes of a minute, or `--real DIR`, a
   warehouse of your own (its rows and embeddings are what the fabrication draws from).
2. The warehouse: EPISODES episodes holding VECTORS faces in all, at the real rate of faces per
   second of video; characters, emotions, probabilities, confidences, box sizes and track
   lengths are drawn from the real rows (each fabricated face copies a real face's columns, on
   a fabricated episode and time), built with the product's schema in DuckDB. Thumbnails and
   stored embeddings are left out (their size per face in the real warehouse is printed).
3. The vectors: VECTORS vectors of the real dimension, each a real embedding with Gaussian
   noise (a tenth of the typical distance between real neighbours), L2-normalised; an exact
   index (IndexFlatIP) and an IVF index (IndexIVFFlat, 4*sqrt(N) lists, trained on a sample).
4. Measured: the ranking ("which character is happiest?") and an episode's timeline through
   `warehouse.queries` and `warehouse.catalog`, similar-face search for one query at a time
   (one thread), p50 and p99; recall@10 of the IVF index against exact search at several
   nprobe; build times; sizes.

    .venv/bin/python bench/scale.py [--episodes 10000 --vectors 10000000] [--work DIR]

About 15 GB of memory at full size (both indexes at once), and 10-20 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/cascades.py would hide the cascades package
from bench.common import toon  # noqa: E402

QUERIES = 200  # timed single queries per measurement
RECALL_QUERIES = 100
K = 10


def real_warehouse(work: Path, given: Path | None) -> Path:
    if given is not None:
        return given
    episodes, wh = work / "real-episodes", work / "real-warehouse"
    if not (wh / "toon.duckdb").exists():
        toon("synth", "episodes", episodes, "--count", 4, "--seconds", 60, "--seed", 7100,
             "--jobs", 2)  # fmt: skip
        toon("index", episodes, "--warehouse", wh)
    return wh


def percentiles(seconds: list[float]) -> dict:
    ms = np.array(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2)}  # fmt: skip


def timed(fn, n: int) -> dict:  # noqa: ANN001
    fn()  # warm: the first call pays for caches every later one finds filled
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return percentiles(out)


def fabricate_warehouse(
    real: Path, out: Path, episodes: int, faces: int, rng: np.random.Generator
) -> dict:
    import duckdb

    from warehouse import schema

    src = duckdb.connect()
    src.execute(f"ATTACH '{real / 'toon.duckdb'}' AS r (READ_ONLY)")
    per_second = src.execute(
        "SELECT sum(faces) / sum(duration_s) FROM r.episodes WHERE status = 'indexed'"
    ).fetchone()[0]
    n_real = src.execute("SELECT count(*) FROM r.faces").fetchone()[0]
    sizes = src.execute(
        "SELECT avg(octet_length(jpeg)), (SELECT avg(len(vector)) * 4 FROM r.embeddings) "
        "FROM r.thumbnails"
    ).fetchone()
    src.close()

    out.unlink(missing_ok=True)
    con = duckdb.connect(str(out))
    schema.create(con)
    con.execute(f"ATTACH '{real / 'toon.duckdb'}' AS r (READ_ONLY)")
    # The real rate of faces per second of video; episode lengths spread +-50% around the mean
    # that makes `faces` in all.
    mean_s = faces / episodes / per_second
    durations = rng.uniform(0.5 * mean_s, 1.5 * mean_s, episodes)
    counts = rng.poisson(per_second * durations)
    con.register("shape", {"n": np.arange(episodes), "duration": durations, "faces": counts})
    con.execute(
        """INSERT INTO episodes
        SELECT printf('ep%05d', n), printf('Episode %d', n), printf('/archive/ep%05d.mp4', n),
               md5(n::VARCHAR), duration, 24.0, 640, 360, 'indexed', NULL, now(),
               (duration * 24)::INTEGER, 1.0, duration::INTEGER, faces, 'fabricated',
               'fabricated', 0.0, 0.8
        FROM shape"""
    )
    con.execute("CREATE TEMP TABLE real_faces AS SELECT row_number() OVER () - 1 AS k, * "
                "FROM r.faces")  # fmt: skip
    probs = ", ".join(f"f.{c}" for c in schema.PROB_COLUMNS)
    t = time.perf_counter()
    con.execute(
        f"""INSERT INTO faces
        SELECT row_number() OVER () AS face_id, e.episode_id,
               random() * e.duration_s AS time_s, 0, f.character, f.x1, f.y1, f.x2, f.y2,
               f.emotion, f.confidence, f.track_id, {probs},
               f.seconds, f.filled, f.character_confidence
        FROM episodes e, range(e.faces) AS g(i)
        JOIN real_faces f ON f.k = (hash(e.episode_id, g.i) % {n_real})
        ORDER BY e.episode_id, time_s"""
    )
    con.execute("UPDATE faces SET frame = (time_s * 24)::INTEGER")
    schema.fill_emotion_seconds(con)  # what the writer adds with each episode
    build_s = time.perf_counter() - t
    con.execute("CHECKPOINT")
    n_faces = con.execute("SELECT count(*) FROM faces").fetchone()[0]
    con.close()
    return {
        "episodes": episodes,
        "faces": int(n_faces),
        "mean_episode_minutes": round(mean_s / 60, 1),
        "faces_per_video_second": round(per_second, 3),
        "real_faces_drawn_from": int(n_real),
        "build_s": round(build_s, 1),
        "size_mb": round(out.stat().st_size / 2**20, 1),
        "thumbnail_bytes_per_face": round(sizes[0], 1),
        "embedding_bytes_per_face": round(sizes[1], 1),
    }


def time_queries(path: Path, rng: np.random.Generator) -> dict:
    from warehouse import catalog, queries, reader

    con = reader.connect(path.parent)  # as every reader opens it: the snapshot, read-only
    ids = [r[0] for r in con.execute("SELECT episode_id FROM episodes").fetchall()]
    return {
        "rank_happy_by_character": timed(lambda: queries.rank(con, "happy"), QUERIES),
        "rank_happy_by_episode": timed(lambda: queries.rank(con, "happy", "episode"), 20),
        "timeline_one_episode": timed(
            lambda: catalog.timeline(con, ids[rng.integers(len(ids))]), QUERIES
        ),
    }


def real_vectors(real: Path) -> np.ndarray:
    from warehouse import reader

    index = reader.face_index(real)
    return index.index.reconstruct_n(0, index.ntotal)


def fabricate_vectors(real: np.ndarray, n: int, rng: np.random.Generator, chunk: int):  # noqa: ANN201
    """Chunks of (ids, vectors): real embeddings with noise, unit length."""
    import faiss

    flat = faiss.IndexFlatL2(real.shape[1])
    flat.add(real)
    d, _ = flat.search(real, 2)
    sigma = 0.1 * float(np.sqrt(np.median(d[:, 1]))) / math.sqrt(real.shape[1])
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        v = real[rng.integers(len(real), size=m)] + rng.normal(0, sigma, (m, real.shape[1]))
        v = v.astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        yield np.arange(start, start + m, dtype=np.int64), v


def vector_bench(real: np.ndarray, n: int, work: Path, rng: np.random.Generator) -> dict:
    import faiss

    from warehouse import vectors

    faiss.omp_set_num_threads(os.cpu_count() or 1)
    dim = real.shape[1]
    nlist = vectors.nlist_for(n)
    train_n = min(n, vectors.TRAIN_PER_LIST * nlist)
    exact = vectors.new_index(dim)
    quantizer = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    t = time.perf_counter()
    sample = np.concatenate([v for _, v in fabricate_vectors(real, train_n, rng, 1_000_000)])
    ivf.train(sample)
    train_s = time.perf_counter() - t
    add_exact_s = add_ivf_s = 0.0
    for ids, v in fabricate_vectors(real, n, rng, 1_000_000):
        t = time.perf_counter()
        exact.add_with_ids(v, ids)
        add_exact_s += time.perf_counter() - t
        t = time.perf_counter()
        ivf.add_with_ids(v, ids)
        add_ivf_s += time.perf_counter() - t
    queries = next(fabricate_vectors(real, RECALL_QUERIES, rng, RECALL_QUERIES))[1]
    _, truth = exact.search(queries, K)  # all threads: this is the yardstick, not timed

    faiss.omp_set_num_threads(1)  # one query at a time, as the product searches
    one = [queries[i : i + 1] for i in range(len(queries))]
    out = {
        "vectors": n,
        "dim": dim,
        "exact": {"build_s": round(add_exact_s, 1), **timed_each(exact, one[:20])},
        "ivf": {
            "nlist": nlist,
            "train_on": train_n,
            "train_s": round(train_s, 1),
            "add_s": round(add_ivf_s, 1),
            "by_nprobe": {},
        },  # fmt: skip
    }
    for nprobe in (4, 8, 16, 32, 64):
        ivf.nprobe = nprobe
        _, got = ivf.search(queries, K)
        recall = float(np.mean([len(set(a) & set(b)) / K for a, b in zip(got, truth, strict=True)]))
        out["ivf"]["by_nprobe"][nprobe] = {"recall_at_10": round(recall, 4), **timed_each(ivf, one)}
    for name, index in (("exact", exact), ("ivf", ivf)):
        path = work / f"{name}.faiss"
        faiss.write_index(index, str(path))
        out[name]["size_mb"] = round(path.stat().st_size / 2**20, 1)
        path.unlink()
    return out


def timed_each(index, queries: list[np.ndarray]) -> dict:  # noqa: ANN001
    index.search(queries[0], K)
    seconds = []
    for q in queries:
        t = time.perf_counter()
        index.search(q, K)
        seconds.append(time.perf_counter() - t)
    return percentiles(seconds)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--episodes", type=int, default=10_000)
    p.add_argument("--vectors", type=int, default=10_000_000, help="faces, and their vectors")
    p.add_argument("--work", type=Path, help="keeps the real warehouse between runs")
    p.add_argument("--real", type=Path, help="draw from this warehouse instead of indexing one")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-vectors", action="store_true", help="the warehouse and its queries only")
    args = p.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="toon-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    real = real_warehouse(work, args.real)
    big = work / "big" / "toon.duckdb"
    big.parent.mkdir(exist_ok=True)
    report = {"warehouse": fabricate_warehouse(real, big, args.episodes, args.vectors, rng)}
    report["queries"] = time_queries(big, rng)
    print(json.dumps(report), flush=True)
    if not args.no_vectors:
        report["vectors"] = vector_bench(real_vectors(real), args.vectors, work, rng)
        print(json.dumps(report), flush=True)
    if not args.work:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
