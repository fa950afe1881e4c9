"""Recommend: episodes to watch for a mood, an emotion over everyone or one character."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import resources, ui
from warehouse import catalog, queries
from warehouse.schema import EMOTIONS

ANYONE = "anyone"

st.title("Recommend")
with resources.warehouse() as con:
    characters = catalog.overview(con)["characters"]
    left, right, k_col = st.columns([2, 2, 1])
    emotion = left.selectbox("I'm in the mood for", EMOTIONS)
    who = right.selectbox("From", [ANYONE, *characters])
    k = k_col.number_input("Episodes", min_value=1, max_value=50, value=10)
    rows = queries.recommend_mood(con, emotion, None if who == ANYONE else who, int(k))
if not rows:
    st.info("No episodes to recommend yet.")
    st.stop()
st.dataframe(
    pd.DataFrame(rows)[["rank", "episode_id", "title", "share", "seconds"]],
    hide_index=True,
    column_config={"share": st.column_config.ProgressColumn(f"{emotion} share", format="percent")},
)
for row in rows:
    ui.moment_link(row["episode_id"], 0.0, label=f"Watch {row['episode_id']}")
