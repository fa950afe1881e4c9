"""The warehouse contract: tables and views users write SQL against (see warehouse/README.md).

Plain DDL, applied to a fresh database by `create`. Column names are a contract: add columns,
never rename or drop them.
"""

from __future__ import annotations

import duckdb

# The emotions every warehouse has a probability column for, in column order. A model that
# names fewer leaves the others at 0; one that names others cannot write here.
EMOTIONS = ("happy", "angry", "surprise", "sad", "fear", "disgust", "neutral")
PROB_COLUMNS = tuple(f"p_{e}" for e in EMOTIONS)
SCHEMA_VERSION = 1

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
    index_seconds DOUBLE              -- wall time of the pass
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

# Seconds on screen, not face counts, so that the sampling rate does not change the answer.
EPISODE_CHARACTER_EMOTIONS = """
CREATE VIEW episode_character_emotions AS
SELECT f.episode_id, f.character, f.emotion,
       count(*) AS faces,
       sum(f.seconds) AS seconds,
       sum(f.seconds) / sum(sum(f.seconds)) OVER (PARTITION BY f.episode_id, f.character)
           AS share
FROM faces f JOIN episodes e USING (episode_id)
WHERE e.status = 'indexed'
GROUP BY f.episode_id, f.character, f.emotion"""

CHARACTER_EMOTIONS = """
CREATE VIEW character_emotions AS
SELECT f.character, f.emotion,
       count(*) AS faces,
       sum(f.seconds) AS seconds,
       sum(f.seconds) / sum(sum(f.seconds)) OVER (PARTITION BY f.character) AS share
FROM faces f JOIN episodes e USING (episode_id)
WHERE e.status = 'indexed'
GROUP BY f.character, f.emotion"""

STATEMENTS = (
    EPISODES,
    FACES,
    SAMPLES,
    EMBEDDINGS,
    THUMBNAILS,
    META,
    EPISODE_CHARACTER_EMOTIONS,
    CHARACTER_EMOTIONS,
)


def create(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table and view in an empty database."""
    for sql in STATEMENTS:
        con.execute(sql)
    con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])


def is_created(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'meta'").fetchone()[0]
    )
