from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import TOON


def run(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([*TOON, *map(str, args)], capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="session")
def faces_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """168 synthetic faces (8 per character and emotion) and 24 non-faces."""
    out = tmp_path_factory.mktemp("faces")
    res = run("synth", "faces", out, "--count", 168, "--seed", 3, "--nonfaces", 24, "--json")
    assert res.returncode == 0, res.stderr
    return out


@pytest.fixture(scope="session")
def toon_model(faces_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("models") / "toon"
    res = run("train", faces_dir, "--out", out, "--epochs", 2, "--json")
    assert res.returncode == 0, res.stderr
    return out
