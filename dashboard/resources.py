"""The heavy things a page needs, opened once and shared: the model and the FAISS index are
cached; the DuckDB connection is opened per run, because the indexer publishes a new snapshot
after every episode and each run should see the latest."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import streamlit as st

from dashboard.settings import Settings
from warehouse import reader
from warehouse.store import FAISS


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
