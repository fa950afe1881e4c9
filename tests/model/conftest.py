from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import TOON, run_toon


def run(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([*TOON, *map(str, args)], capture_output=True, text=True, timeout=900)


def run_here(*args: object) -> subprocess.CompletedProcess:
    """`toon ARGS` in this process, where TensorFlow is already loaded: for the runs a test
    expects to be refused, which would otherwise spend seconds starting it each time."""
    rc, out, err = run_toon([str(a) for a in args])
    return subprocess.CompletedProcess(list(args), rc, out, err)


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
