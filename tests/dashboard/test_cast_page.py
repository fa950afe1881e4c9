"""The Cast page: a person names and rejects the finder's groups in the browser, and the names
land where `toon cast export` reads them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from indexer.cast import MARKER, NAMES, REST, read_names
from tests.browser import Server
from tests.conftest import run_toon


def test_dashboard_on_a_folder_that_is_no_cast_says_so(tmp_path: Path) -> None:
    rc, _, err = run_toon(["dashboard", "--cast", str(tmp_path)])
    assert rc == 2 and err.count("\n") == 1 and "not a cast folder" in err


@pytest.mark.browser
def test_naming_and_rejecting_groups_in_the_browser(
    proposed_cast: Path, tmp_path: Path, browser, screenshots: Path
) -> None:
    folder = tmp_path / "cast"
    shutil.copytree(proposed_cast, folder)
    groups = [g["name"] for g in json.loads((folder / MARKER).read_text())["groups"]]
    groups = [g for g in groups if g != REST]  # the small ones are not shown one by one
    first, second = groups[0], groups[1]
    server = Server(None, tmp_path / "labels", cast=folder)  # before any warehouse exists
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        page.goto(server.url)
        page.get_by_role("heading", name="Name the cast").wait_for()
        sheets = page.locator("img")
        sheets.nth(len(groups) - 1).wait_for()  # every group's contact sheet is shown
        box = page.get_by_label("Character", exact=True).first
        box.fill("hero")
        page.get_by_role("button", name="Name", exact=True).first.click()
        page.get_by_text(f"Saved {first}: hero").wait_for()
        page.get_by_role("button", name="Reject", exact=True).nth(1).click()
        page.get_by_text(f"Saved {second}: rejected").wait_for()
        page.screenshot(path=str(screenshots / "cast.png"), full_page=True)
        # an empty name is refused on the page, and nothing is written for it
        page.get_by_role("button", name="Name", exact=True).nth(2).click()
        page.get_by_text("type the character's name first").wait_for()
    finally:
        context.close()
        server.stop()
    assert read_names(folder) == {first: "hero", second: None}
    assert json.loads((folder / NAMES).read_text())["groups"] == {first: "hero", second: None}
