"""The questions users ask, answered once: the `toon` commands and every dashboard page call
these, so an answer cannot differ between them.

Each function takes a read-only connection to a published snapshot and returns rows as
dictionaries (column name -> value), the shape `--json` prints.
"""

from __future__ import annotations

from itertools import groupby
from statistics import NormalDist

import duckdb
import numpy as np

from warehouse import vectors
from warehouse.schema import EMOTIONS

RANK_BY = ("character", "episode", "character-episode")
# Two faces whose embeddings are closer than this (cosine) are the same reference; the less
# confident one is left out. Consecutive samples of one track are near 1.0.
REFERENCE_MAX_SIMILARITY = 0.97
# A share's interval: the 95% percentile interval of a bootstrap over tracks (one face through
# one shot; its samples are not independent, the tracks nearly are), with a fixed seed so the
# same warehouse always gives the same interval. Past BOOTSTRAP_MAX_TRACKS tracks in one group
# the normal approximation the bootstrap converges to (a ratio's linearised variance over
# tracks) gives the same interval in a fraction of the time.
INTERVAL = 0.95
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_MAX_TRACKS = 2000


def _records(rel: duckdb.DuckDBPyConnection) -> list[dict]:
    names = [d[0] for d in rel.description]
    return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]


def check_emotion(emotion: str) -> str:
    if emotion not in EMOTIONS:
        raise ValueError(f"Unknown emotion {emotion!r}. Choose one of: {', '.join(EMOTIONS)}")
    return emotion


def rank(
    con: duckdb.DuckDBPyConnection, emotion: str, by: str = "character", interval: bool = False
) -> list[dict]:
    """Who (or which episode) shows `emotion` for the largest share of their screen time.

    `share` is the emotion's seconds over all seconds of faces in the group (`total_seconds`,
    what the share rests on); ties keep a stable order by name. With `interval`, each row also
    has `share_low` and `share_high` (see `INTERVAL`; None where the group has fewer than two
    tracks) and `tracks`.
    """
    check_emotion(emotion)
    if by not in RANK_BY:
        raise ValueError(f"Unknown grouping {by!r}. Choose one of: {', '.join(RANK_BY)}")
    keys = {
        "character": ("character",),
        "episode": ("episode_id",),
        "character-episode": ("character", "episode_id"),
    }[by]
    group = ", ".join(f"v.{k}" for k in keys)
    by_episode = "episode_id" in keys
    title = ", any_value(e.title) AS title" if by_episode else ""
    # the view adds up each episode's few emotion_seconds rows, not every face; it keeps indexed
    # episodes only, so `episodes` is joined again just for the titles
    join = " JOIN episodes e USING (episode_id)" if by_episode else ""
    sql = f"""
        SELECT {group}{title},
               coalesce(sum(v.seconds) FILTER (WHERE v.emotion = ?), 0) / sum(v.seconds)
                   AS share,
               coalesce(sum(v.seconds) FILTER (WHERE v.emotion = ?), 0) AS seconds,
               sum(v.seconds) AS total_seconds,
               coalesce(sum(v.faces) FILTER (WHERE v.emotion = ?), 0)::BIGINT AS faces
        FROM episode_character_emotions v{join}
        GROUP BY {group}
        ORDER BY share DESC, {group}"""
    rows = _records(con.execute(sql, [emotion, emotion, emotion]))
    for n, row in enumerate(rows, start=1):
        row["rank"] = n
        row["emotion"] = emotion
    if interval:
        found = share_intervals(con, emotion, keys)
        for row in rows:
            row["share_low"], row["share_high"], row["tracks"] = found.get(
                tuple(row[k] for k in keys), (None, None, 0)
            )
    return rows


def share_intervals(
    con: duckdb.DuckDBPyConnection, emotion: str, keys: tuple[str, ...]
) -> dict[tuple, tuple[float | None, float | None, int]]:
    """Per group of `keys`: (low, high, tracks) of `emotion`'s share, bootstrapped over tracks."""
    group = ", ".join(f"f.{k}" for k in keys)
    # tracks in a fixed order, so that the seeded bootstrap draws the same tracks on every call
    per_track = con.execute(
        f"""
        SELECT {group}, sum(f.seconds) AS total,
               coalesce(sum(f.seconds) FILTER (WHERE f.emotion = ?), 0) AS shown
        FROM faces f JOIN episodes e USING (episode_id)
        WHERE e.status = 'indexed'
        GROUP BY {group}, f.episode_id, f.track_id
        ORDER BY {group}, f.episode_id, f.track_id""",
        [check_emotion(emotion)],
    ).fetchnumpy()
    names = [np.asarray(per_track[k], dtype=object) for k in keys]
    total = np.asarray(per_track["total"], np.float64)
    shown = np.asarray(per_track["shown"], np.float64)
    key = list(zip(*names, strict=True))
    out: dict[tuple, tuple[float | None, float | None, int]] = {}
    for k, rows in groupby(range(len(key)), key=key.__getitem__):
        at = np.fromiter(rows, np.int64)
        # a generator per group: one group's interval does not move when another is added
        out[k] = (*_interval(shown[at], total[at], np.random.default_rng(0)), len(at))
    return out


def _interval(
    shown: np.ndarray, total: np.ndarray, rng: np.random.Generator
) -> tuple[float | None, float | None]:
    """The `INTERVAL` interval of sum(shown) / sum(total) over resampled tracks."""
    n = len(total)
    if n < 2 or total.sum() <= 0:
        return None, None
    tail = (1 - INTERVAL) / 2
    if n <= BOOTSTRAP_MAX_TRACKS:
        counts = rng.multinomial(n, np.full(n, 1 / n), size=BOOTSTRAP_RESAMPLES)
        t = counts @ total
        shares = np.divide(counts @ shown, t, out=np.zeros(len(t)), where=t > 0)
        low, high = np.quantile(shares, [tail, 1 - tail])
    else:
        r = shown.sum() / total.sum()
        se = np.sqrt(((shown - r * total) ** 2).sum() * n / (n - 1)) / total.sum()
        z = NormalDist().inv_cdf(1 - tail)
        low, high = max(r - z * se, 0.0), min(r + z * se, 1.0)
    return float(low), float(high)


def episodes(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every episode the warehouse knows, indexed or failed, by id."""
    return _records(
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
    return _records(
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


def recommend_like(con: duckdb.DuckDBPyConnection, episode_id: str, k: int = 10) -> list[dict]:
    """Episodes whose emotional profile is nearest to `episode_id`'s.

    A profile is the share of screen time of each (character, emotion) pair; the distance is
    Euclidean between profiles (0 = the same mix of emotions). An episode in which no face was
    seen has no profile: it is never recommended, and asking for episodes like it is an error.
    """
    episode_exists(con, episode_id)
    ids, profiles, titles = _profiles(con)
    seen = profiles.sum(1) > 0
    mine = ids.index(episode_id)
    if not seen[mine]:
        raise ValueError(
            f"episode {episode_id!r} has no faces, so no mix of emotions to compare with others"
        )
    dist = np.sqrt(((profiles - profiles[mine]) ** 2).sum(1))
    order = [i for i in np.argsort(dist, kind="stable") if i != mine and seen[i]][:k]
    return [
        {"episode_id": ids[i], "title": titles[i], "distance": float(dist[i]), "rank": n}
        for n, i in enumerate(order, start=1)
    ]


def recommend_mood(
    con: duckdb.DuckDBPyConnection, emotion: str, character: str | None = None, k: int = 10
) -> list[dict]:
    """Episodes that best fit a mood: the largest share of screen time in `emotion`, over all
    characters or over one. An episode with no faces (of that character) is never among them."""
    check_emotion(emotion)
    if character is not None:
        check_character(con, character)
    rows = [
        r
        for r in rank(con, emotion, "character-episode" if character else "episode")
        if (character is None or r["character"] == character) and r["total_seconds"]
    ][:k]
    return [
        {
            "episode_id": r["episode_id"],
            "title": r["title"],
            "share": r["share"],
            "seconds": r["seconds"],
            "rank": n,
        }
        for n, r in enumerate(rows, start=1)
    ]


def _profiles(con: duckdb.DuckDBPyConnection) -> tuple[list[str], np.ndarray, list[str]]:
    rows = con.execute(
        """
        SELECT e.episode_id, e.title, v.character, v.emotion, v.seconds
        FROM episodes e LEFT JOIN episode_character_emotions v USING (episode_id)
        WHERE e.status = 'indexed' ORDER BY e.episode_id"""
    ).fetchall()
    ids = sorted({r[0] for r in rows})
    titles = {r[0]: r[1] for r in rows}
    pairs = sorted({(r[2], r[3]) for r in rows if r[2] is not None})
    col = {p: j for j, p in enumerate(pairs)}
    row = {e: i for i, e in enumerate(ids)}
    seconds = np.zeros((len(ids), len(pairs)))
    for episode_id, _, character, emotion, s in rows:
        if character is not None:
            seconds[row[episode_id], col[(character, emotion)]] = s
    total = seconds.sum(1, keepdims=True)
    return ids, seconds / np.maximum(total, 1e-9), [titles[i] for i in ids]


def similar(
    con: duckdb.DuckDBPyConnection,
    index: vectors.Index,  # exact or IVF, as warehouse.vectors sizes it
    query: np.ndarray,
    k: int = 10,
    character: str | None = None,
) -> list[dict]:
    """The `k` faces nearest to a (D,) query vector, optionally of one character.

    Vectors whose face the snapshot does not hold (published a moment before it) are skipped.
    Rows: face_id, episode_id, time_s, frame, character, emotion, confidence, x1..y2, score.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if query.shape[-1] != index.d:
        raise ValueError(f"query has {query.shape[-1]} dimensions, the index {index.d}")
    fetch = k
    while True:
        ids, scores = vectors.search(index, query, fetch)[0]
        score_of = dict(zip(ids.tolist(), scores.tolist(), strict=True))
        rows = _records(
            con.execute(
                """
                SELECT face_id, episode_id, time_s, frame, character, emotion, confidence,
                       x1, y1, x2, y2
                FROM faces WHERE face_id IN (SELECT unnest(?::BIGINT[]))
                  AND (? IS NULL OR character = ?)""",
                [ids.tolist(), character, character],
            )
        )
        # enough rows, every vector seen, or an IVF index that had no more to give
        if len(rows) >= k or fetch >= index.ntotal or len(ids) < fetch:
            break
        fetch = min(fetch * 4, index.ntotal)
    for r in rows:
        r["score"] = score_of[r["face_id"]]
    rows.sort(key=lambda r: (-r["score"], r["face_id"]))
    return rows[:k]


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
    return _records(
        con.execute(
            "SELECT character, emotion, faces, seconds, share FROM character_emotions "
            "ORDER BY character, share DESC, emotion"
        )
    )


def episode(con: duckdb.DuckDBPyConnection, episode_id: str) -> dict:
    """One indexed episode's file and size: what a player needs."""
    episode_exists(con, episode_id)
    return _records(
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
    return _records(
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
    return _records(
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
    return _records(
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


def models_used(con: duckdb.DuckDBPyConnection) -> set[str]:
    """sha256 of every model that wrote the indexed episodes' faces (one, unless mixed)."""
    return {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT model_sha256 FROM episodes "
            "WHERE status = 'indexed' AND model_sha256 IS NOT NULL"
        ).fetchall()
    }
