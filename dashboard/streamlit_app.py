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

from dashboard.uploads import UploadError  # noqa: E402

PAGES = Path(__file__).resolve().parent / "app_pages"

st.set_page_config(page_title="Toon Emotion Index", page_icon=":performing_arts:", layout="wide")
page = st.navigation(
    [
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
)
try:
    page.run()
except (ValueError, OSError, duckdb.Error, UploadError) as exc:
    # what a user can fix (no warehouse yet, a bad upload, an unknown episode): one line
    st.error(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
