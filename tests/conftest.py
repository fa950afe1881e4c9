from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path

import pytest

# The dashboard's server, browser and their warehouse, for every folder of tests that needs them.
pytest_plugins = ["tests.browser"]

ROOT = Path(__file__).resolve().parents[1]
TOON = [sys.executable, "-m", "toon"]


def run_toon(args: list[str]) -> tuple[int, str, str]:
    """`toon ARGS` in this process: exit code, stdout and stderr."""
    from toon.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(args)
        except SystemExit as exc:  # argparse's usage errors
            rc = int(exc.code or 0)
    return rc, out.getvalue(), err.getvalue()


def start_python(code: str, *args: str) -> subprocess.Popen:
    """`python -c CODE ARGS` started in the repository, its output captured as text: a second
    process that reads or writes alongside the test."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="session")
def tiny_episodes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two 3-second 320x180 episodes written by the real command, shared by the session."""
    from toon.cli import main

    out = tmp_path_factory.mktemp("episodes")
    rc = main(
        [
            "synth",
            "episodes",
            str(out),
            "--count",
            "2",
            "--seconds",
            "3",
            "--seed",
            "11",
            "--width",
            "320",
            "--height",
            "180",
            "--json",
        ]
    )
    assert rc == 0
    return out


@pytest.fixture(scope="session")
def episodes_640(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three 8-second 640x360 episodes (the cascades' native scale), by the real command."""
    from toon.cli import main

    out = tmp_path_factory.mktemp("episodes640")
    args = ["synth", "episodes", str(out), "--count", "3", "--seconds", "8", "--seed", "31"]
    assert main([*args, "--json"]) == 0
    return out


# An artist show the shipped finder never learned from (it learned from artists-1000..1149).
ARTIST_SHOW = "artists-9500"


@pytest.fixture(scope="session")
def artist_episodes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two 8-second episodes of a show drawn by two of the renderer's random artists."""
    from toon.cli import main

    out = tmp_path_factory.mktemp("artist-show")
    args = ["synth", "episodes", str(out), "--show", ARTIST_SHOW, "--count", "2"]
    assert main([*args, "--seconds", "8", "--seed", "3", "--json"]) == 0
    return out


@pytest.fixture(scope="session")
def proposed_cast(artist_episodes: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`toon cast propose` with the shipped finder and model on those episodes (a test that
    names its groups works on a copy)."""
    import json

    out = tmp_path_factory.mktemp("cast") / "cast"
    rc, stdout, err = run_toon(
        ["cast", "propose", str(artist_episodes), "--out", str(out), "--sample-fps", "3", "--json"]
    )
    assert rc == 0, err
    report = json.loads(stdout)
    assert report["faces"] == sum(g["faces"] for g in report["groups"]) > 0
    return out
