"""Episode: each character's emotion over time; a click on the timeline plays the video from
that moment with the emotion subtitles, and shows the faces seen there."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import resources, ui
from warehouse import catalog, queries
from warehouse.subtitles import subtitles

MOMENT = "moment"  # the timeline's click selection

st.title("Episode")
with resources.warehouse() as con:
    indexed = [e for e in catalog.episodes(con) if e["status"] == "indexed"]
    if not indexed:
        st.info("No indexed episodes yet.")
        st.stop()
    ids = [e["episode_id"] for e in indexed]
    asked = st.query_params.get("episode")
    episode_id = st.selectbox("Episode", ids, index=ids.index(asked) if asked in ids else 0)
    if episode_id != asked:  # a new pick starts from the beginning
        st.query_params.update({"episode": episode_id})
        st.query_params.pop("t", None)
    info = catalog.episode(con, episode_id)
    rows = catalog.timeline(con, episode_id)
    vtt = subtitles(con, episode_id, "vtt")
    like = queries.recommend_like(con, episode_id, k=5)

    length = f"{info['duration_s']:.0f} s" if info["duration_s"] is not None else "length unknown"
    st.caption(f"{info['title']} · {length} · {info['faces']} faces · {info['path']}")
    if rows:
        timeline = (
            alt.Chart(pd.DataFrame(rows))
            .mark_square(size=90)
            .encode(
                x=alt.X("time_s:Q", title="seconds"),
                y=alt.Y("character:N", title=None),
                color=ui.emotion_colour(),
                tooltip=["time_s", "character", "emotion", alt.Tooltip("confidence", format=".0%")],
            )
            .add_params(
                alt.selection_point(name=MOMENT, fields=["time_s"], on="click", nearest=True)
            )
        )
        event = st.altair_chart(timeline, on_select="rerun", key=f"timeline-{episode_id}")
        picked = event.selection.get(MOMENT) if event else None
        if picked:
            st.query_params["t"] = f"{picked[0]['time_s']:g}"
        st.caption("Click the timeline to play the episode from that moment.")
    else:
        st.info("No faces were found in this episode.")

    moment = ui.start_time(st.query_params.get("t"), info["duration_s"])  # None: from the start
    if moment is None and "t" in st.query_params:
        st.warning(
            f"t={st.query_params['t']!r} is not a moment of this episode: t is seconds from 0 to "
            f"{info['duration_s'] or 0:g}; playing from the start."
        )
        st.query_params.pop("t")
    video = Path(info["path"])
    if video.is_file():
        st.video(
            str(video),
            start_time=moment or 0.0,
            subtitles={"Emotions": vtt},
            autoplay=moment is not None,
            muted=True,
        )
    else:
        st.warning(f"{video}: the episode's file is no longer there; the statistics still are.")

    if moment is not None:
        here = catalog.faces_at(con, episode_id, moment)
        st.subheader(f"Faces at {moment:.1f} s")
        if here:
            ui.face_grid(con, here, links=False)
        else:
            st.write("No face in the sampled frame nearest this moment.")

st.subheader("Episodes like this one")
if like:
    for row in like:
        st.page_link(
            ui.EPISODE_PAGE,
            label=f"{row['episode_id']} ({row['title']}), distance {row['distance']:.2f}",
            query_params={"episode": row["episode_id"]},
        )
else:
    st.write("No other episode to compare with.")
