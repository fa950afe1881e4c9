"""How much memory SQL queries take where users run them: hostile queries in the sandbox, in
`toon sql`, and large legal results on the dashboard's SQL page across many browser sessions.

Three parts, each chosen by name (the first two when none is named):

- `queries`: each hostile query runs once per way, each time in a fresh Python process, against
  an empty DuckDB file with the default SandboxLimits: in the process that asks (`run_sql`) and
  in a child killed past the memory cap (`run_sql_apart`). Printed: the outcome, the seconds, how
  much the asking process's peak resident memory grew, and the child's peak.
- `cli`: `toon sql --warehouse W SQL` as a user runs it, its whole process tree watched every
  5 ms through /proc: the seconds, the exit status, the one line it printed, the peak resident
  memory of `toon` itself and of its child, and of the tree (the largest sum seen at one
  sample, and the sum of each process's own peak, which bounds it from above).
- `dashboard`: a real `toon dashboard` on 127.0.0.1 serving a small warehouse, and SESSIONS
  browser sessions (Debian's Chromium through Playwright) opened one after another, at most
  OPEN at once, each running a legal query that returns about 60 MB on the SQL page; then every
  session is closed. Printed: the server's resident memory once warm (after one small query in
  a closed session), its peak, and after the sessions closed and SETTLE seconds passed.

    .venv/bin/python bench/sql_memory.py [queries] [cli] [dashboard] [--json]
        [--sessions 20] [--open 4] [--settle 20]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/cascades.py would hide the cascades package

QUERIES = (
    "SELECT range(20000000) AS l",  # one row, a list of 20 million numbers: over 64 MB
    "SELECT range(100000000) AS l",  # 100 million: DuckDB builds it past its memory limit
    "SELECT list(range) FROM range(50000000)",  # the same size through an aggregate
)
# 10,000 rows (max_rows) of 6,000 characters: 60 MB as Arrow, under the 64 MB size limit.
LEGAL_60MB = "SELECT range AS n, repeat('x', 6000) AS s FROM range(10000)"
SMALL = "SELECT 42 AS answer"

MEASURE = r"""
import json, resource, sys, time
from pathlib import Path
from warehouse.sandbox import run_sql
from warehouse.sandbox_checks import SandboxError
from warehouse.sandbox_child import run_sql_apart
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


def status_mb(pid: int, field: str) -> float:
    """A /proc/PID/status figure (VmRSS: now, VmHWM: the peak) in MB; 0 once it has gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    found = [line for line in lines if line.startswith(f"{field}:")]
    return int(found[0].split()[1]) / 1024 if found else 0.0


def descendants(pid: int) -> list[int]:
    """pid's children, their children and so on (from /proc/PID/task/*/children)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(p) for p in (task / "children").read_text().split()]
            except (FileNotFoundError, ProcessLookupError):
                continue
            found += children
            todo += children
    return found


class TreeWatch(threading.Thread):
    """Samples a process tree's resident memory every `every_s` until the root exits."""

    def __init__(self, root: subprocess.Popen, every_s: float = 0.005) -> None:
        super().__init__(daemon=True)
        self.root, self.every_s = root, every_s
        self.peaks: dict[int, float] = {}  # pid -> its own peak (VmHWM), as last read
        self.largest_sum = 0.0  # the largest sum of VmRSS over the tree at one sample

    def run(self) -> None:
        while self.root.poll() is None:
            pids = [self.root.pid, *descendants(self.root.pid)]
            total = 0.0
            for pid in pids:
                total += status_mb(pid, "VmRSS")
                self.peaks[pid] = max(self.peaks.get(pid, 0.0), status_mb(pid, "VmHWM"))
            self.largest_sum = max(self.largest_sum, total)
            time.sleep(self.every_s)


def toon_command() -> list[str]:
    script = Path(sys.executable).with_name("toon")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "toon"]


def measure_queries(database: Path) -> list[dict]:
    rows = []
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
            grew, child = row["asker_growth_mb"], row["child_peak_mb"]
            print(
                f"{way:10} {sql:42} {row['seconds']:6.2f} s  asker +{grew:,} MB  "
                f"child peak {child:,} MB  {row['outcome'][:90]}",
                flush=True,
            )
    return rows


def measure_cli(warehouse: Path) -> list[dict]:
    rows = []
    for sql in (*QUERIES, SMALL):
        started = time.perf_counter()
        toon = subprocess.Popen(
            [*toon_command(), "sql", "--warehouse", str(warehouse), sql],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        watch = TreeWatch(toon)
        watch.start()
        out, err = toon.communicate()
        seconds = time.perf_counter() - started
        watch.join()
        own = watch.peaks.get(toon.pid, 0.0)
        children = [mb for pid, mb in watch.peaks.items() if pid != toon.pid]
        row = {
            "command": f"toon sql --warehouse W {sql!r}",
            "exit": toon.returncode,
            "said": (err.strip() or out.strip()).splitlines()[-1][:160],
            "seconds": round(seconds, 2),
            "toon_peak_mb": round(own),
            "child_peak_mb": round(max(children, default=0.0)),
            "tree_largest_sample_mb": round(watch.largest_sum),
            "tree_sum_of_peaks_mb": round(own + sum(children)),
        }
        rows.append(row)
        print(
            f"toon sql {sql!r:44} exit {row['exit']}  {row['seconds']:5.2f} s  toon peak "
            f"{row['toon_peak_mb']:,} MB  child peak {row['child_peak_mb']:,} MB  tree "
            f"{row['tree_largest_sample_mb']:,} MB (sum of peaks {row['tree_sum_of_peaks_mb']:,})"
            f"  {row['said'][:100]}",
            flush=True,
        )
    return rows


def small_warehouse(folder: Path) -> Path:
    """The hand-made warehouse the warehouse tests read: a few faces in four episodes."""
    from tests.warehouse.conftest import WORLD, WORLD_FAILED, build

    return build(folder, WORLD, WORLD_FAILED)


def run_on_sql_page(context, url: str, sql: str, rows_shown: str) -> None:  # noqa: ANN001
    from tests.browser import run_query

    page = context.new_page()
    page.goto(f"{url}/sql")
    run_query(page, sql)
    page.get_by_text(re.compile(rf"^{rows_shown} rows in \d+ ms")).wait_for(timeout=180_000)


def measure_dashboard(folder: Path, sessions: int, open_at_once: int, settle_s: float) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS, Server

    if not CHROMIUM.is_file():
        sys.exit(f"{CHROMIUM}: not installed (`make test` installs it)")
    server = Server(small_warehouse(folder / "warehouse"), folder / "labels")
    pid = server.process.pid
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            launched = status_mb(pid, "VmRSS")
            context = browser.new_context()
            run_on_sql_page(context, server.url, SMALL, "1")
            context.close()
            time.sleep(2)
            warm = status_mb(pid, "VmRSS")
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak starts again from here
            opened, after_each = [], []
            for n in range(sessions):
                context = browser.new_context()
                run_on_sql_page(context, server.url, LEGAL_60MB, "10,000")
                opened.append(context)
                if len(opened) > open_at_once:
                    opened.pop(0).close()
                after_each.append(round(status_mb(pid, "VmRSS")))
                print(f"session {n + 1}: server {after_each[-1]:,} MB", flush=True)
            for context in opened:
                context.close()
            browser.close()
        closed = status_mb(pid, "VmRSS")
        settling, started = [], time.monotonic()
        while time.monotonic() - started < settle_s:
            time.sleep(min(5.0, settle_s))
            settling.append(round(status_mb(pid, "VmRSS")))
        row = {
            "sessions": sessions,
            "open_at_once": open_at_once,
            "query": LEGAL_60MB,
            "server_launched_mb": round(launched),
            "server_warm_mb": round(warm),
            "server_peak_mb": round(status_mb(pid, "VmHWM")),
            "server_closed_mb": round(closed),
            "server_after_mb": round(status_mb(pid, "VmRSS")),
            "settle_s": settle_s,
            "server_after_each_session_mb": after_each,
            "server_every_5_s_after_closing_mb": settling,
        }
    finally:
        server.stop()
    print(
        f"dashboard: {sessions} sessions of a 60 MB result ({open_at_once} open at once): server "
        f"{row['server_warm_mb']:,} MB warm, peak {row['server_peak_mb']:,} MB, "
        f"{row['server_closed_mb']:,} MB as the last closed, {row['server_after_mb']:,} MB "
        f"{settle_s:g} s later ({row['server_after_mb'] - row['server_warm_mb']:+,} MB); every 5 s "
        f"after closing: {', '.join(f'{mb:,}' for mb in settling)} MB",
        flush=True,
    )
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "parts", nargs="*", choices=("queries", "cli", "dashboard"), default=["queries", "cli"]
    )
    parser.add_argument("--json", action="store_true", help="end with one JSON line of it all")
    parser.add_argument("--sessions", type=int, default=20, help="browser sessions (20)")
    parser.add_argument("--open", type=int, default=4, help="sessions open at once (4)")
    parser.add_argument("--settle", type=float, default=20.0, help="seconds after closing (20)")
    args = parser.parse_args()
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "toon.duckdb"  # an empty warehouse: the queries read no table
        duckdb.connect(str(database)).close()
        if "queries" in args.parts:
            report["queries"] = measure_queries(database)
        if "cli" in args.parts:
            report["cli"] = measure_cli(Path(tmp))
        if "dashboard" in args.parts:
            report["dashboard"] = measure_dashboard(
                Path(tmp), args.sessions, args.open, args.settle
            )
    if args.json:
        print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
