"""`toon index` killed with SIGKILL at 20 random moments while readers query in a loop.

After every kill the published snapshot is whole (each episode in it has exactly the faces and
samples an uninterrupted run stores for that file) and its vectors are readable (they may be
one publish ahead of it: the vectors are renamed into place first); the readers
(the dashboard's queries, `toon sql`) never fail and never wait a second; a rerun resumes, and
the end state is what an uninterrupted run makes, every episode stored once. Between kills the
library's files change content when the warehouse has caught up with them, so every run has
work to do, both new episodes and replacements of old ones.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from model.store import sha256 as file_sha256
from tests.conftest import ROOT, TOON, run_toon, start_python
from warehouse import reader, vectors

KILLS = 20
EPISODES = 3  # in the library at once; two versions of each (two synth seeds)
SEED = 20  # of the kill moments

READER = r"""
import contextlib, io, json, sys, time
from pathlib import Path
from toon.cli import main
from warehouse import catalog, queries, reader, vectors
from warehouse.sandbox import run_sql

folder, stop = Path(sys.argv[1]), Path(sys.argv[2])
slowest = {"dashboard": 0.0, "toon sql": 0.0}
errors, n, before_first = [], 0, 0
while not stop.exists():
    if not (folder / "toon.duckdb").exists() and n == 0:
        before_first += 1
        time.sleep(0.01)
        continue
    t = time.perf_counter()
    try:  # what the dashboard's pages ask
        with reader.connect(folder) as con:
            catalog.overview(con)
            queries.rank(con, "happy")
            index = reader.face_index(folder)
            if index.ntotal:  # the Similar page: a stored face's nearest neighbours
                query = index.reconstruct(int(vectors.ids_of(index)[0]))
                queries.similar(con, index, query, 10)
        run_sql(reader.snapshot_path(folder), "SELECT count(*) FROM character_emotions")
    except Exception as exc:
        errors.append(f"dashboard {type(exc).__name__}: {exc}")
    slowest["dashboard"] = max(slowest["dashboard"], time.perf_counter() - t)
    t = time.perf_counter()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(["sql", "--warehouse", str(folder), "--json", "SELECT count(*) AS n FROM faces"])
    if rc != 0:
        errors.append(f"toon sql {rc}: {err.getvalue().strip()}")
    slowest["toon sql"] = max(slowest["toon sql"], time.perf_counter() - t)
    n += 1
print(json.dumps({"loops": n, "slowest_s": slowest, "errors": errors[:5]}))
"""


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> list[list[Path]]:
    """Two versions of a library of EPISODES short episodes: [version][episode]."""
    root = tmp_path_factory.mktemp("versions")
    out = []
    for seed in (41, 42):
        folder = root / str(seed)
        rc, _, err = run_toon(
            ["synth", "episodes", str(folder), "--count", str(EPISODES), "--seconds", "2",
             "--seed", str(seed), "--width", "320", "--height", "180"]
        )  # fmt: skip
        assert rc == 0, err
        out.append(sorted(folder.glob("*.mp4")))
    return out


def opened_warehouse(pid: int, work_db: Path) -> bool:
    """Whether process `pid` holds the work database open: it is past loading the model."""
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == str(work_db):
                    return True
    except FileNotFoundError:  # exited
        return False
    return False


def start_index(lib: Path, wh: Path) -> tuple[subprocess.Popen, float]:
    """`toon index` started; returns it and when it opened the warehouse (or exited)."""
    proc = subprocess.Popen(
        [*TOON, "index", str(lib), "--warehouse", str(wh), "--json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    work_db = (wh / ".work" / "toon.duckdb").resolve()
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if opened_warehouse(proc.pid, work_db):
            break
        time.sleep(0.005)
    return proc, time.monotonic()


def stored(wh: Path) -> dict[str, tuple]:
    """{episode sha256: (faces, sampled frames, face rows, sample rows)} of the snapshot."""
    with reader.connect(wh) as con:
        rows = con.execute(
            "SELECT e.sha256, e.faces, e.sampled_frames, "
            "(SELECT count(*) FROM faces f WHERE f.episode_id = e.episode_id), "
            "(SELECT count(*) FROM samples s WHERE s.episode_id = e.episode_id) "
            "FROM episodes e WHERE e.status = 'indexed'"
        ).fetchall()
        failed = con.execute("SELECT count(*) FROM episodes WHERE status <> 'indexed'").fetchone()
    assert failed == (0,)
    return {r[0]: tuple(r[1:]) for r in rows}


def face_ids(wh: Path) -> list[int]:
    with reader.connect(wh) as con:
        return [r[0] for r in con.execute("SELECT face_id FROM faces ORDER BY 1").fetchall()]


@pytest.mark.slow
def test_killed_at_random_moments_loses_nothing(tmp_path: Path, versions) -> None:
    # the truth: both versions indexed by one uninterrupted run, and how long indexing takes
    ref_lib = tmp_path / "ref"
    ref_lib.mkdir()
    for v, files in enumerate(versions):
        for f in files:
            shutil.copy(f, ref_lib / f"v{v}-{f.name}")
    proc, t0 = start_index(ref_lib, tmp_path / "ref-wh")
    out, err = proc.communicate(timeout=600)
    window = (time.monotonic() - t0) / 2  # one version's worth of indexing
    assert proc.returncode == 0, err
    truth = stored(tmp_path / "ref-wh")
    assert len(truth) == 2 * EPISODES
    assert json.loads(out)["faces"] > 0

    lib, wh, stop = tmp_path / "lib", tmp_path / "wh", tmp_path / "stop"
    lib.mkdir()
    version = 0
    for f in versions[version]:
        shutil.copy(f, lib / f.name.split("-")[-1])  # e01.mp4 ...: the same paths, both versions
    readers = start_python(READER, str(wh), str(stop))
    rng = random.Random(SEED)
    killed, moments = 0, []
    try:
        for _ in range(KILLS):
            if (wh / "toon.duckdb").exists():
                current = {file_sha256(p) for p in lib.glob("*.mp4")}
                if current <= set(stored(wh)):  # caught up: give the next run work
                    version = 1 - version
                    for f in versions[version]:
                        shutil.copy(f, lib / f.name.split("-")[-1])
            moment = rng.uniform(0, window)
            proc, t0 = start_index(lib, wh)
            time.sleep(max(0.0, moment - (time.monotonic() - t0)))
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)
            killed += proc.returncode == -signal.SIGKILL
            moments.append(round(moment, 3))
            # the snapshot a reader opens now is whole, and its vectors read back (checksum)
            if (wh / "toon.duckdb").exists():
                for sha, got in stored(wh).items():
                    assert got == truth[sha], (moments, sha)
                reader.face_index(wh)
        rc, out, err = run_toon(["index", str(lib), "--warehouse", str(wh), "--json"])
    finally:
        stop.touch()
        report = json.loads(readers.communicate(timeout=120)[0] or "{}")

    assert rc == 0, err
    assert killed >= KILLS * 3 // 4, (killed, moments)
    final = stored(wh)
    assert set(final) == {file_sha256(p) for p in lib.glob("*.mp4")}
    assert all(final[sha] == truth[sha] for sha in final)
    with reader.connect(wh) as con:
        assert con.execute("SELECT count(*) FROM episodes").fetchone() == (EPISODES,)
    assert sorted(vectors.ids_of(reader.face_index(wh)).tolist()) == face_ids(wh)
    assert not list(wh.rglob("*.part"))
    print(json.dumps({"kills": KILLS, "killed_mid_run": killed, "moments_s": moments} | report))
    assert report["errors"] == [], report
    assert report["loops"] >= 20, report
