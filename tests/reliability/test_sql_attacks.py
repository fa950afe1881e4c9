"""The SQL console's attack list, through `toon sql` and through the dashboard's SQL page: each
statement is refused or stopped with a one-line message, no file appears anywhere, and the next
query works."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from tests.browser import memory_mb, reset_peak, run_query
from tests.conftest import ROOT, run_toon

# (statement, what the refusal says); {dir} is a folder the test watches for new files
ATTACKS = [
    ("COPY (SELECT 1) TO 'x.csv'", "COPY statements are not allowed"),
    ("COPY (SELECT 1) TO '{dir}/x.csv'", "COPY statements are not allowed"),
    ("SELECT * FROM read_csv('/etc/passwd')", "file system operations are disabled"),
    ("SELECT * FROM read_text('/etc/passwd')", "file system operations are disabled"),
    ("SELECT * FROM glob('/*')", "file system operations are disabled"),
    ("ATTACH '{dir}/other.duckdb' AS other", "ATTACH statements are not allowed"),
    ("INSTALL httpfs", "INSTALL statements are not allowed"),
    ("LOAD httpfs", "LOAD statements are not allowed"),
    ("SET enable_external_access = true", "SET statements are not allowed"),
    ("RESET lock_configuration", "RESET statements are not allowed"),
    ("SET memory_limit = '100GB'", "SET statements are not allowed"),
    ("select 1; COPY (SELECT 1) TO '{dir}/x.csv'", "exactly one SQL statement is allowed, got 2"),
    # one huge row: 9 million BIGINTs, 72 MB as Arrow
    ("SELECT range(9000000) AS l", "the result is over 64 MB (the size limit)"),
]
ENDLESS = "SELECT sum(range) FROM range(1000000000000)"  # 1e12 rows: stopped at the time limit
# A list DuckDB builds past its own memory limit: run in the server's process it took 30 s and
# 6.9 GB; the page runs each query in a child process, killed past 1.25 GB (in about 1.3 s).
HOARD = "SELECT range(100000000) AS l"
GROWTH_MB = 200  # what the server may grow by over the whole attack list
TEN_MILLION = "SELECT * FROM range(10000000)"  # 10 million rows: the first max-rows shown
FACES = "SELECT count(*) AS n FROM faces"


def tree(*folders: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for folder in folders
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def watched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder: where a relative 'x.csv' would land."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def faces_in(warehouse: Path) -> list[dict]:
    rc, out, err = run_toon(["sql", "--warehouse", str(warehouse), "--json", FACES])
    assert rc == 0, err
    return json.loads(out)


@pytest.mark.parametrize(("sql", "message"), ATTACKS, ids=[a[0][:40] for a in ATTACKS])
def test_toon_sql_refuses(warehouse: Path, watched: Path, sql: str, message: str) -> None:
    before = tree(warehouse, watched)
    expected = faces_in(warehouse)
    # a generous time limit: the size limit, not a slow machine, must stop the huge row
    args = ["sql", "--warehouse", str(warehouse), "--time-limit", "60"]
    rc, out, err = run_toon([*args, sql.format(dir=watched)])
    assert (rc, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("toon: error: ")
    assert message in err
    assert tree(warehouse, watched) == before
    assert faces_in(warehouse) == expected


def test_toon_sql_stops_an_endless_query_and_caps_rows(warehouse: Path, watched: Path) -> None:
    before = tree(warehouse, watched)
    expected = faces_in(warehouse)
    args = ["sql", "--warehouse", str(warehouse), "--time-limit", "2"]
    rc, out, err = run_toon([*args, ENDLESS])
    assert (rc, out, err) == (2, "", "toon: error: query stopped after 2 s (the time limit)\n")

    rc, out, err = run_toon([*args, "--json", TEN_MILLION])
    assert rc == 0, err
    assert json.loads(out) == [{"range": n} for n in range(10_000)]
    assert err == "toon: note: only the first 10000 rows are shown (--max-rows)\n"
    assert tree(warehouse, watched) == before
    assert faces_in(warehouse) == expected


@pytest.mark.browser
def test_the_sql_page_refuses_every_attack(server, page, watched: Path) -> None:
    """One page, every statement in turn: a refusal each, then a query that works."""
    before = tree(server.warehouse, watched)
    page.goto(f"{server.url}/sql")
    n = faces_in(server.warehouse)[0]["n"]
    run_query(page, FACES)  # a first query: the page warm, so what grows after is the attacks'
    page.get_by_text(re.compile(r"^1 rows in \d+ ms$")).wait_for()
    pid = server.process.pid
    reset_peak(pid)
    rss = memory_mb(pid, "VmRSS")
    for sql, message in ATTACKS:
        run_query(page, sql.format(dir=watched))
        refusal = page.get_by_text(re.compile("^Refused: "))
        refusal.wait_for()
        assert message in refusal.inner_text(), sql
        run_query(page, FACES)
        page.get_by_text(re.compile(r"^1 rows in \d+ ms$")).wait_for()
    run_query(page, ENDLESS)
    page.get_by_text("Refused: query stopped after 10 s (the time limit)").wait_for(timeout=30_000)
    run_query(page, HOARD)
    page.get_by_text("Refused: query stopped: it needed more than 1.25 GB of memory").wait_for()
    run_query(page, TEN_MILLION)
    page.get_by_text(re.compile(r"^10,000 rows in \d+ ms \(more exist")).wait_for()
    growth = memory_mb(pid, "VmHWM") - rss
    print(f"server memory: {rss:.0f} MB before, peak growth {growth:.1f} MB")
    assert growth < GROWTH_MB
    run_query(page, FACES)
    page.get_by_test_id("stDataFrame").wait_for()
    assert page.get_by_test_id("stException").count() == 0
    assert server.healthy()
    assert tree(server.warehouse, watched) == before
    assert not (ROOT / "x.csv").exists()  # the server's working folder
    assert faces_in(server.warehouse)[0]["n"] == n
