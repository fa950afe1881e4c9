"""How much memory a hostile SQL query takes, run where `toon sql` runs it (in the process that
asks) and where the dashboard runs it (`run_sql_apart`: a child process killed past the limit).

Each query runs once per way, each time in a fresh Python process, against an empty DuckDB
file with the default SandboxLimits. Printed per query: the outcome, the seconds, how much the
asking process's peak resident memory grew, and the child's peak (ru_maxrss of its children).

    .venv/bin/python bench/sql_memory.py [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]

QUERIES = (
    "SELECT range(20000000) AS l",  # one row, a list of 20 million numbers: over 64 MB
    "SELECT range(100000000) AS l",  # 100 million: DuckDB builds it past its memory limit
    "SELECT list(range) FROM range(50000000)",  # the same size through an aggregate
)

MEASURE = r"""
import json, resource, sys, time
from pathlib import Path
from warehouse.sandbox import SandboxError, run_sql, run_sql_apart
way, database, sql = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
run = run_sql if way == "in-process" else run_sql_apart
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    outcome = f"{len(run(database, sql).rows)} rows"
except SandboxError as error:
    outcome = f"refused: {error}"
print(json.dumps({
    "way": way, "sql": sql, "outcome": outcome,
    "seconds": round(time.perf_counter() - started, 2),
    "asker_growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024,
    "child_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="one JSON line per measurement")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "empty.duckdb"
        duckdb.connect(str(database)).close()
        for sql in QUERIES:
            for way in ("in-process", "apart"):
                out = subprocess.run(
                    [sys.executable, "-c", MEASURE, way, str(database), sql],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                row = json.loads(out.stdout)
                rows.append(row)
                if args.json:
                    print(json.dumps(row), flush=True)
                else:
                    grew, child = row["asker_growth_mb"], row["child_peak_mb"]
                    print(
                        f"{way:10} {sql:42} {row['seconds']:6.2f} s  asker +{grew:,} MB  "
                        f"child peak {child:,} MB  {row['outcome'][:90]}",
                        flush=True,
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
