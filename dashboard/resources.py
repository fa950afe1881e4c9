"""The heavy things a page needs, opened once and shared: the model and the FAISS index are
cached; the DuckDB connection is opened per run, because the indexer publishes a new snapshot
after every episode and each run should see the latest. The SQL page's results are kept on one
shelf for the whole server, within a memory budget, and memory they free is handed back."""

from __future__ import annotations

import ctypes
import gc
import secrets
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import streamlit as st

from dashboard.settings import Settings
from warehouse import reader
from warehouse.sandbox import QueryResult, SandboxLimits
from warehouse.store import FAISS

# The SQL page's results are kept for the whole server, not in each session's state: the
# session of a closed browser lingers in Streamlit (it could be resumed) and is never shut
# down, so a result in its state stayed as long as the server ran (20 results of 60 MB grew
# the server from 0.2 to 1.9 GB). The newest results are kept up to this much memory, one at
# the size limit (and the newest whatever its size); a page whose result was dropped asks for
# the query to be run again.
SQL_RESULTS_BYTES = SandboxLimits().max_bytes
SQL_RESULTS_COUNT = 64  # small results: the recent queries of a few dozen people
# Memory that a result's copies leave behind once freed (its Arrow and protobuf copies, the
# browser's socket buffers when a tab closes) is handed back every RELEASE_EVERY_S seconds, for
# RELEASE_FOR_S seconds after the SQL page last ran.
RELEASE_EVERY_S = 10.0
RELEASE_FOR_S = 600.0


def settings() -> Settings:
    return Settings.from_env()


@contextmanager
def warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the latest published snapshot (a few ms to open)."""
    con = reader.connect(settings().warehouse)
    try:
        yield con
    finally:
        con.close()


def face_index():  # noqa: ANN201  a faiss.IndexIDMap2
    """The published FAISS index, read again only when the indexer has published a new one."""
    path = settings().warehouse / FAISS
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no face index yet (index some episodes first)")
    stat = path.stat()
    return _read_index(str(path), stat.st_mtime_ns, stat.st_size)


@st.cache_resource(max_entries=2, show_spinner="Loading the face index...")
def _read_index(path: str, mtime_ns: int, size: int):  # noqa: ANN202, ARG001  keys the cache
    return reader.face_index(Path(path).parent)


@st.cache_resource(max_entries=2, show_spinner="Loading the model...")
def emotion_model(folder: str):  # noqa: ANN201  a model.store.EmotionModel
    from model.store import EmotionModel  # TensorFlow: only the pages that embed pay for it

    return EmotionModel(Path(folder))


class ResultShelf:
    """The newest query results, each under a key too long to guess, within `max_bytes` of
    Python objects and `max_results` results; the least recently read goes first (never the
    one just put). Safe to share between sessions' threads."""

    def __init__(self, max_bytes: int, max_results: int) -> None:
        if max_bytes < 1 or max_results < 1:
            raise ValueError(f"a shelf needs room, got {max_bytes} bytes, {max_results} results")
        self.max_bytes, self.max_results = max_bytes, max_results
        self._items: OrderedDict[str, tuple[QueryResult, int]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, result: QueryResult) -> str:
        key, size = secrets.token_urlsafe(16), python_bytes(result.rows)
        with self._lock:
            self._items[key] = (result, size)
            total = sum(held for _, held in self._items.values())
            while len(self._items) > 1 and (
                total > self.max_bytes or len(self._items) > self.max_results
            ):
                _, (_, dropped) = self._items.popitem(last=False)
                total -= dropped
        return key

    def get(self, key: str) -> QueryResult | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
        return item[0] if item is not None else None

    def __len__(self) -> int:
        return len(self._items)


def python_bytes(value: object, sample: int = 1000) -> int:
    """About how much memory `value` takes as Python objects, its items included; a long list
    or tuple is judged by its first `sample` items.

    Example:
        >>> python_bytes([("x" * 6000,)] * 10_000) // 2**20  # 10,000 rows of 6,000 characters
        58
    """
    size = sys.getsizeof(value)
    if isinstance(value, list | tuple) and value:
        head = value[:sample]
        size += sum(python_bytes(item, sample) for item in head) * len(value) // len(head)
    elif isinstance(value, dict):
        size += sum(python_bytes(k, sample) + python_bytes(v, sample) for k, v in value.items())
    return size


@st.cache_resource
def sql_results() -> ResultShelf:
    """The SQL page's shelf of results, one for the whole server."""
    return ResultShelf(max_bytes=SQL_RESULTS_BYTES, max_results=SQL_RESULTS_COUNT)


DROPPED = "This result was dropped to make room for newer ones: run the query again."


def result_csv(key: str) -> str:
    """The result on the SQL page's shelf under `key` as CSV text, or why it is not there."""
    result = sql_results().get(key)
    if result is None:
        return DROPPED + "\n"
    return pd.DataFrame.from_records(result.to_records(), columns=list(result.columns)).to_csv(
        index=False
    )


_last_sql_run_s: list[float] = []  # monotonic time of the SQL page's last run, once it ran
_releaser = threading.Lock()


def release_memory_soon() -> None:
    """Hand freed memory back to the system every `RELEASE_EVERY_S` seconds from now until
    `RELEASE_FOR_S` seconds after the last call; one thread does it for the whole server."""
    with _releaser:
        first = not _last_sql_run_s
        _last_sql_run_s[:] = [time.monotonic()]
    if first:
        threading.Thread(target=_release_while_used, name="release-memory", daemon=True).start()


def _release_while_used() -> None:
    released_s = 0.0
    while True:
        time.sleep(RELEASE_EVERY_S)
        last = _last_sql_run_s[0]
        if time.monotonic() - last < RELEASE_FOR_S + RELEASE_EVERY_S:
            release_memory(collect=last > released_s)  # cycles only once per run
            released_s = time.monotonic()


def release_memory(collect: bool = True) -> None:
    """Return the pages that freed objects left in glibc's heap and in pyarrow's pool to the
    system (after collecting cycles, with `collect`): a result's tens of thousands of
    allocations otherwise stay counted against the server's resident memory once freed."""
    if collect:
        gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):  # not glibc: nothing to trim
        pass
