"""Rankings: characters, episodes, or both, by any emotion's share of screen time."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import resources
from warehouse import queries
from warehouse.schema import EMOTIONS

TOP = 25  # bars in the chart; the table holds every row

st.title("Rankings")
left, right = st.columns(2)
emotion = left.selectbox("Emotion", EMOTIONS)
by = right.radio("Rank", queries.RANK_BY, horizontal=True)
with resources.warehouse() as con:
    rows = queries.rank(con, emotion, by)
if not rows:
    st.info("No faces yet.")
    st.stop()

table = pd.DataFrame(rows)
label = {"character": "character", "episode": "episode_id"}.get(by)
table["who"] = table[label] if label else table["character"] + " · " + table["episode_id"]
chart = (
    alt.Chart(table.head(TOP))
    .mark_bar()
    .encode(
        x=alt.X("share:Q", axis=alt.Axis(format="%"), title=f"share of screen time {emotion}"),
        y=alt.Y("who:N", sort="-x", title=None),
        tooltip=["who", alt.Tooltip("share:Q", format=".1%"), "seconds", "total_seconds"],
    )
)
st.altair_chart(chart)
columns = ["rank", *(c for c in ("character", "episode_id", "title") if c in table)]
st.dataframe(
    table[[*columns, "share", "seconds", "total_seconds", "faces"]],
    hide_index=True,
    column_config={"share": st.column_config.ProgressColumn("share", format="percent")},
)
