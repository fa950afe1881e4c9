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
    rows = queries.rank(con, emotion, by, interval=True)
if not rows:
    st.info("No faces yet.")
    st.stop()

table = pd.DataFrame(rows)
label = {"character": "character", "episode": "episode_id"}.get(by)
table["who"] = table[label] if label else table["character"] + " · " + table["episode_id"]
shown = table.head(TOP)
# the bars' order given outright: "-x" would be ambiguous between the bar and its interval
bars = alt.Chart(shown).encode(y=alt.Y("who:N", sort=list(shown["who"]), title=None))
level = f"{queries.INTERVAL:.0%}"
chart = bars.mark_bar().encode(
    x=alt.X("share:Q", axis=alt.Axis(format="%"), title=f"share of screen time {emotion}"),
    tooltip=[
        "who",
        alt.Tooltip("share:Q", format=".1%"),
        alt.Tooltip("share_low:Q", format=".1%", title=f"{level} interval from"),
        alt.Tooltip("share_high:Q", format=".1%", title="to"),
        alt.Tooltip("total_seconds:Q", format=".0f", title="seconds on screen"),
    ],
) + bars.mark_rule(color="black").encode(x="share_low:Q", x2="share_high:Q")
st.altair_chart(chart)
st.caption(
    f"Each share rests on the seconds its faces are on screen; the line is its {level} interval "
    "(a bootstrap over tracks). Where two lines overlap, the two are too close to call."
)
columns = ["rank", *(c for c in ("character", "episode_id", "title") if c in table)]
st.dataframe(
    table[[*columns, "share", "share_low", "share_high", "total_seconds", "seconds", "faces"]],
    hide_index=True,
    column_config={
        "share": st.column_config.ProgressColumn("share", format="percent"),
        "share_low": st.column_config.NumberColumn(f"{level} from", format="percent"),
        "share_high": st.column_config.NumberColumn(f"{level} to", format="percent"),
        "total_seconds": st.column_config.NumberColumn("seconds on screen", format="%.0f"),
        "seconds": st.column_config.NumberColumn(f"seconds {emotion}", format="%.0f"),
    },
)
