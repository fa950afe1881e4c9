"""Writing the warehouse: one episode per transaction, then a read snapshot for everyone else.

DIR/.work/toon.duckdb   the indexer's own database; only the one writing process opens it
DIR/toon.duckdb         the published snapshot readers open (the duckdb CLI, `toon sql`, the
                        dashboard): a copy of the work database, replaced by rename
DIR/faces.faiss         the vectors of the published faces, replaced by rename, with its
                        checksum beside it (faces.faiss.sha256)

Why a snapshot: DuckDB lets one process write a file and locks every other process out of it,
even read-only ones. Readers therefore never open the file the indexer writes; after each
episode the indexer checkpoints, copies its database beside the snapshot, fsyncs and renames it
over the old one. A reader that already has the old file open keeps reading it (the rename
does not touch the open inode); the next one opens the new one. No reader waits, and the
indexer never waits on a reader.

Why nothing published is lost when the disk fills or the folder turns read-only: every new file
is written in full under a `.part` name and fsynced before any rename, so a failed write leaves
the published files as they were; the work database rolls the episode's transaction back. The
error comes out as one StorageError naming the folder.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import duckdb
import numpy as np
import pyarrow as pa

from warehouse import schema, vectors
from warehouse.rows import EpisodeFaces, EpisodeRecord, KnownEpisode, no_faces

SNAPSHOT = "toon.duckdb"
FAISS = "faces.faiss"
WORK = ".work"


class StorageError(ValueError):
    """The warehouse folder would not take a write (disk full, read-only, gone); what was
    published before is untouched."""


def _stage_copy(src: Path, dst: Path) -> tuple[Path, Path]:
    """`src` copied beside `dst` under a temporary name and fsynced: the pair to rename."""
    tmp = vectors.part_path(dst)
    try:
        shutil.copyfile(src, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, dst


def _fsync_dir(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


# The causes a person can act on, as the C library names them; DuckDB and FAISS bury them in
# longer messages.
_CAUSES = tuple(
    os.strerror(e)
    for e in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EIO)
)


def _is_storage(exc: BaseException) -> bool:
    """Whether `exc` is the disk failing, not the data being wrong (a constraint, a type)."""
    if isinstance(exc, OSError | duckdb.IOException | duckdb.FatalException):
        return True
    return isinstance(exc, duckdb.Error) and any(c in str(exc) for c in _CAUSES)


def _why(exc: BaseException) -> str:
    """The cause of an I/O failure, as a person reads it."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc)
    cause = next((c for c in _CAUSES if c in text), None)
    return cause or (text.splitlines()[0] if text else type(exc).__name__)


class Warehouse:
    """The writing side of a warehouse folder; one process at a time.

    Example:
        >>> with Warehouse(Path("wh")) as wh:
        ...     wh.write_episode(record, faces)   # one transaction
        ...     wh.publish()                      # readers see it from now on
    """

    def __init__(self, folder: Path) -> None:
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(f"{folder}: exists and is not a folder")
        self.folder = folder
        self.work_path = folder / WORK / SNAPSHOT
        try:
            (folder / WORK).mkdir(parents=True, exist_ok=True)
            lock = open(folder / WORK / "writer.lock", "a")  # noqa: SIM115  closed in close()
        except OSError as exc:
            raise StorageError(f"{folder}: cannot write here ({_why(exc)})") from None
        # Our own lock, on a file nothing else opens: DuckDB's lock on the database is a POSIX
        # record lock, which the process loses whenever any descriptor of that file is closed
        # (copying the database to publish it is enough), and which does not exclude a second
        # writer in the same process. flock() on its own descriptor has neither weakness.
        self._lock = lock
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise ValueError(f"{folder}: another process is indexing into this warehouse") from None
        try:
            for part in (vectors.part_path(folder / SNAPSHOT), *folder.glob(f"{FAISS}*.part")):
                part.unlink(missing_ok=True)  # a publish cut off
            if not self.work_path.exists() and (folder / SNAPSHOT).exists():
                shutil.copyfile(folder / SNAPSHOT, self.work_path)  # adopt a published one
            self.con = duckdb.connect(str(self.work_path))
        except (duckdb.Error, OSError) as exc:
            self._lock.close()
            raise StorageError(f"{self.work_path}: cannot open ({_why(exc)})") from None
        try:
            if not schema.is_created(self.con):
                schema.create(self.con)
            schema.migrate(self.con)
            self.index = self._load_vectors()
        except (duckdb.Error, OSError) as exc:
            self.close()
            if _is_storage(exc):
                raise StorageError(f"{self.work_path}: cannot write ({_why(exc)})") from exc
            raise

    # -- reading what is there ---------------------------------------------------------------

    def known(self) -> list[KnownEpisode]:
        rows = self.con.execute(
            "SELECT episode_id, path, sha256, status, model_sha256, cascades_sha256, sample_fps, "
            "min_character_confidence FROM episodes ORDER BY episode_id"
        ).fetchall()
        return [KnownEpisode(*r) for r in rows]

    def set_cast(self, characters: tuple[str, ...]) -> None:
        """Record which characters the cascades look for (evaluation owes only their faces)."""
        try:
            self.con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('cast', ?)", [",".join(sorted(characters))]
            )
        except duckdb.Error as exc:
            raise StorageError(f"{self.work_path}: cannot write ({_why(exc)})") from exc

    def face_count(self) -> int:
        return int(self.con.execute("SELECT count(*) FROM faces").fetchone()[0])

    # -- writing -----------------------------------------------------------------------------

    def write_episode(self, record: EpisodeRecord, faces: EpisodeFaces | None = None) -> None:
        """Replace everything stored under `record.episode_id` in one transaction.

        The episode's rows, vectors and thumbnails land together or not at all; the in-memory
        FAISS index follows only once the transaction has committed.
        """
        faces = faces if faces is not None else no_faces()
        if record.status != "indexed" and len(faces):
            raise ValueError(f"episode {record.episode_id}: a failed episode has no faces")
        dim = faces.embedding.shape[1]
        if len(faces) and self.index.ntotal and dim != self.index.d:
            raise ValueError(
                f"episode {record.episode_id}: {dim}-d embeddings, but the warehouse holds "
                f"{self.index.d}-d ones (a different model; index into a new warehouse)"
            )
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            old_ids = self._delete(record.episode_id)
            face_ids = self._take_ids("next_face_id", len(faces))
            track_base = self._take_ids(
                "next_track_id", int(faces.track.max()) + 1 if len(faces) else 0
            )
            con.execute(
                "INSERT INTO episodes VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    record.episode_id,
                    record.title,
                    record.path,
                    record.sha256,
                    record.duration_s,
                    record.fps,
                    record.width,
                    record.height,
                    record.status,
                    record.error,
                    datetime.now(UTC).replace(tzinfo=None),
                    record.frames,
                    record.sample_fps,
                    len(faces.sample_frame),
                    len(faces),
                    record.model_sha256,
                    record.cascades_sha256,
                    record.index_seconds,
                    record.min_character_confidence,
                ],
            )
            if len(faces):
                self._insert_faces(record.episode_id, faces, face_ids, track_base)
                schema.fill_emotion_seconds(con, record.episode_id)
            if len(faces.sample_frame):
                samples = pa.table(
                    {
                        "episode_id": pa.array([record.episode_id] * len(faces.sample_frame)),
                        "frame": pa.array(faces.sample_frame.astype(np.int32)),
                        "time_s": pa.array(faces.sample_time_s.astype(np.float64)),
                    }
                )
                con.register("new_samples", samples)
                con.execute("INSERT INTO samples SELECT * FROM new_samples")
                con.unregister("new_samples")
            con.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(duckdb.Error):  # a database that failed may refuse this too
                con.execute("ROLLBACK")
            if _is_storage(exc):
                raise StorageError(f"{self.work_path}: cannot write ({_why(exc)})") from exc
            raise
        vectors.remove(self.index, old_ids)
        if len(faces) and self.index.ntotal == 0 and self.index.d != faces.embedding.shape[1]:
            self.index = vectors.new_index(faces.embedding.shape[1])
        vectors.add(self.index, face_ids, faces.embedding)
        self._resize_index()

    def _resize_index(self) -> None:
        """Exact search becomes IVF at vectors.IVF_FROM; IVF is trained again, with more lists,
        each time the library has grown vectors.RETRAIN_GROWTH-fold (from the embeddings
        table, which is the truth)."""
        if vectors.outgrown(self.index):
            self.index = rebuild_vectors(self.con, self.index.d)

    def _delete(self, episode_id: str) -> np.ndarray:
        old = self.con.execute(
            "SELECT face_id FROM faces WHERE episode_id = ?", [episode_id]
        ).fetchnumpy()["face_id"]
        old = np.asarray(old, np.int64)
        for table in ("embeddings", "thumbnails"):
            self.con.execute(
                f"DELETE FROM {table} WHERE face_id IN "
                "(SELECT face_id FROM faces WHERE episode_id = ?)",
                [episode_id],
            )
        for table in ("emotion_seconds", "faces", "samples", "episodes"):
            self.con.execute(f"DELETE FROM {table} WHERE episode_id = ?", [episode_id])
        return old

    def _take_ids(self, key: str, n: int) -> np.ndarray:
        """n fresh ids from a counter kept in `meta`: ids are never reused, so a stale FAISS
        file can never point at another face."""
        row = self.con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        start = int(row[0]) if row else 1
        self.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, str(start + n)])
        return np.arange(start, start + n, dtype=np.int64)

    def _insert_faces(
        self, episode_id: str, faces: EpisodeFaces, face_ids: np.ndarray, track_base: np.ndarray
    ) -> None:
        n = len(faces)
        probs = faces.probs.astype(np.float64)
        best = probs.argmax(1)
        xyxy = np.round(faces.xyxy).astype(np.int32)
        columns = {
            "face_id": pa.array(face_ids),
            "episode_id": pa.array([episode_id] * n),
            "time_s": pa.array(faces.time_s.astype(np.float64)),
            "frame": pa.array(faces.frame.astype(np.int32)),
            "character": pa.array([str(c) for c in faces.character]),
            "x1": pa.array(xyxy[:, 0]),
            "y1": pa.array(xyxy[:, 1]),
            "x2": pa.array(xyxy[:, 2]),
            "y2": pa.array(xyxy[:, 3]),
            "emotion": pa.array([schema.EMOTIONS[i] for i in best]),
            "confidence": pa.array(probs[np.arange(n), best]),
            "track_id": pa.array(track_base[0] + faces.track.astype(np.int64)),
        }
        for j, name in enumerate(schema.PROB_COLUMNS):
            columns[name] = pa.array(probs[:, j])
        columns |= {
            "seconds": pa.array(faces.seconds.astype(np.float64)),
            "filled": pa.array(faces.filled.astype(bool)),
            "character_confidence": pa.array(faces.character_confidence.astype(np.float64)),
        }
        emb = np.ascontiguousarray(faces.embedding, np.float32)
        tables = {
            "faces": pa.table(columns),
            "embeddings": pa.table(
                {
                    "face_id": pa.array(face_ids),
                    "vector": pa.ListArray.from_arrays(
                        pa.array(np.arange(0, emb.size + 1, emb.shape[1], dtype=np.int32)),
                        pa.array(emb.ravel()),
                    ),
                }
            ),
            "thumbnails": pa.table(
                {"face_id": pa.array(face_ids), "jpeg": pa.array(faces.thumbnails, pa.binary())}
            ),
        }
        for table, data in tables.items():
            self.con.register("new_rows", data)
            self.con.execute(f"INSERT INTO {table} SELECT * FROM new_rows")
            self.con.unregister("new_rows")

    # -- publishing --------------------------------------------------------------------------

    def publish(self) -> None:
        """Make what is committed visible to readers: vectors first, then the database.

        Both are written in full under temporary names before either is renamed, so a write
        that fails (StorageError) leaves the published pair as it was. Between the two renames
        a reader may find vectors whose faces it cannot see yet; every query joins vectors to
        `faces`, so those are skipped, never shown wrong.
        """
        staged: list[tuple[Path, Path]] = []
        try:
            self.con.execute("FORCE CHECKPOINT")
            staged += vectors.stage(self.index, self.folder / FAISS)
            staged.append(_stage_copy(self.work_path, self.folder / SNAPSHOT))
            for tmp, final in staged:
                os.replace(tmp, final)
            _fsync_dir(self.folder)
        except (duckdb.Error, RuntimeError, OSError) as exc:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
            raise StorageError(f"{self.folder}: cannot publish ({_why(exc)})") from exc

    def rebuild_faiss(self) -> int:
        """Make the FAISS index again from the `embeddings` table and publish it; its size."""
        self.index = rebuild_vectors(self.con)
        self.publish()
        return int(self.index.ntotal)

    def _load_vectors(self):  # noqa: ANN202
        """The published FAISS file when it matches the embeddings table, else a rebuild."""
        ids = np.sort(
            np.asarray(
                self.con.execute("SELECT face_id FROM embeddings").fetchnumpy()["face_id"],
                np.int64,
            )
        )
        path = self.folder / FAISS
        if path.exists():
            try:
                index = vectors.read(path)
                if np.array_equal(np.sort(vectors.ids_of(index)), ids):
                    return index
            except ValueError:
                pass  # damaged: rebuilt below from the warehouse, which is the truth
        return rebuild_vectors(self.con)

    def close(self) -> None:
        with contextlib.suppress(duckdb.Error):  # a database that failed to write may not close
            self.con.close()
        self._lock.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def rebuild_vectors(con: duckdb.DuckDBPyConnection, dim: int | None = None) -> vectors.Index:
    """A FAISS index of every vector in the `embeddings` table, of the kind its size calls for."""
    table = con.sql("SELECT face_id, vector FROM embeddings ORDER BY face_id").to_arrow_table()
    ids = table.column("face_id").to_numpy().astype(np.int64)
    if len(ids):
        flat = table.column("vector").combine_chunks().flatten().to_numpy()
        emb = flat.astype(np.float32).reshape(len(ids), -1)
        return vectors.sized_index(ids, emb, emb.shape[1])
    return vectors.new_index(dim or vectors.EMPTY_DIM)
