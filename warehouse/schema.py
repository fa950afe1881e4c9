"""The warehouse contract: tables and views users write SQL against (see warehouse/README.md).

Plain DDL, applied to a fresh database by `create`. Column names are a contract: add columns,
never rename or drop them.
"""

from __future__ import annotations

import contextlib

import duckdb

from core.vocabulary import EMOTIONS  # a probability column each, in this order

PROB_COLUMNS = tuple(f"p_{e}" for e in EMOTIONS)
SCHEMA_VERSION = 3  # 2: emotion_seconds, and the views read it; 3: the confidence floor

EPISODES = """
CREATE TABLE episodes (
    episode_id VARCHAR PRIMARY KEY,   -- the file's stem, made unique
    title VARCHAR,
    path VARCHAR NOT NULL,            -- absolute path when indexed
    sha256 VARCHAR,                   -- of the file's bytes
    duration_s DOUBLE,                -- last decoded timestamp + one frame
    fps DOUBLE,                       -- the container's nominal rate
    width INTEGER,
    height INTEGER,
    status VARCHAR NOT NULL,          -- 'indexed' or 'failed'
    error VARCHAR,                    -- why it failed, NULL when indexed
    indexed_at TIMESTAMP NOT NULL,
    frames INTEGER,                   -- frames decoded
    sample_fps DOUBLE,                -- frames looked at per second of video
    sampled_frames INTEGER,
    faces INTEGER,
    model_sha256 VARCHAR,             -- which model and cascade set wrote the rows
    cascades_sha256 VARCHAR,
    index_seconds DOUBLE,             -- wall time of the pass
    min_character_confidence DOUBLE   -- the character head's floor a track had to reach
)"""

FACES = f"""
CREATE TABLE faces (
    face_id BIGINT PRIMARY KEY,       -- also the face's id in faces.faiss
    episode_id VARCHAR NOT NULL,
    time_s DOUBLE NOT NULL,           -- the decoder's timestamp of the frame
    frame INTEGER NOT NULL,           -- index of the frame in decode order
    character VARCHAR NOT NULL,
    x1 INTEGER, y1 INTEGER, x2 INTEGER, y2 INTEGER,   -- pixels, x2/y2 exclusive
    emotion VARCHAR NOT NULL,         -- argmax of the smoothed probabilities
    confidence DOUBLE,                -- that probability
    track_id BIGINT,                  -- the same face across sampled frames
    {", ".join(f"{c} DOUBLE" for c in PROB_COLUMNS)},
    seconds DOUBLE NOT NULL,          -- screen time this sample stands for
    filled BOOLEAN NOT NULL,          -- found by filling a gap in its track, not by a cascade
    character_confidence DOUBLE       -- the character head's probability, mean over the track
)"""

SAMPLES = """
CREATE TABLE samples (
    episode_id VARCHAR NOT NULL,
    frame INTEGER NOT NULL,
    time_s DOUBLE NOT NULL            -- every frame the pass looked at, faces or not
)"""

EMBEDDINGS = """
CREATE TABLE embeddings (
    face_id BIGINT PRIMARY KEY,
    vector FLOAT[] NOT NULL           -- L2-normalised penultimate layer; rebuilds faces.faiss
)"""

THUMBNAILS = """
CREATE TABLE thumbnails (
    face_id BIGINT PRIMARY KEY,
    jpeg BLOB NOT NULL                -- the face crop, small, for the dashboard
)"""

META = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)"""

# Each episode's screen time per character and emotion, written with its faces in the same
# transaction: the rankings and views add up these few rows instead of every face (at ten
# million faces, 100 ms a ranking became a few ms: BENCHMARKS.md, "At archive size").
EMOTION_SECONDS = """
CREATE TABLE emotion_seconds (
    episode_id VARCHAR NOT NULL,
    character VARCHAR NOT NULL,
    emotion VARCHAR NOT NULL,
    faces BIGINT NOT NULL,            -- faces rows of this character and emotion
    seconds DOUBLE NOT NULL,          -- their screen time: sum(faces.seconds)
    PRIMARY KEY (episode_id, character, emotion)
)"""


# Seconds on screen, not face counts, so that the sampling rate does not change the answer.
EPISODE_CHARACTER_EMOTIONS = """
CREATE OR REPLACE VIEW episode_character_emotions AS
SELECT s.episode_id, s.character, s.emotion, s.faces, s.seconds,
       s.seconds / sum(s.seconds) OVER (PARTITION BY s.episode_id, s.character) AS share
FROM emotion_seconds s JOIN episodes e USING (episode_id)
WHERE e.status = 'indexed'"""

CHARACTER_EMOTIONS = """
CREATE OR REPLACE VIEW character_emotions AS
SELECT s.character, s.emotion,
       sum(s.faces)::BIGINT AS faces,
       sum(s.seconds) AS seconds,
       sum(s.seconds) / sum(sum(s.seconds)) OVER (PARTITION BY s.character) AS share
FROM emotion_seconds s JOIN episodes e USING (episode_id)
WHERE e.status = 'indexed'
GROUP BY s.character, s.emotion"""

STATEMENTS = (
    EPISODES,
    FACES,
    SAMPLES,
    EMBEDDINGS,
    THUMBNAILS,
    META,
    EMOTION_SECONDS,
    EPISODE_CHARACTER_EMOTIONS,
    CHARACTER_EMOTIONS,
)


def create(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table and view in an empty database."""
    for sql in STATEMENTS:
        con.execute(sql)
    con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])


def fill_emotion_seconds(con: duckdb.DuckDBPyConnection, episode_id: str | None = None) -> None:
    """Add the emotion_seconds rows of one episode (or of every episode) from its faces rows."""
    where, params = ("WHERE episode_id = ?", [episode_id]) if episode_id else ("", [])
    con.execute(
        "INSERT INTO emotion_seconds SELECT episode_id, character, emotion, count(*), "
        f"sum(seconds) FROM faces {where} GROUP BY ALL",
        params,
    )


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Bring a warehouse written by an earlier version up to SCHEMA_VERSION, in one transaction."""
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    version = int(row[0]) if row else 1
    if version >= SCHEMA_VERSION:
        return
    con.execute("BEGIN TRANSACTION")
    try:
        if version < 2:
            con.execute(EMOTION_SECONDS)
            fill_emotion_seconds(con)
            con.execute(EPISODE_CHARACTER_EMOTIONS)
            con.execute(CHARACTER_EMOTIONS)
        if version < 3:  # NULL for what was indexed before: a floor nobody recorded
            con.execute("ALTER TABLE episodes ADD COLUMN min_character_confidence DOUBLE")
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # a failed disk may refuse this too
            con.execute("ROLLBACK")
        raise


def is_created(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'meta'").fetchone()[0]
    )
