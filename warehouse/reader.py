"""Opening the published snapshot for reading: never the file the indexer writes."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse import vectors
from warehouse.store import FAISS, SNAPSHOT


def snapshot_path(folder: Path) -> Path:
    """`DIR/toon.duckdb`, checked to exist; FileNotFoundError says how to make one."""
    path = folder / SNAPSHOT
    if not path.is_file():
        raise FileNotFoundError(
            f"{folder}: no warehouse here (no {SNAPSHOT}; build one with "
            f"`toon index EPISODES --warehouse {folder}`)"
        )
    return path


def connect(folder: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the latest published snapshot.

    The snapshot is attached to a fresh in-memory database rather than opened with
    `duckdb.connect(path)`: DuckDB keeps one instance per path in a process, so a second
    `connect` while an older connection is open would see the old snapshot, not the new one.
    """
    path = snapshot_path(folder)
    con = duckdb.connect()
    quoted = str(path).replace("'", "''")
    try:
        con.execute(f"ATTACH '{quoted}' AS snapshot (READ_ONLY)")
        con.execute("USE snapshot")
    except duckdb.Error as exc:
        con.close()
        raise ValueError(f"{path}: cannot open ({str(exc).splitlines()[0]})") from None
    return con


def face_index(folder: Path):  # noqa: ANN201
    """The published FAISS index of face vectors."""
    return vectors.read(folder / FAISS)
