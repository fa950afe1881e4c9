"""What a user does in the browser, end to end: Debian's Chromium against `toon dashboard`
serving a warehouse that `toon index` built. Each journey saves a screenshot."""

from __future__ import annotations

import math
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from synth.facesets import face_crop
from tests.browser import run_query, wait_for_results
from warehouse import catalog, picks, reader

pytestmark = pytest.mark.browser


def test_overview_names_the_happiest_character_the_sql_gives(server, page, screenshots) -> None:
    with reader.connect(server.warehouse) as con:
        happiest = con.execute(
            "SELECT character FROM character_emotions WHERE emotion = 'happy' "
            "ORDER BY share DESC, character LIMIT 1"
        ).fetchone()[0]
        faces = catalog.overview(con)["faces"]
    page.goto(server.url)
    sentence = page.get_by_text("The happiest character is")
    sentence.wait_for()
    assert re.match(rf"The happiest character is {happiest}: happy for \d+%", sentence.inner_text())
    assert (
        page.get_by_test_id("stMetric").filter(has_text="Faces").inner_text().endswith(f"{faces:,}")
    )
    page.screenshot(path=screenshots / "overview.png", full_page=True)


def test_uploading_a_sketch_shows_k_thumbnails(server, page, tmp_path, screenshots) -> None:
    sketch = tmp_path / "sketch.png"
    face = face_crop("tom", "happy", np.random.default_rng(5), "sketch", 128).rgb
    cv2.imwrite(str(sketch), cv2.cvtColor(face, cv2.COLOR_RGB2BGR))
    page.goto(f"{server.url}/similar")
    page.locator("input[type=file]").set_input_files(sketch)
    wait_for_results(page, 10)
    assert page.get_by_text("Not a face?").count() == 0
    page.screenshot(path=screenshots / "similar.png", full_page=True)


def test_a_blank_picture_is_answered_with_a_warning(server, page, tmp_path, screenshots) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((64, 64, 3), 255, np.uint8))
    page.goto(f"{server.url}/similar")
    page.locator("input[type=file]").set_input_files(blank)
    wait_for_results(page, 10)
    warning = page.get_by_text("Not a face? The model sees no face of the cast in this picture")
    warning.wait_for()
    page.screenshot(path=screenshots / "similar-blank.png", full_page=True)


def draw_face(page, canvas) -> None:  # noqa: ANN001
    """A round face, two eyes and a smile, drawn with the mouse."""
    box = canvas.bounding_box()
    cx, cy, r = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, box["width"] * 0.35

    def stroke(points: list[tuple[float, float]]) -> None:
        page.mouse.move(cx + points[0][0] * r, cy + points[0][1] * r)
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(cx + x * r, cy + y * r)
        page.mouse.up()

    stroke([(math.cos(a), math.sin(a)) for a in np.linspace(0, 2 * math.pi, 40)])
    stroke([(-0.35, -0.3), (-0.33, -0.28)])
    stroke([(0.35, -0.3), (0.37, -0.28)])
    stroke([(x, 0.3 + 0.3 * (1 - (2 * x) ** 2)) for x in np.linspace(-0.5, 0.5, 11)])


def test_drawing_on_the_canvas_shows_results(server, page, screenshots) -> None:
    page.goto(f"{server.url}/similar")
    page.get_by_role("tab", name="Draw a sketch").click()
    canvas = page.locator("canvas.upper-canvas")
    canvas.wait_for()
    draw_face(page, canvas)
    wait_for_results(page, 10)
    page.screenshot(path=screenshots / "similar-drawn.png", full_page=True)


def test_sql_shows_a_table_and_refuses_copy(server, page, tmp_path, screenshots) -> None:
    page.goto(f"{server.url}/sql")
    run_query(page, "SELECT character, count(*) AS faces FROM faces GROUP BY 1 ORDER BY 1")
    table = page.get_by_test_id("stDataFrame")
    table.wait_for()
    page.get_by_text(re.compile(r"^2 rows in \d+ ms$")).wait_for()
    page.screenshot(path=screenshots / "sql.png", full_page=True)

    target = tmp_path / "stolen.csv"
    run_query(page, f"COPY faces TO '{target}'")
    page.get_by_text(re.compile("^Refused: ")).wait_for()
    assert not target.exists()
    run_query(page, "SELECT 42 AS answer")
    page.get_by_text(re.compile(r"^1 rows in \d+ ms$")).wait_for()


def test_episode_plays_from_the_clicked_moment(server, page, screenshots) -> None:
    with reader.connect(server.warehouse) as con:
        rows = catalog.timeline(con, "s41-e01")
    # a moment whose time the chart's label and the link both print in full (1.5 samples a
    # second put most samples at thirds of a second, which each rounds its own way)
    whole = [r["time_s"] for r in rows if r["time_s"] == round(r["time_s"], 2)]
    moment = whole[len(whole) // 2]
    page.goto(f"{server.url}/episode?episode=s41-e01")
    page.locator("video").wait_for()
    mark = (
        page.get_by_test_id("stVegaLiteChart")
        .locator(f'[role=graphics-symbol][aria-label*="time_s: {moment:g};"]')
        .first
    )
    mark.scroll_into_view_if_needed()
    box = mark.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url(re.compile(rf"[?&]t={moment:g}(&|$)"))
    page.wait_for_function(
        "t => { const v = document.querySelector('video');"
        " return v && !v.paused && v.currentTime > t + 0.1 && v.currentTime < t + 5; }",
        arg=moment,
    )
    tracks = page.evaluate(
        "() => Array.from(document.querySelector('video').textTracks).map(t => t.mode)"
    )
    assert tracks == ["showing"]
    page.get_by_text(f"Faces at {moment:.1f} s").wait_for()
    page.screenshot(path=screenshots / "episode.png", full_page=True)


def test_a_label_click_lands_a_file_in_the_image_folder(server, page, screenshots) -> None:
    with reader.connect(server.warehouse) as con:
        first = picks.most_informative(con, 1)[0]
    page.goto(f"{server.url}/label")
    page.get_by_text(f"face {first['face_id']} ·").wait_for()
    page.screenshot(path=screenshots / "label.png", full_page=True)
    page.get_by_role("button", name="happy").first.click()
    page.get_by_text(re.compile("^Saved ")).wait_for()
    expected = server.labels / first["character"] / "happy" / f"{first['face_id']}.jpg"
    assert expected.is_file()
    with reader.connect(server.warehouse) as con:
        assert expected.read_bytes() == catalog.thumbnail(con, first["face_id"])


@pytest.mark.parametrize("page_path", ["rankings", "recommend", "references", "model"])
def test_other_pages_render(server, page, screenshots, page_path: str) -> None:
    page.goto(f"{server.url}/{page_path}")
    page.get_by_role("heading", level=1).first.wait_for()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("stException").count() == 0
    assert page.get_by_test_id("stAlertContentError").count() == 0
    page.screenshot(path=screenshots / f"{page_path}.png", full_page=True)


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        (
            "huge.png",
            lambda path: Image.new("L", (10_000, 10_000)).save(path),
            "huge.png: 10000x10000 pixels is over the limit",
        ),
        ("notes.png", lambda path: path.write_text("not a picture at all\n"), "notes.png: not a"),
    ],
)
def test_bad_uploads_are_refused_and_the_server_stays_up(
    server, page, tmp_path: Path, name: str, make, message: str
) -> None:
    path = tmp_path / name
    make(path)
    page.goto(f"{server.url}/similar")
    page.locator("input[type=file]").set_input_files(path)
    page.get_by_text(message).wait_for()
    assert page.get_by_test_id("stException").count() == 0
    assert server.healthy()
    page.goto(server.url)
    page.get_by_text("The happiest character is").wait_for()
