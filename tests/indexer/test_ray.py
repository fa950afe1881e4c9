"""`--engine ray`: a local Ray of two CPUs indexes the same episodes into the same rows and vectors
as the local engine, in its own process or through `toon index`, and a worker killed
mid-episode costs a retry, not the episode."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pytest

from cascades.finder import CascadeSet
from indexer.engines import RayEngine
from indexer.library import index_library
from tests.conftest import run_toon
from warehouse import reader, vectors

ray = pytest.importorskip("ray", reason="Ray is installed by `make test` ('.[distributed]')")

# Columns that say when or how long, not what: they differ between any two runs.
TIMING = {"episodes": {"indexed_at", "index_seconds"}}


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, tiny_episodes: Path) -> Path:
    """The tiny episodes, a copy of one under another name (skipped as the same content) and a
    file that is no video (failed): the local engine's rules, on Ray too."""
    lib = tmp_path_factory.mktemp("library")
    for f in sorted(tiny_episodes.glob("*.mp4")):
        shutil.copy(f, lib / f.name)
    shutil.copy(sorted(tiny_episodes.glob("*.mp4"))[0], lib / "zz-copy.mp4")
    (lib / "broken.mp4").write_text("not a video\n")
    (lib / "broken-too.mp4").write_text("not a video\n")  # a copy of a failure fails too
    return lib


@pytest.fixture(scope="module")
def local_run(tmp_path_factory: pytest.TempPathFactory, library: Path, indexer) -> Path:
    wh = tmp_path_factory.mktemp("local") / "wh"
    index_library([library], wh, indexer)
    return wh


def contents(wh: Path) -> dict:
    """Every table's rows (less timing columns) and every vector, as plain values."""
    out = {}
    with reader.connect(wh) as con:
        for (table,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "ORDER BY 1"
        ).fetchall():
            columns = [
                c
                for (c,) in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                    "ORDER BY ordinal_position",
                    [table],
                ).fetchall()
                if c not in TIMING.get(table, set())
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            out[table] = con.execute(f"SELECT {listed} FROM {table} ORDER BY ALL").fetchall()
    index = reader.face_index(wh)
    ids = vectors.ids_of(index)
    order = np.argsort(ids)
    out["faiss"] = (ids[order].tolist(), index.index.reconstruct_n(0, index.ntotal)[order])
    return out


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for table in a:
        if table == "faiss":
            assert a[table][0] == b[table][0]
            np.testing.assert_array_equal(a[table][1], b[table][1])
        else:
            assert a[table] == b[table], table


def analysing_workers() -> list[int]:
    """Pids of this machine's Ray workers running an episode now (Ray titles them so)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if cmdline.startswith(b"ray::_analyse_in_worker"):
                found.append(int(entry))
    return found


def test_a_killed_worker_loses_nothing(  # first: the workers are still loading the model
    local_ray, library: Path, local_run: Path, indexer, tmp_path: Path
) -> None:
    wh = tmp_path / "wh"
    done: dict = {}
    run = threading.Thread(
        target=lambda: done.setdefault(
            "summary", index_library([library], wh, indexer, engine=RayEngine(indexer))
        )
    )
    run.start()
    deadline, killed = time.monotonic() + 120, None
    while killed is None and run.is_alive() and time.monotonic() < deadline:
        workers = analysing_workers()
        if workers:
            os.kill(workers[0], signal.SIGKILL)
            killed = workers[0]
        time.sleep(0.05)
    run.join(timeout=600)
    assert killed is not None, "no worker was seen analysing an episode"
    summary = done["summary"]
    assert [o.status for o in summary.outcomes].count("indexed") == 2
    assert_same(contents(wh), contents(local_run))
    with duckdb.connect(str(wh / "toon.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM episodes").fetchone() == (4,)


def test_ray_and_local_store_the_same(
    local_ray, library: Path, local_run: Path, indexer, tmp_path: Path
) -> None:
    wh = tmp_path / "wh"
    summary = index_library([library], wh, indexer, engine=RayEngine(indexer))
    statuses = {Path(o.path).name: o.status for o in summary.outcomes}
    assert statuses == {
        "broken.mp4": "failed",
        "broken-too.mp4": "failed",
        "s11-e01.mp4": "indexed",
        "s11-e02.mp4": "indexed",
        "zz-copy.mp4": "skipped",
    }
    assert_same(contents(wh), contents(local_run))


def test_toon_index_engine_ray(local_ray, library: Path, local_run: Path, tmp_path: Path) -> None:
    wh = tmp_path / "wh"
    rc, out, err = run_toon(["index", str(library), "--warehouse", str(wh), "--engine", "ray",
                             "--json"])  # fmt: skip
    assert rc == 1, err  # broken.mp4 failed, as it does locally
    report = json.loads(out)
    assert (report["indexed"], report["skipped"], report["failed"]) == (2, 1, 2)
    assert_same(contents(wh), contents(local_run))


def test_a_worker_with_other_cascades_fails_each_episode(  # last: the workers load anew
    local_ray, library: Path, indexer, tmp_path: Path
) -> None:
    """Workers load the folders they are pointed at; what they load must be what the writer
    records (its sha256) or the episode fails, said so, and nothing is stored from it. A file
    that is no video is refused by the writer before a worker sees it."""
    other = tmp_path / "cascades"
    other.mkdir()
    for f in indexer.cascades_dir.glob("tom.*"):  # one character less: another cascade set
        shutil.copy(f, other / f.name)
    pointed = dataclasses.replace(indexer, cascades_dir=other)
    summary = index_library([library], tmp_path / "wh", pointed, engine=RayEngine(pointed))
    assert [o.status for o in summary.outcomes] == ["failed"] * 5
    worker = (
        f"the worker's cascades at {other} is not the writer's "
        f"(sha256 {CascadeSet.load(other).sha256[:12]}, not {indexer.cascades.sha256[:12]})"
    )
    no_video = "cannot open video (not a video, or a codec the decoder lacks)"
    assert {Path(o.path).name: o.reason for o in summary.outcomes} == {
        f.name: f"{library.resolve() / f.name}: {no_video}" if "broken" in f.name else worker
        for f in library.glob("*.mp4")
    }
    with reader.connect(tmp_path / "wh") as con:
        assert con.execute("SELECT count(*) FROM faces").fetchone() == (0,)
