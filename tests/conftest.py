from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOON = [sys.executable, "-m", "toon"]


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
