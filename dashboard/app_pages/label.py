"""Label: the faces the model was least sure of, a batch at a time; a click files the face
under its emotion (or "not a face") in an ImageFolder that `toon train --init` reads."""

from __future__ import annotations

import streamlit as st

from dashboard import labels, resources
from warehouse import catalog, picks
from warehouse.schema import EMOTIONS

BATCH = 6
NOT_A_FACE = "not a face"
LAST_LABEL = "label_outcome"  # what the last click did, shown once
COLUMNS = 2  # faces side by side; each needs room for a row of four labelled buttons

settings = resources.settings()


def file_label(face: dict, emotion: str | None) -> None:
    """A button's callback: it runs before the page, so it reports through the session."""
    try:
        with resources.warehouse() as con:
            jpeg = catalog.thumbnail(con, face["face_id"])
        if jpeg is None:
            raise ValueError(f"face {face['face_id']} has no thumbnail in the warehouse")
        path = labels.save_label(settings.labels, face["face_id"], face["character"], emotion, jpeg)
    except (OSError, ValueError) as exc:
        st.session_state[LAST_LABEL] = ("error", str(exc).splitlines()[0])
    else:
        st.session_state[LAST_LABEL] = ("saved", str(path))


st.title("Label faces")
st.caption(
    "The faces that teach the model most first: the least certain face of each track, taking "
    f"turns over characters and the emotions the model says. Labels go to {settings.labels}, "
    "one folder per character and emotion; teach the model with them, then index again:"
)
done = labels.labelled(settings.labels)
st.code(labels.train_command(settings.labels, settings.model, settings.warehouse), "bash")
outcome, said = st.session_state.pop(LAST_LABEL, (None, None))
if outcome == "saved":
    st.success(f"Saved {said} ({len(done)} labelled so far)")
elif outcome == "error":
    st.error(f"Not saved: {said}")

with resources.warehouse() as con:
    batch = picks.most_informative(con, BATCH, skip=list(done))
    if not batch:
        st.info("Every face is labelled.")
        st.stop()
    for start in range(0, len(batch), COLUMNS):
        for cell, face in zip(st.columns(COLUMNS), batch[start : start + COLUMNS], strict=False):
            with cell, st.container(border=True):
                jpeg = catalog.thumbnail(con, face["face_id"])
                if jpeg:
                    st.image(jpeg, width=96)
                st.caption(
                    f"face {face['face_id']} · {face['character']} · the model says "
                    f"{face['emotion']} ({face['confidence']:.0%}) · {face['episode_id']} "
                    f"at {face['time_s']:.0f} s"
                )
                buttons = st.columns(4)
                for n, emotion in enumerate([*EMOTIONS, NOT_A_FACE]):
                    buttons[n % 4].button(
                        emotion,
                        key=f"label-{face['face_id']}-{emotion}",
                        on_click=file_label,
                        args=(face, None if emotion == NOT_A_FACE else emotion),
                    )
