"""A real warehouse built by `toon index` from synthetic episodes, a real `toon dashboard`
serving it, and Debian's Chromium driven by Playwright: one of each per test session, shared by
the dashboard's tests and the reliability tests (tests/conftest.py loads this as a plugin)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_toon

CHROMIUM = Path("/usr/bin/chromium")
# As root in a container Chromium needs --no-sandbox; with no network, background services
# would only fail to connect.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_S = 60


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three 10-second episodes indexed with the shipped cascades and model."""
    root = tmp_path_factory.mktemp("dashboard")
    episodes, folder = root / "episodes", root / "warehouse"
    args = ["synth", "episodes", str(episodes), "--count", "3", "--seconds", "10"]
    assert run_toon([*args, "--seed", "41", "--json"])[0] == 0
    rc, out, err = run_toon(["index", str(episodes), "--warehouse", str(folder), "--json"])
    assert rc == 0, err
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`toon dashboard` in its own process."""

    def __init__(
        self,
        warehouse: Path | None,
        labels: Path,
        frames: Path | None = None,
        cast: Path | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.labels = labels
        self.warehouse = warehouse
        self.log = labels.parent / "dashboard.log"
        command = [sys.executable, "-m", "toon", "dashboard", "--port", str(self.port)]
        if warehouse is not None:
            command += ["--warehouse", str(warehouse), "--labels", str(labels)]
        if frames is not None:
            command += ["--frames", str(frames)]
        if cast is not None:
            command += ["--cast", str(cast)]
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=self.log.open("w"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + SERVER_START_S
        while not self.healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the dashboard did not start:\n{self.log.read_text()}")
            time.sleep(0.25)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                return r.read() == b"ok"
        except OSError:
            return False

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="session")
def server(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(warehouse, tmp_path_factory.mktemp("served") / "labels")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM}: not installed (`make test` installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser) -> Iterator:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)  # the first embedding loads TensorFlow in the server
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the journeys save their screenshots: TOON_SCREENSHOTS, or a temporary folder."""
    folder = os.environ.get("TOON_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


RESULT_LINK = re.compile(r"^\S+ at \d+ s$")  # each result's link to its moment


def loaded_images(page) -> int:  # noqa: ANN001
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('[data-testid=stImage] img'))"
        ".filter(i => i.complete && i.naturalWidth > 0).length"
    )


def wait_for_results(page, k: int) -> None:  # noqa: ANN001
    """k result links, and every picture (the query and k thumbnails) decoded."""
    page.get_by_text(f"{k} nearest faces").wait_for()
    page.wait_for_function(
        "n => Array.from(document.querySelectorAll('[data-testid=stImage] img'))"
        ".filter(i => i.complete && i.naturalWidth > 0).length >= n",
        arg=k + 1,
    )
    from playwright.sync_api import expect

    expect(page.get_by_role("link", name=RESULT_LINK)).to_have_count(k)
    assert loaded_images(page) == k + 1


def memory_mb(pid: int, field: str) -> float:
    """A /proc/PID/status figure (VmRSS: now, VmHWM: the peak) in MB."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return int(next(line for line in lines if line.startswith(f"{field}:")).split()[1]) / 1024


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM starts again from VmRSS


def run_query(page, sql: str) -> None:  # noqa: ANN001
    """Type `sql` on the SQL page and press Run."""
    box = page.get_by_label("Query")
    box.fill(sql)
    box.press("Control+Enter")  # commit the text area before the button reads it
    page.get_by_role("button", name="Run").click()
