"""The questions users ask, answered once: the `toon` commands and every dashboard page call
these, so an answer cannot differ between them.

Which character or episode shows an emotion most (with a bootstrap interval), which episodes
to watch for a mood or like another, and which faces look like a query. What the warehouse
holds, read as stored, is in `catalog.py`; the faces picked for people to label or to draw
from, in `picks.py`.

Each function takes a read-only connection to a published snapshot and returns rows as
dictionaries (column name -> value), the shape `--json` prints.
"""

from __future__ import annotations

from itertools import groupby
from statistics import NormalDist

import duckdb
import numpy as np

from warehouse import vectors
from warehouse.catalog import check_character, episode_exists, records
from warehouse.schema import EMOTIONS

RANK_BY = ("character", "episode", "character-episode")
# A share's interval: the 95% percentile interval of a bootstrap over tracks (one face through
# one shot; its samples are not independent, the tracks nearly are), with a fixed seed so the
# same warehouse always gives the same interval. Past BOOTSTRAP_MAX_TRACKS tracks in one group
# the normal approximation the bootstrap converges to (a ratio's linearised variance over
# tracks) gives the same interval in a fraction of the time.
INTERVAL = 0.95
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_MAX_TRACKS = 2000


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
    rows = records(con.execute(sql, [emotion, emotion, emotion]))
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
        rows = records(
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
