"""What the warehouse holds, read as it is stored: the episodes and one episode, its timeline
and the faces of one moment, a face's thumbnail, the overview counts, the `character_emotions`
view and the models that wrote the faces; and the checks that an episode or a character is
there, whose errors list what is.

Each function takes a read-only connection to a published snapshot and returns rows as
dictionaries (column name -> value), the shape `--json` prints (`records`).
"""

from __future__ import annotations

import duckdb


def records(rel: duckdb.DuckDBPyConnection) -> list[dict]:
    """An executed query's rows as dicts (column name -> value), as every reader returns them."""
    names = [d[0] for d in rel.description]
    return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]


def episodes(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every episode the warehouse knows, indexed or failed, by id."""
    return records(
        con.execute(
            "SELECT episode_id, title, path, status, error, duration_s, faces, sample_fps, "
            "indexed_at FROM episodes ORDER BY episode_id"
        )
    )


def episode_exists(con: duckdb.DuckDBPyConnection, episode_id: str) -> None:
    row = con.execute("SELECT status FROM episodes WHERE episode_id = ?", [episode_id]).fetchone()
    if row is None:
        known = [r[0] for r in con.execute("SELECT episode_id FROM episodes ORDER BY 1").fetchall()]
        shown = ", ".join(known[:10]) + (" ..." if len(known) > 10 else "")
        raise ValueError(f"no episode {episode_id!r} in the warehouse (has: {shown or 'none'})")
    if row[0] != "indexed":
        raise ValueError(f"episode {episode_id!r} failed to index; it has no faces")


def check_character(con: duckdb.DuckDBPyConnection, character: str) -> None:
    """Raise unless the warehouse holds faces of `character` (a typo is not "no results")."""
    if con.execute("SELECT 1 FROM faces WHERE character = ? LIMIT 1", [character]).fetchone():
        return
    rows = con.execute("SELECT DISTINCT character FROM faces ORDER BY 1").fetchall()
    known = [r[0] for r in rows]
    raise ValueError(
        f"no faces of character {character!r} in the warehouse (has: {', '.join(known) or 'none'})"
    )


def timeline(con: duckdb.DuckDBPyConnection, episode_id: str) -> list[dict]:
    """Per sampled frame and character, the most confident face's emotion: what the subtitles
    and the dashboard's timeline show. Rows: time_s, seconds, character, emotion, confidence."""
    episode_exists(con, episode_id)
    return records(
        con.execute(
            """
            SELECT time_s, seconds, character, emotion, confidence
            FROM faces WHERE episode_id = ?
            QUALIFY row_number() OVER (PARTITION BY frame, character
                                       ORDER BY confidence DESC, face_id) = 1
            ORDER BY time_s, character""",
            [episode_id],
        )
    )


def thumbnail(con: duckdb.DuckDBPyConnection, face_id: int) -> bytes | None:
    row = con.execute("SELECT jpeg FROM thumbnails WHERE face_id = ?", [face_id]).fetchone()
    return bytes(row[0]) if row else None


def overview(con: duckdb.DuckDBPyConnection) -> dict:
    """What the warehouse holds: episodes indexed and failed, hours of video, faces, characters."""
    row = con.execute(
        """
        SELECT count(*) FILTER (WHERE status = 'indexed'),
               count(*) FILTER (WHERE status = 'failed'),
               coalesce(sum(duration_s) FILTER (WHERE status = 'indexed'), 0),
               (SELECT coalesce(sum(faces), 0)::BIGINT FROM episode_character_emotions),
               (SELECT list(DISTINCT character ORDER BY character)
                FROM episode_character_emotions)
        FROM episodes"""
    ).fetchone()
    return {
        "episodes": row[0],
        "failed": row[1],
        "duration_s": float(row[2]),
        "faces": row[3],
        "characters": list(row[4] or []),
    }


def character_emotions(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The `character_emotions` view: each character's share of screen time per emotion."""
    return records(
        con.execute(
            "SELECT character, emotion, faces, seconds, share FROM character_emotions "
            "ORDER BY character, share DESC, emotion"
        )
    )


def episode(con: duckdb.DuckDBPyConnection, episode_id: str) -> dict:
    """One indexed episode's file and size: what a player needs."""
    episode_exists(con, episode_id)
    return records(
        con.execute(
            "SELECT episode_id, title, path, duration_s, fps, width, height, faces "
            "FROM episodes WHERE episode_id = ?",
            [episode_id],
        )
    )[0]


def faces_at(con: duckdb.DuckDBPyConnection, episode_id: str, time_s: float) -> list[dict]:
    """The faces of the sampled frame nearest `time_s` (the earlier one on a tie); none when
    that frame had none.

    Rows: face_id, time_s, character, emotion, confidence, filled.
    """
    episode_exists(con, episode_id)
    return records(
        con.execute(
            """
            SELECT face_id, time_s, character, emotion, confidence, filled FROM faces
            WHERE episode_id = $1 AND frame = (
                SELECT frame FROM samples WHERE episode_id = $1
                ORDER BY abs(time_s - $2), time_s LIMIT 1)
            ORDER BY character, face_id""",
            [episode_id, time_s],
        )
    )


def models_used(con: duckdb.DuckDBPyConnection) -> set[str]:
    """sha256 of every model that wrote the indexed episodes' faces (one, unless mixed)."""
    return {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT model_sha256 FROM episodes "
            "WHERE status = 'indexed' AND model_sha256 IS NOT NULL"
        ).fetchall()
    }
