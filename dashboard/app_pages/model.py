"""Model: how well the model that indexed the warehouse names emotions on its held-out faces,
how it learned, and what its convolutions look at."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import resources


@st.cache_data(max_entries=2, show_spinner="Drawing the convolution layers...")
def convolutions(folder: str, sha256: str) -> list[tuple[str, bytes]]:  # noqa: ARG001  keys the cache
    """(name, PNG) of every convolution layer's filters and activations on a sample face."""
    from model.visualize import visualize  # TensorFlow: only when this page asks

    with tempfile.TemporaryDirectory() as out:
        return [(p.stem, p.read_bytes()) for p in visualize(Path(folder), Path(out))]


st.title("The model")
folder = resources.settings().model
metrics = json.loads((folder / "metrics.json").read_text())
config = json.loads((folder / "config.json").read_text())
sha256 = (folder / "model.sha256").read_text().split()[0]

st.caption(f"{folder} · {config.get('arch')} network · sha256 {sha256[:12]}")
a, b, c = st.columns(3)
a.metric("Held-out accuracy", f"{metrics['accuracy']:.1%}")
b.metric("Balanced accuracy", f"{metrics['balanced_accuracy']:.1%}")
c.metric("Face input", f"{config['input_size']} px")

st.subheader("Per emotion")
st.dataframe(pd.DataFrame(metrics["per_class"]).T, column_config={"support": "faces"})

st.subheader("Confusion matrix (rows: truth, columns: predicted)")
classes = metrics["classes"]
cells = pd.DataFrame(
    [
        {"truth": classes[i], "predicted": classes[j], "faces": n}
        for i, row in enumerate(metrics["confusion"])
        for j, n in enumerate(row)
    ]
)
base = alt.Chart(cells).encode(
    x=alt.X("predicted:N", sort=classes), y=alt.Y("truth:N", sort=classes)
)
st.altair_chart(
    base.mark_rect().encode(color=alt.Color("faces:Q", scale=alt.Scale(type="symlog")))
    + base.mark_text().encode(
        text="faces:Q",
        color=alt.condition(
            alt.datum.faces > cells["faces"].max() / 2, alt.value("white"), alt.value("black")
        ),
    )
)

history_path = folder / "history.json"
if history_path.is_file():
    st.subheader("Learning curves")
    history = json.loads(history_path.read_text())
    curves = pd.DataFrame(
        [
            {"epoch": n + 1, "curve": name, "value": v, "metric": name.removeprefix("val_")}
            for name, values in history.items()
            for n, v in enumerate(values)
        ]
    )
    for metric, part in curves.groupby("metric"):
        st.altair_chart(
            alt.Chart(part, title=metric)
            .mark_line(point=True)
            .encode(x="epoch:Q", y=alt.Y("value:Q", title=None), color="curve:N")
        )

st.subheader("What the convolutions see")
for name, png in convolutions(str(folder), sha256):
    st.image(png, caption=name)
