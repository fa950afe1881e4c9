"""The dashboard timed in a real browser: Debian's Chromium, driven by Playwright, against
`toon dashboard` serving a warehouse.

For each warehouse it prints
- first paint of Overview: from navigation in a fresh browser context to the sentence that
  names the happiest character (the page's answer) being on screen;
- the Similar round trip: from handing the browser a sketch PNG to k thumbnails decoded.
Each is measured `--runs` times; the first run of each is also reported alone (a cold server:
the first Overview query, the first embedding loads TensorFlow and the model).
With `--shots DIR` it also saves a screenshot of every page of the first warehouse.

    .venv/bin/python bench/dashboard.py demo_data/warehouse data/dash200/warehouse \
        --shots docs/dashboard
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/cascades.py would hide the cascades package
from core.vocabulary import EMOTIONS as ALL_EMOTIONS  # noqa: E402
from synth.facesets import face_crop  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, Server, wait_for_results  # noqa: E402
from warehouse import catalog, reader  # noqa: E402

K = 10
VIEWPORT = {"width": 1400, "height": 1000}
EMOTIONS = ALL_EMOTIONS[:6]  # the sketches cycle through these (neutral left out)


def sketches(folder: Path, n: int) -> list[Path]:
    """n sketch PNGs of an unseen seed, one emotion after another."""
    paths = []
    for k in range(n):
        face = face_crop(("tom", "jerry")[k % 2], EMOTIONS[k % 6], np.random.default_rng(7300 + k),
                         "sketch", 128).rgb  # fmt: skip
        paths.append(folder / f"sketch-{k}.png")
        cv2.imwrite(str(paths[-1]), cv2.cvtColor(face, cv2.COLOR_RGB2BGR))
    return paths


def first_paint(browser, url: str) -> float:  # noqa: ANN001
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    page.get_by_text("The happiest character is").wait_for(timeout=120_000)
    seconds = time.perf_counter() - start
    context.close()
    return seconds


def similar_round_trip(browser, url: str, sketch: Path) -> float:  # noqa: ANN001
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(120_000)
    page = context.new_page()
    page.goto(f"{url}/similar")
    upload = page.locator("input[type=file]")
    upload.wait_for(state="attached")
    page.get_by_text("Upload a picture or draw a face to search.").wait_for()
    start = time.perf_counter()
    upload.set_input_files(sketch)
    wait_for_results(page, K)
    seconds = time.perf_counter() - start
    context.close()
    return seconds


def screenshots(browser, server: Server, out: Path, sketch: Path) -> None:  # noqa: ANN001
    """One PNG per page, each showing what the page is for."""
    out.mkdir(parents=True, exist_ok=True)
    with reader.connect(server.warehouse) as con:
        episode = catalog.episodes(con)[0]["episode_id"]
        rows = catalog.timeline(con, episode)
        moment = rows[len(rows) // 2]["time_s"]
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(120_000)
    page = context.new_page()
    for name, path, ready in [
        ("overview", "", "The happiest character is"),
        ("rankings", "rankings", "Rankings"),
        ("episode", f"episode?episode={episode}&t={moment:g}", f"Faces at {moment:.1f} s"),
        ("recommend", "recommend", "I'm in the mood for"),
        ("references", "references", "Download as a zip"),
        ("similar", "similar", "Upload a picture or draw a face to search."),
        ("sql", "sql", "Examples that teach the schema"),
        ("model", "model", "What the convolutions see"),
        ("label", "label", "Label faces"),
    ]:
        page.goto(f"{server.url}/{path}")
        page.get_by_text(ready).first.wait_for()
        if name == "similar":
            page.locator("input[type=file]").set_input_files(sketch)
            wait_for_results(page, K)
        if name == "sql":
            page.get_by_role("button", name="Run").click()
            page.get_by_test_id("stDataFrame").wait_for()
        # not "networkidle": the Episode page's video and Streamlit's socket keep the network busy
        time.sleep(1)  # charts and thumbnails settle
        page.screenshot(path=out / f"{name}.png")
    context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouses", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--shots", type=Path, help="save a screenshot of every page here")
    args = parser.parse_args()
    if not CHROMIUM.is_file():
        parser.error(f"{CHROMIUM}: not installed (`make test` installs it)")
    from playwright.sync_api import sync_playwright

    report = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        queries_png = sketches(Path(tmp), args.runs)
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for n, folder in enumerate(args.warehouses):
            server = Server(folder.resolve(), Path(tmp) / f"labels-{n}")
            try:
                with reader.connect(folder) as con:
                    size = catalog.overview(con)
                paint = [first_paint(browser, server.url) for _ in range(args.runs)]
                trip = [similar_round_trip(browser, server.url, q) for q in queries_png]
                if args.shots and n == 0:
                    screenshots(browser, server, args.shots, queries_png[0])
            finally:
                server.stop()
            row = {
                "warehouse": str(folder),
                "episodes": size["episodes"],
                "faces": size["faces"],
                "overview_first_paint_s": {"cold": paint[0], "median": statistics.median(paint)},
                "similar_round_trip_s": {"cold": trip[0], "median": statistics.median(trip)},
            }
            report.append(row)
            print(
                f"{folder}: {size['episodes']} episodes, {size['faces']:,} faces | Overview first "
                f"paint {paint[0]:.2f} s cold, median {statistics.median(paint):.2f} s | Similar "
                f"round trip {trip[0]:.2f} s cold, median {statistics.median(trip):.2f} s "
                f"({args.runs} runs each)",
                flush=True,
            )
        browser.close()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
