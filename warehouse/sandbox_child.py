"""The SQL sandbox in a child process, killed once its memory passes a cap: ``run_sql_apart``.

``toon sql`` and the dashboard's SQL page run users' queries here rather than in their own
process: DuckDB's memory limit does not cover everything a query can build (one row holding a
list of tens of millions of numbers), so the query runs ``run_sql`` (``warehouse/sandbox.py``)
in a fresh interpreter that the parent watches, and kills past ``limits.process_bytes`` or the
time limit. The answer comes back pickled on the child's own stdout channel.

Example:
    >>> run_sql_apart(Path("snapshot.duckdb"), "SELECT 42 AS answer").rows
    [(42,)]
"""

from __future__ import annotations

import os
import pickle
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb

from warehouse.sandbox import QueryResult, SandboxLimits, out_of_room, run_sql
from warehouse.sandbox_checks import SandboxError, check_sql_text, first_line

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
    "from warehouse.sandbox_child import _child_main; _child_main(answer)"
)


def run_sql_apart(
    database: Path,
    sql: str,
    limits: SandboxLimits = SandboxLimits(),  # noqa: B008  frozen, as in run_sql
) -> QueryResult:
    """``run_sql`` in a child process that is killed once its resident memory passes
    ``limits.process_bytes``: for a server shared by several people, where a query that builds
    gigabytes must fail in its own process (DuckDB's own limit does not cover everything: the
    Arrow buffers of a row holding a list of 20 million numbers took 1.7 GB past it).

    The child is a fresh interpreter (about 0.3 s to start) that loads the sandbox only, and
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
                    stopped = out_of_room(limits)
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
                raise SandboxError(out_of_room(limits)) from None
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
            outcome = ("error", out_of_room(limits))
        else:
            outcome = ("error", f"the query's process failed: {first_line(error)}")
    with os.fdopen(answer_fd, "wb") as answer:
        answer.write(pickle.dumps(outcome))
