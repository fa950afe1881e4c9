"""Faces picked for a person to look at: the ones worth a human label (the least certain, or
the most informative for the Label page) and reference faces for animators.

Each function takes a read-only connection to a published snapshot. Only faces found by a
cascade in an indexed episode are picked, never ones filled into a gap of a track.
"""

from __future__ import annotations

import duckdb
import numpy as np

from warehouse.catalog import records

# Two faces whose embeddings are closer than this (cosine) are the same reference; the less
# confident one is left out. Consecutive samples of one track are near 1.0.
REFERENCE_MAX_SIMILARITY = 0.97


# The faces a person may label: found by a cascade (not by gap filling) in an indexed episode,
# and not among the face ids bound to the first parameter (those labelled already).
_TO_LABEL = """
    SELECT f.face_id, f.episode_id, f.track_id, f.time_s, f.character, f.emotion, f.confidence
    FROM faces f JOIN episodes e USING (episode_id)
    WHERE e.status = 'indexed' AND NOT f.filled
      AND f.face_id NOT IN (SELECT unnest(?::BIGINT[]))"""


def least_certain(
    con: duckdb.DuckDBPyConnection, limit: int, skip: list[int] | None = None
) -> list[dict]:
    """Faces the model was least sure of (lowest emotion confidence), found by a cascade, not
    by gap filling: the ones most worth a human label. `skip` holds face ids already labelled.

    Rows: face_id, episode_id, time_s, character, emotion, confidence.
    """
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    return records(
        con.execute(
            f"""
            SELECT face_id, episode_id, time_s, character, emotion, confidence
            FROM ({_TO_LABEL})
            ORDER BY confidence, face_id
            LIMIT ?""",
            [list(skip or []), limit],
        )
    )


def most_informative(
    con: duckdb.DuckDBPyConnection, limit: int, skip: list[int] | None = None
) -> list[dict]:
    """The faces whose labels teach the model most, for the Label page: the least certain face
    of each track first (the other faces of a track mostly repeat it), taking turns over
    (character, emotion the model says), so that one character's doubtful moods do not fill
    the page; then the second least certain face of each track, and so on. Within a turn, the
    least certain first. Found by a cascade, not by gap filling; `skip` holds face ids already
    labelled. Every unlabelled face comes up in the end.

    Rows: face_id, episode_id, time_s, character, emotion, confidence.
    """
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    return records(
        con.execute(
            f"""
            WITH pool AS ({_TO_LABEL}), ranked AS (
                SELECT *, row_number() OVER (
                    PARTITION BY episode_id, coalesce(track_id, -face_id)
                    ORDER BY confidence, face_id) AS in_track
                FROM pool
            ), turns AS (
                SELECT *, row_number() OVER (
                    PARTITION BY in_track, character, emotion
                    ORDER BY confidence, face_id) AS turn
                FROM ranked
            )
            SELECT face_id, episode_id, time_s, character, emotion, confidence
            FROM turns
            ORDER BY in_track, turn, confidence, face_id
            LIMIT ?""",
            [list(skip or []), limit],
        )
    )


def reference_faces(
    con: duckdb.DuckDBPyConnection, per: int
) -> dict[tuple[str, str], list[tuple[int, bytes]]]:
    """Reference faces for animators: (character, emotion) -> up to `per` (face_id, jpeg), most
    confident first, found by a cascade (not gap filling), no two from the same track and no two
    more alike than REFERENCE_MAX_SIMILARITY."""
    if per < 1:
        raise ValueError(f"per must be >= 1, got {per}")
    rows = con.execute(
        """
        SELECT f.character, f.emotion, f.face_id, f.track_id, e.vector, t.jpeg
        FROM faces f JOIN embeddings e USING (face_id) JOIN thumbnails t USING (face_id)
        JOIN episodes ep USING (episode_id)
        WHERE ep.status = 'indexed' AND NOT f.filled
        ORDER BY f.character, f.emotion, f.confidence DESC, f.face_id"""
    ).fetchall()
    chosen: dict[tuple[str, str], list] = {}
    for character, emotion, face_id, track, vector, jpeg in rows:
        mine = chosen.setdefault((character, emotion), [])
        if len(mine) >= per:
            continue
        v = np.asarray(vector, np.float32)
        if any(t == track or float(v @ w) > REFERENCE_MAX_SIMILARITY for _, _, t, w in mine):
            continue
        mine.append((face_id, bytes(jpeg), track, v))
    return {k: [(f, j) for f, j, _, _ in v] for k, v in chosen.items()}
