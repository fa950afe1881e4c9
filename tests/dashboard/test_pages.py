"""Every page run by Streamlit's AppTest against a real warehouse: it renders without an
exception and shows what it is for."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.settings import LABELS_ENV, MODEL_ENV, WAREHOUSE_ENV
from model.store import DEFAULT
from tests.conftest import ROOT
from warehouse import catalog, picks, queries, reader

APP = str(ROOT / "dashboard" / "streamlit_app.py")
TIMEOUT_S = 120  # the Model page draws its convolutions with TensorFlow


@pytest.fixture
def app(warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv(WAREHOUSE_ENV, str(warehouse))
    monkeypatch.setenv(MODEL_ENV, str(DEFAULT))
    monkeypatch.setenv(LABELS_ENV, str(tmp_path / "labels"))
    return AppTest.from_file(APP, default_timeout=TIMEOUT_S)


def open_page(app: AppTest, name: str) -> AppTest:
    app.run()
    if name != "overview":
        app.switch_page(f"app_pages/{name}.py").run()
    assert not app.exception, [e.message for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    return app


def test_overview(app: AppTest, warehouse: Path) -> None:
    with reader.connect(warehouse) as con:
        best = con.execute(
            "SELECT character FROM character_emotions WHERE emotion = 'happy' "
            "ORDER BY share DESC, character LIMIT 1"
        ).fetchone()[0]
        rows = queries.rank(con, "happy", interval=True)
    at = open_page(app, "overview")
    assert at.subheader[0].value.startswith(f"The happiest character is **{best}**")
    top = rows[0]
    said = f"That share rests on {top['total_seconds']:.0f} s on screen; its 95% interval is "
    said += f"{top['share_low']:.0%}-{top['share_high']:.0%}."
    assert said in [m.value[: len(said)] for m in at.markdown]
    assert [m.label for m in at.metric] == [
        "Episodes indexed",
        "Hours of video",
        "Faces",
        "Characters",
    ]


def test_rankings_every_grouping(app: AppTest) -> None:
    at = open_page(app, "rankings")
    for by in ("character", "episode", "character-episode"):
        at.radio[0].set_value(by).run()
        table = at.dataframe[0].value
        assert list(table["rank"]) == list(range(1, len(table) + 1))
        assert table["share"].is_monotonic_decreasing
        ranged = table.dropna(subset=["share_low"])
        assert len(ranged) > 0
        assert (ranged["share_low"] <= ranged["share"]).all()
        assert (ranged["share"] <= ranged["share_high"]).all()
        assert (table["total_seconds"] >= table["seconds"]).all()


def test_episode(app: AppTest) -> None:
    at = open_page(app, "episode")
    assert at.selectbox[0].value == "s41-e01"
    assert [s.value for s in at.subheader] == ["Episodes like this one"]


def test_episode_from_a_moment(app: AppTest, warehouse: Path) -> None:
    with reader.connect(warehouse) as con:
        face = catalog.timeline(con, "s41-e02")[0]
    app.query_params.update({"episode": "s41-e02", "t": f"{face['time_s']:g}"})
    at = open_page(app, "episode")
    assert at.selectbox[0].value == "s41-e02"
    assert at.subheader[0].value == f"Faces at {face['time_s']:.1f} s"
    assert face["character"] in " ".join(m.value for m in at.markdown)


@pytest.mark.parametrize("t", ["abc", "-1", "nan", "inf", "1e9"])
def test_episode_refuses_a_moment_that_is_not_one(app: AppTest, t: str) -> None:
    app.query_params.update({"episode": "s41-e01", "t": t})
    at = open_page(app, "episode")
    assert at.warning[0].value == (
        f"t={t!r} is not a moment of this episode: t is seconds from 0 to 10; "
        "playing from the start."
    )
    assert "t" not in at.query_params


def test_recommend(app: AppTest) -> None:
    at = open_page(app, "recommend")
    at.selectbox[0].set_value("angry").run()
    assert list(at.dataframe[0].value["rank"]) == [1, 2, 3]


def test_references(app: AppTest) -> None:
    at = open_page(app, "references")
    assert at.subheader.values == ["jerry", "tom"]


def test_similar_asks_for_a_picture(app: AppTest) -> None:
    at = open_page(app, "similar")
    assert at.info[0].value == "Upload a picture or draw a face to search."


def test_sql_runs_a_query_and_refuses_copy(app: AppTest, tmp_path: Path) -> None:
    at = open_page(app, "sql")
    at.text_area[0].set_value("SELECT 6 * 7 AS answer").run()
    at.button[0].click().run()
    assert at.dataframe[0].value.to_dict("records") == [{"answer": 42}]
    at.text_area[0].set_value(f"COPY faces TO '{tmp_path / 'x.csv'}'").run()
    at.button[0].click().run()
    assert at.error[0].value.startswith("Refused: ")
    assert not (tmp_path / "x.csv").exists()


def test_model(app: AppTest) -> None:
    at = open_page(app, "model")
    assert [m.label for m in at.metric][:2] == ["Held-out accuracy", "Balanced accuracy"]


def test_label_files_a_face(app: AppTest, warehouse: Path, tmp_path: Path) -> None:
    with reader.connect(warehouse) as con:
        first = picks.most_informative(con, 1)[0]
    at = open_page(app, "label")
    at.button(key=f"label-{first['face_id']}-not a face").click().run()
    assert (tmp_path / "labels" / "nonface" / f"{first['face_id']}.jpg").is_file()
    assert first["face_id"] not in [
        int(c.value.split()[1]) for c in at.caption if c.value.startswith("face ")
    ]


def test_no_warehouse_is_one_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WAREHOUSE_ENV, str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S).run()
    assert not at.exception
    assert at.error[0].value == (
        f"{tmp_path}: no warehouse here (no toon.duckdb; build one with "
        f"`toon index EPISODES --warehouse {tmp_path}`)"
    )
