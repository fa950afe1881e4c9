"""Tests for the SQL sandbox (warehouse/sandbox.py, sandbox_checks.py and sandbox_child.py), on
real DuckDB snapshots built in tmp_path."""

from __future__ import annotations

import hashlib
import json
import shutil
from contextlib import nullcontext as does_not_raise
from pathlib import Path

import duckdb
import pytest

from warehouse import sandbox_checks, sandbox_child
from warehouse.sandbox import QueryResult, SandboxLimits, run_sql
from warehouse.sandbox_checks import MAX_SQL_BYTES, SandboxError
from warehouse.sandbox_child import run_sql_apart

VIEW_COUNT = "SELECT character, n FROM character_emotions ORDER BY character"
VIEW_ROWS = [("bugs", 2), ("daffy", 1)]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published snapshot: a table and a view over it, built once per module."""
    database = tmp_path_factory.mktemp("template") / "snapshot.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute(
            "CREATE TABLE faces (face_id INTEGER, character VARCHAR, emotion VARCHAR, "
            "seen_at TIMESTAMP, crop BLOB, score DECIMAL(4, 2))"
        )
        connection.execute(
            "INSERT INTO faces VALUES "
            "(1, 'bugs', 'happy', '2024-01-02 03:04:05', 'ab'::BLOB, 0.90), "
            "(2, 'bugs', 'angry', '2024-01-02 03:04:06', NULL, 0.75), "
            "(3, 'daffy', 'angry', '2024-01-02 03:04:07', '\\x00\\xFF'::BLOB, 0.50)"
        )
        connection.execute(
            "CREATE VIEW character_emotions AS "
            "SELECT character, count(*) AS n FROM faces GROUP BY character"
        )
    return database


@pytest.fixture
def snapshot(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the snapshot in its own folder, with a CSV lying next to it."""
    database = tmp_path / template.name
    shutil.copyfile(template, database)
    (tmp_path / "secret.csv").write_text("a,b\n1,2\n")
    return database


def _tree(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` with the SHA-256 of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        # stopped by the statement type
        ("COPY faces TO '{out}'", "COPY statements are not allowed"),
        ("COPY (SELECT 1) TO '{out}' (FORMAT csv)", "COPY statements are not allowed"),
        ("ATTACH '{other}' AS other", "ATTACH statements are not allowed"),
        ("DETACH snapshot", "DETACH statements are not allowed"),
        ("INSTALL httpfs", "INSTALL statements are not allowed"),
        ("FORCE INSTALL httpfs", "INSTALL statements are not allowed"),
        ("-- a comment first\n  install httpfs", "INSTALL statements are not allowed"),
        ("LOAD httpfs", "LOAD statements are not allowed"),
        ("UPDATE EXTENSIONS", "UPDATE statements are not allowed"),
        ("SET enable_external_access = true", "SET statements are not allowed"),
        ("SET lock_configuration = false", "SET statements are not allowed"),
        ("RESET threads", "RESET statements are not allowed"),
        ("PRAGMA memory_limit = '10GB'", "SET statements are not allowed"),
        ("USE memory", "USE statements are not allowed"),
        ("SET VARIABLE x = 1", "SET statements are not allowed"),
        ("CREATE TABLE x (a INTEGER)", "CREATE statements are not allowed"),
        ("CREATE TEMP TABLE x AS SELECT 1", "CREATE statements are not allowed"),
        ("INSERT INTO faces (face_id) VALUES (9)", "INSERT statements are not allowed"),
        ("UPDATE faces SET emotion = 'sad'", "UPDATE statements are not allowed"),
        ("DELETE FROM faces", "DELETE statements are not allowed"),
        ("DROP VIEW character_emotions", "DROP statements are not allowed"),
        ("EXPORT DATABASE '{folder}'", "EXPORT statements are not allowed"),
        ("CHECKPOINT", "CHECKPOINT statements are not allowed"),
        ("CALL pragma_table_info('faces')", r"SELECT \* FROM fn\(\.\.\.\)"),
        ("BEGIN", "TRANSACTION statements are not allowed"),
        ("VACUUM", "VACUUM statements are not allowed"),
        ("PIVOT faces ON emotion", "a PIVOT without an IN list is not allowed"),
        ("COPY (PIVOT faces ON emotion) TO '{out}'", "COPY statements are not allowed"),
        ("SELECT 1; SELECT 2", "exactly one SQL statement is allowed, got 2"),
        ("SELECT 1; COPY faces TO '{out}'", "exactly one SQL statement is allowed, got 2"),
        ("", "no SQL statement given"),
        ("  -- only a comment", "no SQL statement given"),
        ("SELEC 1", 'syntax error at or near "SELEC"'),
        # stopped by the locked configuration or the read-only attach
        ("SELECT * FROM read_csv('{csv}')", "file system operations are disabled"),
        ("SELECT * FROM read_blob('{csv}')", "file system operations are disabled"),
        ("SELECT * FROM glob('{folder}/*')", "file system operations are disabled"),
        ("SELECT * FROM '{csv}'", "file system operations are disabled"),
        ("EXPLAIN ANALYZE COPY faces TO '{out}'", "file system operations are disabled"),
        ("EXPLAIN ANALYZE COPY faces TO '{database}.tmp/x.csv'", "file system operations"),
        ("EXPLAIN ANALYZE COPY faces TO '{database}'", "belongs to an attached database"),
        ("EXPLAIN ANALYZE INSERT INTO faces (face_id) VALUES (9)", "read-only mode"),
        ("PRAGMA enable_profiling", "the configuration has been locked"),
        ("PRAGMA force_checkpoint", "the configuration has been locked"),
        ("SELECT * FROM faces JOIN memory.main.nothing USING (face_id)", "does not exist"),
    ],
)
def test_refuses_without_writing(snapshot: Path, sql: str, message: str) -> None:
    folder = snapshot.parent
    sql = sql.format(
        out=folder / "x.csv",
        other=folder / "y.duckdb",
        folder=folder / "export",
        csv=folder / "secret.csv",
        database=snapshot,
    )
    before = _tree(folder)

    with pytest.raises(SandboxError, match=message) as refusal:
        run_sql(snapshot, sql)

    assert "\n" not in str(refusal.value)
    assert _tree(folder) == before
    assert not list(folder.glob("*.wal")) and not (folder / "snapshot.duckdb.tmp").exists()
    assert run_sql(snapshot, VIEW_COUNT).rows == VIEW_ROWS


@pytest.mark.parametrize(
    ("sql", "columns", "rows"),
    [
        (VIEW_COUNT, ("character", "n"), VIEW_ROWS),
        (VIEW_COUNT + ";", ("character", "n"), VIEW_ROWS),
        ("WITH a AS (SELECT 2 AS x) SELECT x * 21 AS y FROM a", ("y",), [(42,)]),
        ("VALUES (1, 'a')", ("col0", "col1"), [(1, "a")]),
        ("FROM faces SELECT max(face_id) AS top", ("top",), [(3,)]),
        ("SELECT 1 AS a, 2 AS a, 3 AS a", ("a", "a_1", "a_2"), [(1, 2, 3)]),
        (
            "SELECT table_name, table_type FROM information_schema.tables ORDER BY 1",
            ("table_name", "table_type"),
            [("character_emotions", "VIEW"), ("faces", "BASE TABLE")],
        ),
        (
            "SELECT database_name, table_name FROM duckdb_tables()",
            ("database_name", "table_name"),
            [("snapshot", "faces")],
        ),
        (
            "SELECT view_name FROM duckdb_views() WHERE NOT internal",
            ("view_name",),
            [("character_emotions",)],
        ),
        (
            "SELECT name, type FROM pragma_table_info('character_emotions')",
            ("name", "type"),
            [("character", "VARCHAR"), ("n", "BIGINT")],
        ),
        (
            "PIVOT faces ON emotion IN ('angry', 'happy') USING count(*) GROUP BY character "
            "ORDER BY character",
            ("character", "angry", "happy"),
            [("bugs", 1, 1), ("daffy", 1, 0)],
        ),
    ],
)
def test_runs_reads(snapshot: Path, sql: str, columns: tuple[str, ...], rows: list) -> None:
    before = _tree(snapshot.parent)

    result = run_sql(snapshot, sql)

    assert (result.columns, result.rows, result.truncated) == (columns, rows, False)
    assert _tree(snapshot.parent) == before


@pytest.mark.parametrize(
    ("sql", "row_count"),
    [
        ("DESCRIBE character_emotions", 2),
        ("SHOW TABLES", 2),
        ("SUMMARIZE faces", 6),
        ("EXPLAIN SELECT * FROM character_emotions", 1),
        ("EXPLAIN ANALYZE SELECT * FROM character_emotions", 1),
        ("PRAGMA table_info('faces')", 6),
        ("PRAGMA show_tables", 2),
    ],
)
def test_runs_describing_reads(snapshot: Path, sql: str, row_count: int) -> None:
    assert len(run_sql(snapshot, sql).rows) == row_count


def test_stops_a_long_query_at_the_time_limit(snapshot: Path) -> None:

    with pytest.raises(SandboxError, match=r"^query stopped after 1 s \(the time limit\)$"):
        run_sql(
            snapshot,
            "SELECT count(*) FROM range(1000000000000)",
            SandboxLimits(time_limit_s=1.0),
        )

    assert run_sql(snapshot, VIEW_COUNT).rows == VIEW_ROWS


def test_a_query_over_the_memory_limit_fails_without_spilling(snapshot: Path) -> None:
    before = _tree(snapshot.parent)

    with pytest.raises(SandboxError) as refusal:
        run_sql(
            snapshot,
            "SELECT count(*) FROM (SELECT * FROM range(10000000) ORDER BY hash(range))",
            SandboxLimits(memory_limit="20MB", threads=1),
        )

    assert str(refusal.value) == (
        "query stopped: it needed more than 20MB of memory (the memory limit); "
        "select fewer rows, shorter lists or aggregate"
    )
    assert _tree(snapshot.parent) == before
    assert not (snapshot.parent / "snapshot.duckdb.tmp").exists()


@pytest.mark.parametrize(
    ("row_count", "max_rows", "expected_rows", "truncated"),
    [
        (0, 5, [], False),
        (5, 5, [(0,), (1,), (2,), (3,), (4,)], False),
        (12, 5, [(0,), (1,), (2,), (3,), (4,)], True),
        (10**9, 2, [(0,), (1,)], True),
    ],
)
def test_caps_rows(
    snapshot: Path, row_count: int, max_rows: int, expected_rows: list, truncated: bool
) -> None:
    result = run_sql(
        snapshot, f"SELECT * FROM range({row_count})", SandboxLimits(max_rows=max_rows)
    )

    assert (result.columns, result.rows, result.truncated) == (("range",), expected_rows, truncated)


def test_to_records_is_json_safe(snapshot: Path) -> None:
    result = run_sql(
        snapshot,
        "SELECT face_id, seen_at, crop, score, seen_at::DATE AS day, "
        "'nan'::DOUBLE AS nan, INTERVAL 90 SECOND AS span, "
        "'00000000-0000-0000-0000-000000000001'::UUID AS id, [1, 2] AS list, "
        "{'x': 1.5} AS struct, MAP([1], ['a']) AS map "
        "FROM faces ORDER BY face_id LIMIT 2",
    )

    records = result.to_records()

    assert json.loads(json.dumps(records, allow_nan=False)) == records
    same_in_both = {
        "day": "2024-01-02",
        "nan": None,
        "span": 90.0,
        "id": "00000000-0000-0000-0000-000000000001",
        "list": [1, 2],
        "struct": {"x": 1.5},
        "map": {"1": "a"},
    }
    assert records == [
        {"face_id": 1, "seen_at": "2024-01-02T03:04:05", "crop": "YWI=", "score": 0.9}
        | same_in_both,
        {"face_id": 2, "seen_at": "2024-01-02T03:04:06", "crop": None, "score": 0.75}
        | same_in_both,
    ]


def test_reads_a_snapshot_another_connection_holds_open(snapshot: Path) -> None:
    # The dashboard keeps its own cached connection; DuckDB refuses a second
    # duckdb.connect() to the same file with another configuration.
    with duckdb.connect(str(snapshot), read_only=True):
        assert run_sql(snapshot, VIEW_COUNT).rows == VIEW_ROWS


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: None, "database file not found: .*nope.duckdb"),
        (lambda path: path.write_text("not a database\n"), "cannot open .*nope.duckdb as a DuckDB"),
        (lambda path: path.write_bytes(b""), "cannot open .*nope.duckdb as a DuckDB"),
        (lambda path: path.mkdir(), "database file not found: .*nope.duckdb"),
    ],
)
def test_refuses_a_missing_or_foreign_file(tmp_path: Path, make, message: str) -> None:
    path = tmp_path / "nope.duckdb"
    make(path)

    with pytest.raises(SandboxError, match=message) as refusal:
        run_sql(path, "SELECT 1")

    assert "\n" not in str(refusal.value)


@pytest.mark.parametrize(
    ("changes", "expectation"),
    [
        ({}, does_not_raise()),
        ({"time_limit_s": 0.0}, pytest.raises(ValueError, match="time_limit_s must be > 0")),
        ({"memory_limit": " "}, pytest.raises(ValueError, match="memory_limit must be a size")),
        ({"max_rows": 0}, pytest.raises(ValueError, match="max_rows must be >= 1")),
        ({"threads": 0}, pytest.raises(ValueError, match="threads must be >= 1")),
        ({"max_bytes": 0}, pytest.raises(ValueError, match="max_bytes must be >= 1")),
    ],
)
def test_limits_are_validated(changes: dict, expectation) -> None:
    with expectation:
        SandboxLimits(**changes)


@pytest.mark.parametrize(
    ("memory_limit", "message"),
    [
        ("lots", r"memory limit 'lots' is not a size such as 1GB or 512MB \(Memory must have"),
        ("1,5GB", r"memory limit '1,5GB' is not a size such as 1GB or 512MB \(Unknown unit"),
    ],
)
def test_a_bad_memory_limit_is_named_in_words(
    snapshot: Path, memory_limit: str, message: str
) -> None:
    limits = SandboxLimits(memory_limit=memory_limit)
    for run in (run_sql, run_sql_apart):
        with pytest.raises(SandboxError, match=f"^{message}") as refusal:
            run(snapshot, "SELECT 1", limits)
        assert "SandboxLimits" not in str(refusal.value) and "\n" not in str(refusal.value)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        # DuckDB adds 'Use "SET max_expression_depth TO x" to increase ...'
        ("SELECT " + "(" * 2000 + "1" + ")" * 2000, "Parser Error: Max expression depth limit of "
         "1000 exceeded."),
        # and 'Use "SET scalar_subquery_error_on_multiple_rows=false" to revert ...'
        ("SELECT (SELECT range FROM range(3))", "Invalid Input Error: More than one row returned "
         "by a subquery used as an expression - scalar subqueries can only return a single row."),
        # a user's text that reads like advice is theirs, kept whole
        ("SELECT 'SET x'::INTEGER", "Conversion Error: Could not convert string 'SET x' to INT32"),
    ],
    ids=["depth", "subquery", "literal"],
)  # fmt: skip
def test_duckdb_advice_to_run_a_refused_statement_is_left_out(
    snapshot: Path, sql: str, message: str
) -> None:
    with pytest.raises(SandboxError) as refusal:
        run_sql(snapshot, sql)
    assert str(refusal.value) == message


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("Pivot column limit of 100 exceeded. Use SET pivot_limit=X to increase the limit.",
         "Pivot column limit of 100 exceeded."),
        ("Division by zero in x. Use TRY(...) to return NULL for this expression, or SET "
         "error_on_division_by_zero=false to return NULL for all.",
         "Division by zero in x. Use TRY(...) to return NULL for this expression."),
        ("reading 'x' requires the httpfs extension, which is not loaded: run `INSTALL AND LOAD "
         "httpfs;` first", "reading 'x' requires the httpfs extension."),
        ("Cannot set 'w=true'; no logger is available. To solve, run: 'SET enable_logging=true;'",
         "Cannot set 'w=true'; no logger is available."),
        ('Persistent secrets are disabled. Restart DuckDB and enable them through '
         '"SET allow_persistent_secrets=true"', "Persistent secrets are disabled."),
        ("Extension could not be autoloaded. Try: INSTALL y; LOAD y;",
         "Extension could not be autoloaded."),
        ('syntax error at or near "SET"', 'syntax error at or near "SET"'),
        ("", ""),
    ],
)  # fmt: skip
def test_without_advice(said: str, kept: str) -> None:
    assert sandbox_checks._without_advice(said) == kept


@pytest.mark.parametrize(
    ("sql", "expectation"),
    [
        ("SELECT 1", does_not_raise()),
        ("SELECT '" + "é" * (MAX_SQL_BYTES // 2 - 10) + "'", does_not_raise()),
        ("SELECT '" + "é" * (MAX_SQL_BYTES // 2) + "'",
         pytest.raises(SandboxError, match=r"^the query is over 1 MB \(the limit for a query's")),
        ("x" * (MAX_SQL_BYTES + 1), pytest.raises(SandboxError, match="^the query is")),
        ("", pytest.raises(SandboxError, match="^no SQL statement given$")),
        (" \n\t", pytest.raises(SandboxError, match="^no SQL statement given$")),
    ],
    ids=["short", "under", "over-in-utf8", "over", "empty", "blank"],
)  # fmt: skip
def test_the_query_text_is_checked_before_it_runs(sql: str, expectation) -> None:
    with expectation:
        assert sandbox_checks.check_sql_text(sql) == sql


def test_a_query_over_the_text_limit_starts_no_child(
    snapshot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a child would fail loudly
    monkeypatch.setattr(sandbox_child, "_CHILD", "import os; os.abort()")
    with pytest.raises(SandboxError, match="^the query is over 1 MB"):
        run_sql_apart(snapshot, "SELECT 1 -- " + "x" * MAX_SQL_BYTES)


@pytest.mark.parametrize(
    ("columns", "rows", "expectation"),
    [
        (("a",), [], does_not_raise()),
        (("a", "a"), [], pytest.raises(ValueError, match="column names must be unique")),
        (("a", "b"), [(1,)], pytest.raises(ValueError, match="every row must have 2 values")),
    ],
)
def test_query_result_is_validated(columns: tuple, rows: list, expectation) -> None:
    with expectation:
        QueryResult(columns=columns, rows=rows, truncated=False, seconds=0.0)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT repeat('x', 10000) AS s FROM range(200)",  # 2 MB of rows, under max_rows
        "SELECT range(1000000) AS l",  # one row, a list of a million numbers
    ],
)
def test_a_result_over_the_size_limit_is_refused(snapshot: Path, sql: str) -> None:
    with pytest.raises(SandboxError, match=r"^the result is over 1 MB \(the size limit\); "):
        run_sql(snapshot, sql, SandboxLimits(max_bytes=2**20))
    small = run_sql(snapshot, "SELECT repeat('x', 10000) AS s FROM range(50)")
    assert (len(small.rows), small.truncated) == (50, False)
    assert run_sql(snapshot, VIEW_COUNT).rows == VIEW_ROWS


# -- run_sql_apart: the same sandbox in a child process, killed past its memory cap ----------

TYPED = (
    "SELECT face_id, seen_at, crop, score, [1, 2] AS list, {'x': 1.5} AS struct "
    "FROM faces ORDER BY face_id"
)


def test_apart_answers_what_run_sql_answers(snapshot: Path) -> None:
    here, apart = run_sql(snapshot, TYPED), run_sql_apart(snapshot, TYPED)
    assert (apart.columns, apart.rows, apart.truncated) == (here.columns, here.rows, False)
    capped = run_sql_apart(snapshot, "SELECT * FROM range(12)", SandboxLimits(max_rows=5))
    assert (len(capped.rows), capped.truncated) == (5, True)


@pytest.mark.parametrize(
    ("sql", "limits", "message"),
    [
        ("COPY faces TO 'x.csv'", SandboxLimits(), "COPY statements are not allowed"),
        ("SELECT * FROM read_csv('secret.csv')", SandboxLimits(), "file system operations"),
        ("SELECT range(1000000) AS l", SandboxLimits(max_bytes=2**20), "over 1 MB"),
        (
            "SELECT count(*) FROM range(1000000000000)",
            SandboxLimits(time_limit_s=1.0),
            "query stopped after 1 s (the time limit)",
        ),
    ],
    ids=["copy", "file", "size", "time"],
)
def test_apart_refuses_what_run_sql_refuses(
    snapshot: Path, sql: str, limits: SandboxLimits, message: str
) -> None:
    before = _tree(snapshot.parent)
    with pytest.raises(SandboxError) as refusal:
        run_sql_apart(snapshot, sql, limits)
    assert message in str(refusal.value) and "\n" not in str(refusal.value)
    assert _tree(snapshot.parent) == before


def test_apart_a_hoarding_query_fails_in_its_own_process(snapshot: Path) -> None:
    """A list built past DuckDB's memory limit: the child is killed at its cap, and this
    process does not grow."""
    Path("/proc/self/clear_refs").write_text("5")  # this process's peak starts again from now
    before = _status_kb("VmRSS")
    hoard, limits = "SELECT range(100000000) AS l", SandboxLimits(process_bytes=2**28)
    with pytest.raises(SandboxError, match=r"^query stopped: it needed more than 256 MB of memory"):
        run_sql_apart(snapshot, hoard, limits)
    assert _status_kb("VmHWM") - before < 50 * 1024
    assert run_sql_apart(snapshot, VIEW_COUNT).rows == VIEW_ROWS


def _status_kb(field: str) -> int:
    lines = Path("/proc/self/status").read_text().splitlines()
    return int(next(line for line in lines if line.startswith(f"{field}:")).split()[1])


def test_apart_a_child_over_its_cap_from_the_start_is_refused(snapshot: Path) -> None:
    with pytest.raises(SandboxError, match=r"^query stopped: it needed more than 1 MB of memory"):
        run_sql_apart(snapshot, "SELECT 1", SandboxLimits(process_bytes=2**20))


@pytest.mark.parametrize(
    ("child", "message"),
    [
        ("import os; os.abort()", "the query's process failed: exit status -6"),
        ("import no_such_module", "No module named 'no_such_module'"),
        ("import os; os.write(1, b'not a pickle'); os.write(2, b'why\\n')", "failed: why"),
    ],
    ids=["abort", "import", "garbage"],
)
def test_apart_a_child_that_fails_is_said_in_one_line(
    snapshot: Path, monkeypatch: pytest.MonkeyPatch, child: str, message: str
) -> None:
    """A child that dies, cannot start or answers nonsense: its last words, not a traceback
    and not a memory message."""
    monkeypatch.setattr(sandbox_child, "_CHILD", child)
    with pytest.raises(SandboxError) as refusal:
        run_sql_apart(snapshot, "SELECT 1")
    assert message in str(refusal.value) and "\n" not in str(refusal.value)


def test_apart_runs_two_queries_at_most(snapshot: Path) -> None:
    held = [sandbox_child._CHILDREN.acquire(timeout=5) for _ in range(2)]
    try:
        assert held == [True, True]
        with pytest.raises(SandboxError, match="^two queries are running already"):
            run_sql_apart(snapshot, "SELECT 1", SandboxLimits(time_limit_s=0.5))
    finally:
        for _ in held:
            sandbox_child._CHILDREN.release()
    assert run_sql_apart(snapshot, "SELECT 1 AS x").rows == [(1,)]
