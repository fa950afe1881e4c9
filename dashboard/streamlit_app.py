"""The dashboard: one page per question, over the warehouse `toon dashboard` was started on.

Run it with `toon dashboard --warehouse DIR`; each page is a file in `app_pages/`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import streamlit as st

if __package__ in (None, ""):  # `streamlit run` executes this file as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.settings import Settings  # noqa: E402
from model.pictures import PictureError  # noqa: E402

PAGES = Path(__file__).resolve().parent / "app_pages"


def pages() -> list:
    """Every page of the warehouse, Cast when there is a cast to name and Boxes when there are
    frames to box (alone before any warehouse exists)."""
    try:
        settings = Settings.from_env()
    except ValueError:
        settings = None  # the Overview says how to start the dashboard
    listed = []
    if settings is None or settings.warehouse is not None:
        listed = [
            st.Page(PAGES / "overview.py", title="Overview", icon=":material/home:", default=True),
            st.Page(PAGES / "rankings.py", title="Rankings", icon=":material/leaderboard:"),
            st.Page(PAGES / "episode.py", title="Episode", icon=":material/movie:"),
            st.Page(PAGES / "recommend.py", title="Recommend", icon=":material/recommend:"),
            st.Page(PAGES / "references.py", title="References", icon=":material/photo_library:"),
            st.Page(PAGES / "similar.py", title="Similar", icon=":material/image_search:"),
            st.Page(PAGES / "sql.py", title="SQL", icon=":material/database:"),
            st.Page(PAGES / "model.py", title="Model", icon=":material/neurology:"),
            st.Page(PAGES / "label.py", title="Label", icon=":material/label:"),
        ]
    if settings is not None and settings.cast is not None:
        first = not listed
        listed.append(
            st.Page(PAGES / "cast.py", title="Cast", icon=":material/groups:", default=first)
        )
    if settings is not None and settings.frames is not None:
        first = not listed
        listed.append(
            st.Page(PAGES / "boxes.py", title="Boxes", icon=":material/crop_free:", default=first)
        )
    return listed


st.set_page_config(page_title="Toon Emotion Index", page_icon=":performing_arts:", layout="wide")
page = st.navigation(pages())
try:
    page.run()
except (ValueError, OSError, duckdb.Error, PictureError) as exc:
    # what a user can fix (no warehouse yet, a bad upload, an unknown episode): one line
    st.error(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
