"""`toon sql` within the SQL page's limits, queries from files and stdin, refusals in users'
words, and `toon recommend` on a warehouse with an episode in which no face was seen: real
DuckDB files, real child processes, `toon` run as a user runs it."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, TOON, run_toon
from tests.warehouse.conftest import Face, build
from warehouse.sandbox_checks import MAX_SQL_BYTES

# One row holding a list of 100 million numbers: DuckDB builds it past its own memory limit
# (in `toon sql`'s own process it took 22.7 s and 7.3 GB); the child is stopped at its cap.
HOARD = "SELECT range(100000000) AS l"
OUT_OF_ROOM = (
    "toon: error: query stopped: it needed more than 1.25 GB of memory (the memory limit); "
    "select fewer rows, shorter lists or aggregate\n"
)
# A query too long for one command-line argument (Linux takes 128 KB at most): 389 KB.
IDS = ", ".join(str(n) for n in range(58_000))
LONG = f"SELECT count(*) AS n FROM faces WHERE face_id IN ({IDS})"
READS = "SELECT episode_id, count(*) AS n FROM faces GROUP BY ALL ORDER BY ALL"


@pytest.fixture(scope="module")
def shelf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ep1 and ep3 with faces; ep2 indexed, and no face seen in it."""
    return build(
        tmp_path_factory.mktemp("shelf"),
        {
            "ep1": [Face(0.0, "tom", "happy"), Face(1.0, "jerry", "happy")],
            "ep2": [],
            "ep3": [Face(0.0, "tom", "sad"), Face(1.0, "tom", "happy")],
        },
    )


def tree(folder: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def sql(shelf: Path, *args: str) -> tuple[int, str, str]:
    return run_toon(["sql", "--warehouse", str(shelf), *args])


def test_a_query_that_hoards_memory_is_stopped_in_its_own_process(shelf: Path) -> None:
    before = tree(shelf)
    assert sql(shelf, HOARD) == (2, "", OUT_OF_ROOM)
    assert tree(shelf) == before
    assert sql(shelf, "--json", READS) == (
        0,
        '[{"episode_id": "ep1", "n": 2}, {"episode_id": "ep3", "n": 2}]\n',
        "",
    )


def test_a_query_from_a_file(shelf: Path, tmp_path: Path) -> None:
    query = tmp_path / "long.sql"
    query.write_text(f"-- every face by id\n{LONG};\n")
    assert 380_000 < query.stat().st_size < 400_000
    assert sql(shelf, "--json", "--file", str(query)) == (0, '[{"n": 4}]\n', "")


@pytest.mark.parametrize("args", [["-"], ["--file", "-"]], ids=["dash", "file-dash"])
def test_a_query_from_stdin(shelf: Path, args: list[str]) -> None:
    done = subprocess.run(
        [*TOON, "sql", "--warehouse", str(shelf), "--json", *args],
        input=LONG,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, '[{"n": 4}]\n', "")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "{path}: no SQL statement given"),
        (b"  -- nothing but a comment\n", "no SQL statement given"),  # DuckDB's parser says
        (b"SELECT '" + b"x" * MAX_SQL_BYTES + b"'", "{path}: the query is over 1 MB (the limit "
         "for a query's text)"),
        (b"SELECT '\xff'", "{path}: the query is not UTF-8 text (byte 0xff at offset 8)"),
        (None, "{path}: cannot read the query (No such file or directory)"),
    ],
    ids=["empty", "comment", "too-long", "not-utf8", "missing"],
)  # fmt: skip
def test_a_query_file_that_cannot_run_is_one_line(
    shelf: Path, tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "q.sql"
    if content is not None:
        path.write_bytes(content)
    rc, out, err = sql(shelf, "--file", str(path))
    assert (rc, out, err) == (2, "", f"toon: error: {message.format(path=path)}\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--memory-limit", "lots", "SELECT 1"], "memory limit 'lots' is not a size such as 1GB "
         "or 512MB (Memory must have a number (e.g. 1GB))"),
        (["SELECT " + "(" * 2000 + "1" + ")" * 2000], "Parser Error: Max expression depth limit "
         "of 1000 exceeded."),
        (["SELECT (SELECT range FROM range(3))"], "Invalid Input Error: More than one row "
         "returned by a subquery used as an expression - scalar subqueries can only return a "
         "single row."),
        (["INSTALL httpfs"], "INSTALL statements are not allowed, only reads (SELECT, WITH, "
         "VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, PRAGMA)"),
        (["RESET threads"], "RESET statements are not allowed, only reads (SELECT, WITH, "
         "VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, PRAGMA)"),
        (["SELECT count(*) FROM (SELECT * FROM range(10000000) ORDER BY hash(range))",
          "--memory-limit", "20MB"], "query stopped: it needed more than 20MB of memory (the "
         "memory limit); select fewer rows, shorter lists or aggregate"),
    ],
    ids=["memory-limit", "depth", "subquery", "install", "reset", "duckdb-out-of-memory"],
)  # fmt: skip
def test_refusals_are_in_users_words(shelf: Path, args: list[str], message: str) -> None:
    """No SandboxLimits(...) repr, no DuckDB advice to SET what cannot be set, the statement
    named as it was written."""
    assert sql(shelf, *args) == (2, "", f"toon: error: {message}\n")


def test_an_episode_without_faces_is_never_recommended(shelf: Path) -> None:
    def recommend(*args: str) -> list[str]:
        rc, out, err = run_toon(["recommend", "--warehouse", str(shelf), "--json", *args])
        assert (rc, err) == (0, "")
        return [row["episode_id"] for row in json.loads(out)]

    assert recommend("--like", "ep1") == ["ep3"]
    assert recommend("--like", "ep3") == ["ep1"]
    assert recommend("--mood", "happy") == ["ep1", "ep3"]
    assert recommend("--mood", "sad:tom") == ["ep3", "ep1"]
    assert run_toon(["recommend", "--warehouse", str(shelf), "--like", "ep2"]) == (
        2,
        "",
        "toon: error: episode 'ep2' has no faces, so no mix of emotions to compare with others\n",
    )


def test_the_sql_pages_shelf_keeps_the_newest_results_within_its_budget(shelf: Path) -> None:
    """The dashboard keeps results for the whole server, not per session (a closed browser's
    session lingers): the newest within the budget, never dropping the one just put."""
    from dashboard.resources import ResultShelf, python_bytes
    from warehouse.reader import snapshot_path
    from warehouse.sandbox import run_sql

    big = run_sql(snapshot_path(shelf), "SELECT repeat('x', 6000) AS s FROM range(1000)")
    small = run_sql(snapshot_path(shelf), "SELECT 42 AS answer")
    room = ResultShelf(max_bytes=python_bytes(big.rows) + 2**16, max_results=3)
    first, second = room.put(big), room.put(small)
    assert (room.get(first), room.get(second), len(room)) == (big, small, 2)
    third = room.put(big)  # over the budget: the least recently read goes
    assert (room.get(first), room.get(second), room.get(third)) == (None, small, big)
    keys = [room.put(small) for _ in range(3)]  # over the count: the oldest go
    assert [room.get(key) for key in [second, third, *keys]] == [None, None, small, small, small]
    alone = ResultShelf(max_bytes=1, max_results=1)
    assert alone.get(alone.put(big)) == big  # the newest is kept whatever its size
