"""Run one read-only SQL statement from a user against a DuckDB snapshot, within limits.

Each call builds a throwaway DuckDB session and layers four defences:

1. **Read-only snapshot.** The session is an in-memory database that ATTACHes the snapshot
   ``READ_ONLY``; the file's bytes never change and no ``.wal`` is written.
2. **Statement type.** Exactly one statement, and only a read (``SELECT``/``WITH``/``VALUES``/
   ``DESCRIBE``/``SHOW``/``SUMMARIZE``/``PIVOT ... IN (...)``, ``EXPLAIN``, ``PRAGMA``), judged
   by the type DuckDB's own parser gives it, never by matching text (``sandbox_checks.py``).
3. **Locked configuration.** ``enable_external_access=false`` (no files, URLs, ATTACH, INSTALL,
   LOAD), extension autoloading off, ``temp_directory=''`` (no spilling to disk: a query over
   the memory limit fails instead of writing files) and ``lock_configuration=true``, so neither
   ``SET`` nor a setting ``PRAGMA`` can undo any of it.
4. **Limits.** A timer thread calls ``connection.interrupt()`` at the time limit, and at most
   ``max_rows`` rows are fetched, as Arrow batches whose size is counted before any becomes
   Python objects: a result over ``max_bytes`` (one row holding a list of tens of millions of
   numbers, say, which would become gigabytes of Python objects) is refused.

Why not ``duckdb.connect(path, read_only=True, config=...)``: DuckDB caches one instance per
file in a process and refuses a second connection to a file already open with another
configuration (the dashboard's cached connection, say). With external access disabled at
connect time, DuckDB also allows writes under ``<file>.tmp/`` (its default spill directory),
which ``EXPLAIN ANALYZE COPY ... TO '<file>.tmp/x'`` would use; ``temp_directory`` cannot be
cleared once external access is off. So the two lockdown settings are applied with ``SET``
right after the ATTACH, before any user SQL runs on this connection. ``run_sql_apart``
(``sandbox_child.py``) runs ``run_sql`` in a child process killed past a memory cap.

Example:
    >>> result = run_sql(Path("snapshot.duckdb"), "SELECT count(*) AS n FROM faces")
    >>> result.to_records()  # [{'n': 1234}]
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from warehouse.sandbox_checks import SandboxError, check_sql_text, first_line, single_read_statement

# The snapshot's catalogue name inside the session; fixed, so a file named memory.duckdb or
# temp.duckdb cannot collide with DuckDB's own catalogues.
SNAPSHOT_ALIAS = "snapshot"

# Applied after the ATTACH (which needs external access), before any user SQL, in this order.
# The progress bar is off: it draws on stdout, where --json and a child's answer go.
_LOCKDOWN = (
    "SET enable_progress_bar = false",
    "SET enable_external_access = false",
    "SET lock_configuration = true",
)


@dataclass(frozen=True)
class SandboxLimits:
    """How much one user query may use.

    Attributes:
        time_limit_s: Wall-clock seconds before the query is interrupted.
        memory_limit: DuckDB memory limit for the session, e.g. ``"1GB"``.
        max_rows: Rows returned at most; ``QueryResult.truncated`` says when more existed.
        threads: DuckDB worker threads for the session.
        max_bytes: Size of the returned rows at most (as Arrow batches); a larger result is
            refused, not cut.
        process_bytes: Resident memory of the process ``run_sql_apart`` runs a query in;
            past it that process is killed and the query refused.
    """

    # Room for heavy joins and aggregates over a snapshot, while a runaway query cannot
    # hold a dashboard session for long.
    time_limit_s: float = 10.0
    # One query cannot starve the dashboard process; nothing spills to disk past it.
    memory_limit: str = "1GB"
    # More than a page can show, and the JSON stays a few MB.
    max_rows: int = 10_000
    # Two cores keep a query quick without one user taking the whole server.
    threads: int = 2
    # The rows returned, as Arrow holds them; as Python objects they take several times this.
    max_bytes: int = 64 * 2**20
    # The resident memory of a query run apart (run_sql_apart): DuckDB's memory limit, the
    # rows as Python objects and the interpreter (about 110 MB) fit; DuckDB's untracked
    # allocations (one row of 100 million numbers took 6.9 GB past its limit) do not. With
    # `toon sql`'s own process (about 210 MB) and the tens of MB a child grows past the cap
    # before it is stopped, the whole `toon sql` stays under 1.6 GB.
    process_bytes: int = 5 * 2**28

    def __post_init__(self) -> None:
        if not self.time_limit_s > 0:
            raise ValueError(f"time_limit_s must be > 0 seconds, got {self.time_limit_s}")
        if not self.memory_limit.strip():
            raise ValueError("memory_limit must be a size such as '1GB', got an empty string")
        if self.max_rows < 1:
            raise ValueError(f"max_rows must be >= 1, got {self.max_rows}")
        if self.threads < 1:
            raise ValueError(f"threads must be >= 1, got {self.threads}")
        if self.max_bytes < 1:
            raise ValueError(f"max_bytes must be >= 1, got {self.max_bytes}")
        if self.process_bytes < 1:
            raise ValueError(f"process_bytes must be >= 1, got {self.process_bytes}")


@dataclass(frozen=True)
class QueryResult:
    """The rows one sandboxed query returned.

    Attributes:
        columns: Column names, made unique the way DuckDB does (``a``, ``a_1``).
        rows: At most ``max_rows`` rows, each a tuple as wide as ``columns``.
        truncated: True when the query had more rows than ``max_rows``.
        seconds: Wall-clock time to run the query and fetch the rows.
    """

    columns: tuple[str, ...]
    rows: list[tuple] = field(repr=False)
    truncated: bool
    seconds: float

    def __post_init__(self) -> None:
        if len(set(self.columns)) != len(self.columns):
            raise ValueError(f"column names must be unique, got {list(self.columns)}")
        widths = {len(row) for row in self.rows}
        if widths - {len(self.columns)}:
            raise ValueError(
                f"every row must have {len(self.columns)} values, got widths {sorted(widths)}"
            )
        if self.seconds < 0:
            raise ValueError(f"seconds must be >= 0, got {self.seconds}")

    def to_records(self) -> list[dict[str, Any]]:
        """Rows as dicts of JSON-safe values, ready for ``json.dumps``.

        Dates, times and timestamps become ISO 8601 strings, ``Decimal`` a float, an INTERVAL
        its total seconds, a UUID its string, a BLOB its base64 text (lossless, unlike
        dropping it), NaN/infinity ``None``, numpy scalars Python ones, lists and structs
        JSON arrays and objects (MAP keys become strings).

        Returns:
            One ``{column: value}`` dict per row.

        Example:
            >>> QueryResult(("b",), [(b"hi",)], truncated=False, seconds=0.1).to_records()
            [{'b': 'aGk='}]
        """
        return [
            {name: to_json_value(value) for name, value in zip(self.columns, row, strict=True)}
            for row in self.rows
        ]


def run_sql(database: Path, sql: str, limits: SandboxLimits = SandboxLimits()) -> QueryResult:
    """Run one read-only SQL statement against a DuckDB file, within ``limits``.

    Args:
        database: The DuckDB snapshot file; it is opened read-only and never changed.
        sql: Exactly one read statement (a trailing semicolon is fine).
        limits: Time, memory, row and thread limits.

    Returns:
        The columns and at most ``limits.max_rows`` rows.

    Raises:
        SandboxError: The file is missing or not DuckDB, the SQL is empty, longer than
            ``MAX_SQL_BYTES`` or not a single read statement, DuckDB refused or failed it, or
            it ran past the time limit. Its message is one line in a user's words: what was
            refused and why, never DuckDB's advice to change a setting.

    Example:
        >>> run_sql(Path("snapshot.duckdb"), "SELECT 42 AS answer").rows
        [(42,)]
    """
    check_sql_text(sql)
    connection = _open_session(database=database, limits=limits)
    try:
        statement = single_read_statement(connection=connection, sql=sql)
        return _run_within_limits(connection=connection, statement=statement, limits=limits)
    finally:
        connection.close()


def out_of_room(limits: SandboxLimits, size: str | None = None) -> str:
    """What a user reads when a query needed more than the process's memory cap, or than
    ``size`` (DuckDB's own limit, as the limits word it)."""
    return (
        f"query stopped: it needed more than {size or _size(limits.process_bytes)} of memory "
        "(the memory limit); select fewer rows, shorter lists or aggregate"
    )


def _size(n: int) -> str:
    return f"{n / 2**30:g} GB" if n >= 2**30 else f"{n / 2**20:g} MB"


def to_json_value(value: Any) -> Any:
    """One DuckDB value as a JSON-safe Python value (see ``QueryResult.to_records``).

    Example:
        >>> to_json_value(dt.date(2024, 1, 2)), to_json_value(float("nan"))
        ('2024-01-02', None)
    """
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, dt.date | dt.time):  # dt.datetime is a dt.date
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(key): to_json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(item) for item in value]
    return str(value)


def _open_session(database: Path, limits: SandboxLimits) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory session with ``database`` attached read-only and the config locked."""
    if not database.is_file():
        raise SandboxError(f"database file not found: {database}")
    try:
        connection = duckdb.connect(":memory:", config=_session_config(limits))
    except duckdb.Error as error:  # the one setting a caller words: threads is checked above
        raise SandboxError(
            f"memory limit {limits.memory_limit!r} is not a size such as 1GB or 512MB "
            f"({first_line(error, kind=False)})"
        ) from error
    try:
        path = str(database.resolve()).replace("'", "''")
        connection.execute(f"ATTACH '{path}' AS {SNAPSHOT_ALIAS} (READ_ONLY, TYPE duckdb)")
        connection.execute(f"USE {SNAPSHOT_ALIAS}")
        for setting in _LOCKDOWN:
            connection.execute(setting)
    except duckdb.Error as error:
        connection.close()
        raise SandboxError(
            f"cannot open {database} as a DuckDB database: {first_line(error)}"
        ) from error
    return connection


def _session_config(limits: SandboxLimits) -> dict[str, str | int | bool]:
    """Connect-time settings; ``_LOCKDOWN`` adds and locks the rest after the ATTACH."""
    return {
        "memory_limit": limits.memory_limit,
        "threads": limits.threads,
        "temp_directory": "",
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "allow_community_extensions": False,
    }


def _run_within_limits(
    connection: duckdb.DuckDBPyConnection, statement: duckdb.Statement, limits: SandboxLimits
) -> QueryResult:
    """Execute and fetch ``statement``, interrupting it at the time limit."""
    stopped = threading.Event()

    def stop() -> None:
        stopped.set()
        connection.interrupt()

    timer = threading.Timer(limits.time_limit_s, stop)
    timer.daemon = True
    started = time.monotonic()
    timer.start()
    try:
        if statement.type == duckdb.StatementType.SELECT:  # streamed, counted in bytes
            relation = connection.sql(statement.query)
            description = [(name,) for name in relation.columns]
            rows = _fetch(connection, relation, limits)
        else:  # EXPLAIN, PRAGMA: a few rows of text
            cursor = connection.execute(statement)
            description = cursor.description or []
            rows = cursor.fetchmany(limits.max_rows + 1) if description else []
    except duckdb.Error as error:
        if stopped.is_set():
            raise SandboxError(
                f"query stopped after {limits.time_limit_s:g} s (the time limit)"
            ) from error
        if isinstance(error, duckdb.OutOfMemoryException):  # DuckDB's advice: SET threads ...
            raise SandboxError(out_of_room(limits, limits.memory_limit)) from error
        raise SandboxError(first_line(error)) from error
    finally:
        timer.cancel()
        timer.join()  # an interrupt already under way must finish before the close
    return QueryResult(
        columns=_unique_names([column[0] for column in description]),
        rows=rows[: limits.max_rows],
        truncated=len(rows) > limits.max_rows,
        seconds=time.monotonic() - started,
    )


# Rows per Arrow batch while fetching: small enough that the size check comes early.
_BATCH_ROWS = 1024


def _fetch(
    connection: duckdb.DuckDBPyConnection, relation: duckdb.DuckDBPyRelation, limits: SandboxLimits
) -> list[tuple]:
    """Up to ``max_rows + 1`` rows, streamed as Arrow batches and counted in bytes before they
    become Python values (converted by DuckDB itself, in the same session and under its
    limits: the values ``fetchall`` gives)."""
    reader = relation.to_arrow_reader(_BATCH_ROWS)
    batches, rows, size = [], 0, 0
    for batch in reader:
        size += batch.nbytes
        if size > limits.max_bytes:
            raise SandboxError(
                f"the result is over {limits.max_bytes / 2**20:g} MB (the size limit); "
                "select fewer rows or columns, or aggregate"
            )
        batches.append(batch)
        rows += batch.num_rows
        if rows > limits.max_rows:
            break
    table = pa.Table.from_batches(batches, schema=reader.schema).slice(0, limits.max_rows + 1)
    reader.close()  # the rest of the result is not wanted; the session takes the next query
    return connection.from_arrow(table).fetchall()


def _unique_names(names: list[str]) -> tuple[str, ...]:
    """Suffix repeated names as DuckDB does for subqueries: ``a, a, a`` -> ``a, a_1, a_2``."""
    unique: list[str] = []
    for name in names:
        candidate, suffix = name, 0
        while candidate in unique:
            suffix += 1
            candidate = f"{name}_{suffix}"
        unique.append(candidate)
    return tuple(unique)
