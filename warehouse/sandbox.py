"""Run one read-only SQL statement from a user against a DuckDB snapshot, within limits.

Each call builds a throwaway DuckDB session and layers four defences:

1. **Read-only snapshot.** The session is an in-memory database that ATTACHes the snapshot
   ``READ_ONLY``; the file's bytes never change and no ``.wal`` is written.
2. **Statement type.** Exactly one statement, and only a read (``SELECT``/``WITH``/``VALUES``/
   ``DESCRIBE``/``SHOW``/``SUMMARIZE``/``PIVOT ... IN (...)``, ``EXPLAIN``, ``PRAGMA``), judged
   by the type DuckDB's own parser gives it, never by matching text.
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
right after the ATTACH, before any user SQL runs on this connection.

Example:
    >>> result = run_sql(Path("snapshot.duckdb"), "SELECT count(*) AS n FROM faces")
    >>> result.to_records()  # [{'n': 1234}]
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import os
import pickle
import re
import resource
import signal
import subprocess
import sys
import tempfile
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

# The snapshot's catalogue name inside the session; fixed, so a file named memory.duckdb or
# temp.duckdb cannot collide with DuckDB's own catalogues.
SNAPSHOT_ALIAS = "snapshot"

# SELECT covers WITH, VALUES, FROM-first, DESCRIBE, SHOW, SUMMARIZE and PIVOT with an IN list.
# EXPLAIN ANALYZE runs its inner statement, but layers 1 and 3 leave it nothing to write.
# A PRAGMA that changes a setting is stopped by lock_configuration.
_READ_STATEMENTS = frozenset(
    {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN, duckdb.StatementType.PRAGMA}
)
_READ_STATEMENT_NAMES = "SELECT, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, PRAGMA"

# DuckDB gives some statements another's type: INSTALL is a LOAD, RESET and USE are SETs,
# CHECKPOINT is a CALL. A refusal names such a statement by the word it starts with. MULTI is
# what DuckDB makes of a PIVOT without an IN list (it creates an ENUM first), and it can wrap
# any statement (COPY (PIVOT ...) TO, CREATE TABLE AS PIVOT ...): named by its first word too.
_KINDS = {
    duckdb.StatementType.LOAD: {"INSTALL": "INSTALL", "FORCE": "INSTALL"},
    duckdb.StatementType.SET: {"RESET": "RESET", "USE": "USE"},
    duckdb.StatementType.CALL: {"CHECKPOINT": "CHECKPOINT", "FORCE": "CHECKPOINT"},
}
# The first word of a statement, after any comments.
_FIRST_WORD = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*([A-Za-z]+)", re.DOTALL)

# A query's text at most, in UTF-8 bytes: a longer one was generated, not written, and DuckDB
# would spend seconds parsing it. Queries of a few hundred KB (long IN lists) fit.
MAX_SQL_BYTES = 2**20
QUERY_TOO_LONG = f"the query is over {MAX_SQL_BYTES // 2**20} MB (the limit for a query's text)"

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


class SandboxError(ValueError):
    """A user's query was refused or failed; the message is one line, fit to show them."""


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
        statement = _single_read_statement(connection=connection, sql=sql)
        return _run_within_limits(connection=connection, statement=statement, limits=limits)
    finally:
        connection.close()


# Seconds a child gets beyond the time limit to start (Python and DuckDB) and to answer.
_GRACE_S = 5.0
# How often the parent looks at the child's memory. DuckDB grew an untracked list by over
# 1 GB a second on a 2-core machine: the child overshoots the cap by a few tens of MB.
_WATCH_S = 0.01
# Children at once: a server shared by several people holds at most this many caps of memory.
_CHILDREN = threading.BoundedSemaphore(2)

# The child: its stdout kept as the answer's own channel and pointed at stderr before anything
# is imported (nothing else can write there), then (database, sql, limits) read from stdin.
_CHILD = (
    "import os; answer = os.dup(1); os.dup2(2, 1); "
    "from warehouse.sandbox import _child_main; _child_main(answer)"
)


def run_sql_apart(database: Path, sql: str, limits: SandboxLimits = SandboxLimits()) -> QueryResult:
    """``run_sql`` in a child process that is killed once its resident memory passes
    ``limits.process_bytes``: for a server shared by several people, where a query that builds
    gigabytes must fail in its own process (DuckDB's own limit does not cover everything: the
    Arrow buffers of a row holding a list of 20 million numbers took 1.7 GB past it).

    The child is a fresh interpreter (about 0.3 s to start) that loads this module only, and
    is killed if it has not answered by the time limit plus ``_GRACE_S``; at most two run at
    once. The rows come back as Python objects: a result under ``max_bytes`` of Arrow can take
    several times that here. Raises SandboxError as ``run_sql`` does, and when the child used
    too much memory or failed.
    """
    check_sql_text(sql)  # before a child starts and the text is copied to it
    if not _CHILDREN.acquire(timeout=limits.time_limit_s):
        raise SandboxError("two queries are running already; run it again in a moment")
    try:
        return _run_apart(database, sql, limits)
    finally:
        _CHILDREN.release()


def check_sql_text(sql: str) -> str:
    """``sql`` when it holds something and is at most ``MAX_SQL_BYTES`` long, else a
    SandboxError saying which."""
    if len(sql) > MAX_SQL_BYTES or len(sql.encode("utf-8", "surrogatepass")) > MAX_SQL_BYTES:
        raise SandboxError(QUERY_TOO_LONG)
    if not sql.strip():
        raise SandboxError("no SQL statement given")
    return sql


def _run_apart(database: Path, sql: str, limits: SandboxLimits) -> QueryResult:
    with tempfile.TemporaryFile() as errors:
        try:
            child = subprocess.Popen(
                [sys.executable, "-P", "-c", _CHILD],  # -P: not the caller's folder on the path
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
            )
        except OSError as error:
            raise SandboxError(f"cannot start the query's process ({error.strerror})") from None
        payload = pickle.dumps((database, sql, limits))
        answer: list[bytes] = []
        talk = threading.Thread(
            target=lambda: answer.append(child.communicate(payload)[0]), daemon=True
        )
        talk.start()
        deadline = time.monotonic() + limits.time_limit_s + _GRACE_S
        stopped = None
        try:
            while talk.is_alive() and stopped is None:
                talk.join(_WATCH_S)
                if _resident_bytes(child.pid) > limits.process_bytes:
                    stopped = _out_of_room(limits)
                elif time.monotonic() > deadline:
                    stopped = f"query stopped after {limits.time_limit_s:g} s (the time limit)"
        finally:
            child.kill()
            talk.join()
        if stopped is not None:
            raise SandboxError(stopped)
        try:
            kind, value = pickle.loads(answer[0])
        except (IndexError, EOFError, pickle.UnpicklingError):  # no whole answer: it died
            if child.returncode == -signal.SIGKILL:  # the kernel's OOM killer
                raise SandboxError(_out_of_room(limits)) from None
            errors.seek(0)
            said = [line for line in errors.read().decode(errors="replace").splitlines() if line]
            why = said[-1] if said else f"exit status {child.returncode}"
            raise SandboxError(f"the query's process failed: {why}") from None
    if kind == "error":
        raise SandboxError(value)
    return value


def _resident_bytes(pid: int) -> int:
    """The resident memory of a live child; 0 once it has exited."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0


def _out_of_room(limits: SandboxLimits, size: str | None = None) -> str:
    """What a user reads when a query needed more than the process's memory cap, or than
    ``size`` (DuckDB's own limit, as the limits word it)."""
    return (
        f"query stopped: it needed more than {size or _size(limits.process_bytes)} of memory "
        "(the memory limit); select fewer rows, shorter lists or aggregate"
    )


def _size(n: int) -> str:
    return f"{n / 2**30:g} GB" if n >= 2**30 else f"{n / 2**20:g} MB"


_NO_ROOM = (MemoryError, duckdb.OutOfMemoryException)


def _child_main(answer_fd: int) -> None:
    """The child's side of run_sql_apart: run, and write the outcome to ``answer_fd``."""
    database, sql, limits = pickle.load(sys.stdin.buffer)
    try:
        outcome = ("ok", run_sql(database, sql, limits))
    except SandboxError as error:
        outcome = ("error", str(error))
    except Exception as error:  # noqa: BLE001  said in one line, as a refusal would be
        if isinstance(error, MemoryError) or isinstance(error.__cause__, _NO_ROOM):
            outcome = ("error", _out_of_room(limits))
        else:
            outcome = ("error", f"the query's process failed: {_first_line(error)}")
    with os.fdopen(answer_fd, "wb") as answer:
        answer.write(pickle.dumps(outcome))


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
            f"({_first_line(error, kind=False)})"
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
            f"cannot open {database} as a DuckDB database: {_first_line(error)}"
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


def _single_read_statement(connection: duckdb.DuckDBPyConnection, sql: str) -> duckdb.Statement:
    """The one parsed statement in ``sql``, if it is a read; else a SandboxError."""
    try:
        statements = connection.extract_statements(sql)
    except duckdb.Error as error:
        raise SandboxError(_first_line(error)) from error
    if not statements:
        raise SandboxError("no SQL statement given")
    if len(statements) > 1:
        raise SandboxError(f"exactly one SQL statement is allowed, got {len(statements)}")
    statement = statements[0]
    try:
        kind = statement.type
    except ValueError:  # a type this DuckDB's Python enum lacks (UPDATE EXTENSIONS: 29)
        kind = None
    if kind not in _READ_STATEMENTS:
        raise SandboxError(_refusal(statement.query, kind))
    return statement


def _refusal(query: str, kind: duckdb.StatementType | None) -> str:
    """Why a statement that is not a read is refused, naming it as its user wrote it
    (INSTALL, RESET) where DuckDB's type lumps it with others (LOAD, SET)."""
    first = _FIRST_WORD.match(query)
    word = first.group(1).upper() if first else ""
    if kind == duckdb.StatementType.MULTI and word == "PIVOT":
        return (
            "a PIVOT without an IN list is not allowed (DuckDB would create a type for it); "
            "give PIVOT its values: PIVOT t ON col IN ('a', 'b') USING ..."
        )
    if kind == duckdb.StatementType.MULTI or kind is None:  # MULTI wraps any statement
        name = word or "this"
    else:
        name = _KINDS.get(kind, {}).get(word, kind.name)
    hint = "; call a table function as SELECT * FROM fn(...)" if name == "CALL" else ""
    return f"{name} statements are not allowed, only reads ({_READ_STATEMENT_NAMES}){hint}"


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
            raise SandboxError(_out_of_room(limits, limits.memory_limit)) from error
        raise SandboxError(_first_line(error)) from error
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


def _first_line(error: Exception, kind: bool = True) -> str:
    """DuckDB's message without the caret diagram or hints that follow its first line, and
    without advice on that line to run a statement the sandbox refuses. ``kind=False`` drops
    DuckDB's "Parser Error: " and the like in front."""
    lines = str(error).strip().splitlines()
    if not lines:
        return type(error).__name__
    prefix = _ERROR_KIND.match(lines[0])
    said = _without_advice(lines[0][prefix.end() :] if prefix else lines[0])
    return f"{prefix.group(0)}{said}" if prefix and kind else said


# "Parser Error: ", "Invalid Input Error: ": the kind of error DuckDB puts in front.
_ERROR_KIND = re.compile(r"^[A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)* Error: ")
# DuckDB's advice to change a setting or to install or load an extension ('Use "SET
# max_expression_depth TO x" to increase ...'): statements the sandbox refuses.
_ADVICE = re.compile(r"[`'\"]?\b(?:SET|RESET|PRAGMA|INSTALL|LOAD)\s+\S")
_CLAUSE_END = re.compile(r"[:;,]\s+|\s+-\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _without_advice(said: str) -> str:
    """``said`` up to DuckDB's first advice to run a refused statement: the sentence that gives
    it goes, or all but its first clause when that says something ("... requires the httpfs
    extension, which is not loaded: run `INSTALL ...` first" keeps "... extension."). A
    message that is advice from its first word (or a user's text that looks like it) is kept
    whole."""
    kept = []
    for sentence in _SENTENCE_END.split(said):
        advice = _ADVICE.search(sentence)
        if advice is None:
            kept.append(sentence)
            continue
        clause = _CLAUSE_END.search(sentence, 0, advice.start())
        head = sentence[: clause.start()].strip() if clause else ""
        if len(head.split()) >= 3:  # "Use TRY(...) to return NULL", not "To solve"
            kept.append(head.rstrip(".") + ".")
        break
    return " ".join(kept) or said
