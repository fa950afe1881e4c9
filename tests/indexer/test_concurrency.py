"""Readers never wait on the indexer: a reader process queries in a loop while another
process indexes into the same warehouse."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, TOON

READER = r"""
import json, sys, time
from pathlib import Path
from warehouse import reader, queries
from warehouse.sandbox import run_sql

folder, stop = Path(sys.argv[1]), Path(sys.argv[2])
slowest, errors, seen, n = 0.0, [], set(), 0
while not stop.exists():
    t = time.perf_counter()
    try:
        with reader.connect(folder) as con:
            seen.add(con.execute("SELECT count(*) FROM episodes").fetchone()[0])
            queries.rank(con, "happy")
        run_sql(reader.snapshot_path(folder), "SELECT count(*) FROM character_emotions")
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    slowest = max(slowest, time.perf_counter() - t)
    n += 1
print(json.dumps({"queries": n, "slowest_s": slowest, "errors": errors[:5], "seen": sorted(seen)}))
"""


def test_reader_answers_while_indexer_writes(tmp_path: Path, episodes_640: Path) -> None:
    wh = tmp_path / "wh"
    first, *rest = sorted(episodes_640.glob("*.mp4"))
    subprocess.run(
        [*TOON, "index", str(first), "--warehouse", str(wh), "--json"],
        check=True,
        capture_output=True,
        cwd=ROOT,
        timeout=300,
    )
    more = tmp_path / "more"
    subprocess.run(
        [
            *TOON,
            "synth",
            "episodes",
            str(more),
            "--count",
            "3",
            "--seconds",
            "6",
            "--seed",
            "32",
            "--json",
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(wh), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    time.sleep(2.0)  # the reader is in its loop before the writer starts
    writer = subprocess.run(
        [*TOON, "index", *map(str, rest), str(more), "--warehouse", str(wh), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    stop.touch()
    out, err = reader.communicate(timeout=60)
    assert writer.returncode == 0, writer.stderr
    assert json.loads(writer.stdout)["indexed"] == 5
    report = json.loads(out)
    assert report["errors"] == [], report
    assert report["queries"] >= 20, report
    assert len(report["seen"]) >= 3, report  # it saw episodes land one by one, while they did
