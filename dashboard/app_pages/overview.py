"""Overview: what the warehouse holds, and which character is the happiest (and the most of
every other emotion), in one sentence each and one chart."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import resources, ui
from warehouse import catalog, queries
from warehouse.schema import EMOTIONS

st.title("Toon Emotion Index")
with resources.warehouse() as con:
    counts = catalog.overview(con)
    leaders = {e: queries.rank(con, e, "character", interval=e == "happy") for e in EMOTIONS}
    shares = catalog.character_emotions(con)

c1, c2, c3, c4 = st.columns(4)
c1.metric("Episodes indexed", counts["episodes"])
c2.metric("Hours of video", f"{counts['duration_s'] / 3600:.2f}")
c3.metric("Faces", f"{counts['faces']:,}")
c4.metric("Characters", len(counts["characters"]))
if counts["failed"]:
    st.warning(f"{counts['failed']} episode(s) failed to index: see `SELECT * FROM episodes`.")
if not counts["faces"]:
    st.info("No faces yet: index some episodes with `toon index EPISODES --warehouse DIR`.")
    st.stop()

happiest = leaders["happy"][0]
if happiest["seconds"] > 0:
    st.subheader(
        f"The happiest character is **{happiest['character']}**: happy for "
        f"{happiest['share']:.0%} of their time on screen."
    )
    st.markdown(ui.confidence(leaders["happy"]))
else:
    st.subheader("No character is happy on screen in these episodes.")
others = [
    f"most {emotion}: **{rows[0]['character']}** ({rows[0]['share']:.0%})"
    for emotion, rows in leaders.items()
    if emotion != "happy" and rows and rows[0]["seconds"] > 0
]
if others:
    st.markdown("And " + "; ".join(others) + ".")

chart = (
    alt.Chart(pd.DataFrame(shares))
    .mark_bar()
    .encode(
        x=alt.X(
            "share:Q",
            stack="normalize",
            title="share of screen time",
            axis=alt.Axis(format="%"),
        ),
        y=alt.Y("character:N", title=None),
        color=ui.emotion_colour(),
        order=alt.Order("emotion_order:Q"),
        tooltip=["character", "emotion", alt.Tooltip("share:Q", format=".1%"), "seconds", "faces"],
    )
    .transform_calculate(emotion_order=f"indexof({list(EMOTIONS)}, datum.emotion)")
)
st.altair_chart(chart)
st.caption(
    "Shares are of seconds on screen, so the sampling rate does not change them. "
    "The same numbers: `SELECT * FROM character_emotions` on the SQL page."
)
