"""SQL: read-only queries on the warehouse, in the same sandbox as `toon sql`."""

from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from dashboard import resources
from warehouse.reader import snapshot_path
from warehouse.sandbox import SandboxLimits
from warehouse.sandbox_checks import SandboxError
from warehouse.sandbox_child import run_sql_apart

EXAMPLES = {
    "Which character is happiest?": (
        "SELECT character, share FROM character_emotions\n"
        "WHERE emotion = 'happy' ORDER BY share DESC"
    ),
    "Each episode's mood, per character": (
        "SELECT episode_id, character, emotion, round(share, 3) AS share\n"
        "FROM episode_character_emotions\nORDER BY episode_id, character, share DESC"
    ),
    "The angriest minute of every episode": (
        "SELECT episode_id, floor(time_s / 60) AS minute, sum(seconds) AS angry_seconds\n"
        "FROM faces WHERE emotion = 'angry'\nGROUP BY ALL\n"
        "QUALIFY row_number() OVER (PARTITION BY episode_id ORDER BY angry_seconds DESC) = 1\n"
        "ORDER BY episode_id"
    ),
    "Faces the model was least sure of": (
        "SELECT face_id, episode_id, time_s, character, emotion,\n"
        "       round(confidence, 3) AS confidence\n"
        "FROM faces ORDER BY confidence LIMIT 20"
    ),
    "Episodes, and any that failed": (
        "SELECT episode_id, status, error, duration_s, faces, indexed_at FROM episodes"
    ),
    "The tables and their columns": (
        "SELECT table_name, column_name, data_type FROM information_schema.columns\n"
        "ORDER BY table_name, ordinal_position"
    ),
}

st.title("SQL")
st.caption(
    "Read-only: one SELECT at a time, no files, no settings, "
    f"{SandboxLimits().time_limit_s:g} s and {SandboxLimits().memory_limit} at most "
    f"(its process {SandboxLimits().process_bytes / 2**30:g} GB), "
    f"{SandboxLimits().max_rows:,} rows and {SandboxLimits().max_bytes // 2**20} MB shown. "
    "Tables: episodes, faces, samples, embeddings, thumbnails, emotion_seconds, meta; views: "
    "episode_character_emotions, character_emotions."
)
example = st.selectbox("Examples that teach the schema", list(EXAMPLES))
sql = st.text_area("Query", value=EXAMPLES[example], height=160, key=f"sql-{example}")
# The last query's outcome, kept across reruns: its refusal, or the key of its rows on the
# server's shelf of results (a closed browser's session lingers; the rows must not).
RESULT = "sql_result"
shelf = resources.sql_results()
if st.button("Run", type="primary", icon=":material/play_arrow:"):
    try:
        # apart: a query that builds gigabytes fails in its own process, not the server's
        path = snapshot_path(resources.settings().warehouse)
        st.session_state[RESULT] = shelf.put(run_sql_apart(path, sql))
    except SandboxError as exc:
        st.session_state[RESULT] = SandboxError(str(exc))  # without the frames that raised it
outcome = st.session_state.get(RESULT)
if isinstance(outcome, SandboxError):
    st.error(f"Refused: {outcome}")
elif outcome is not None and (result := shelf.get(outcome)) is None:
    st.info(resources.DROPPED)
elif outcome is not None:
    table = pd.DataFrame.from_records(result.to_records(), columns=list(result.columns))
    note = f"{len(table):,} rows in {result.seconds * 1000:.0f} ms"
    if result.truncated:
        note += " (more exist: add a LIMIT or narrow the query)"
    st.caption(note)
    st.dataframe(table, hide_index=True)
    st.download_button(
        "Download CSV",
        # made on click: a CSV made now would be kept by its session (a closed browser's too)
        data=functools.partial(resources.result_csv, outcome),
        file_name="query.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
    del table, result
resources.release_memory_soon()
