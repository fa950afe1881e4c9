"""Similar: faces that look like an uploaded picture or a sketch drawn here, found in the
FAISS index by the embedding of the model that indexed the warehouse."""

from __future__ import annotations

import streamlit as st

from dashboard import resources, ui
from indexer.similar import check_model, embed_face
from model.pictures import MAX_UPLOAD_MB, SUFFIXES, read_face
from warehouse import catalog, queries

ANYONE = "anyone"
CANVAS_PX = 320

st.title("Find similar faces")
settings = resources.settings()
with resources.warehouse() as con:
    characters = catalog.overview(con)["characters"]
left, right = st.columns(2)
k = left.slider("Results", min_value=1, max_value=50, value=10)
who = right.selectbox("Character", [ANYONE, *characters])

upload_tab, draw_tab = st.tabs(["Upload a picture", "Draw a sketch"])
with upload_tab:
    upload = st.file_uploader(
        "A face, a frame crop or a drawing",
        type=list(SUFFIXES),
        max_upload_size=MAX_UPLOAD_MB,
        key="upload",
    )
with draw_tab:
    from streamlit_drawable_canvas import st_canvas  # imports only inside a running app

    drawing = st_canvas(
        stroke_width=6,
        stroke_color="#000000",
        background_color="#ffffff",
        height=CANVAS_PX,
        width=CANVAS_PX,
        drawing_mode="freedraw",
        return_image_data=True,
        key="sketch",
    )

query = None
if upload is not None:
    query = (upload.getvalue(), upload.name)
elif drawing is not None and (drawing.json_data or {}).get("objects"):
    query = (drawing.image_bytes, "the drawing")
if query is None:
    st.info("Upload a picture or draw a face to search.")
    st.stop()

model = resources.emotion_model(str(settings.model))
face = read_face(*query, size=model.size)
with resources.warehouse() as con:
    check_model(con, model)
    found = embed_face(model, face)
    rows = queries.similar(
        con, resources.face_index(), found.vector, k, None if who == ANYONE else who
    )
    st.image(face, caption="the query, as the model sees it", width=96)
    if found.not_a_face:
        note = found.note()
        st.warning(f"Not a face? {note[0].upper()}{note[1:]}.")
    st.subheader(f"{len(rows)} nearest faces")
    ui.face_grid(con, rows)
