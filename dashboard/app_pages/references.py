"""References: per character and emotion, the most confident faces that differ from each
other (as `toon references` writes them), downloadable as a zip."""

from __future__ import annotations

import streamlit as st

from dashboard import resources
from indexer.references import reference_files, zip_references
from warehouse import picks

st.title("Reference faces")
per = st.slider("Faces per character and emotion", min_value=1, max_value=40, value=10)
with resources.warehouse() as con:
    picked = picks.reference_faces(con, per)
if not picked:
    st.info("No faces yet.")
    st.stop()

st.download_button(
    "Download as a zip (an ImageFolder and a contact sheet)",
    data=zip_references(reference_files(picked, per)),
    file_name="references.zip",
    mime="application/zip",
    on_click="ignore",
    icon=":material/download:",
)
for character in sorted({c for c, _ in picked}):
    st.subheader(character)
    for (who, emotion), faces in sorted(picked.items()):
        if who != character:
            continue
        st.markdown(f"**{emotion}** · {len(faces)}")
        st.image([jpeg for _, jpeg in faces], width=64, caption=[str(f) for f, _ in faces])
