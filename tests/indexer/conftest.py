from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def episodes_640(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three 8-second 640x360 episodes (the cascades' native scale), by the real command."""
    from toon.cli import main

    out = tmp_path_factory.mktemp("episodes640")
    args = ["synth", "episodes", str(out), "--count", "3", "--seconds", "8", "--seed", "31"]
    assert main([*args, "--json"]) == 0
    return out


@pytest.fixture(scope="session")
def indexer():  # noqa: ANN201
    """The shipped cascades and model, loaded once."""
    from indexer.finder import SHIPPED
    from indexer.library import Indexer
    from indexer.pipeline import PassSettings
    from model.store import DEFAULT

    return Indexer.load(DEFAULT, SHIPPED, PassSettings())
