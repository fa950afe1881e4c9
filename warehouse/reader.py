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
    """A read-only connection to the latest published snapshot."""
    path = snapshot_path(folder)
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise ValueError(f"{path}: cannot open ({str(exc).splitlines()[0]})") from None


def face_index(folder: Path):  # noqa: ANN201
    """The published FAISS index of face vectors."""
    return vectors.read(folder / FAISS)
