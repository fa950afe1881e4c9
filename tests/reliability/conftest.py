from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_toon


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, tiny_episodes: Path) -> Path:
    """A warehouse `toon index` built from the tiny episodes, one per test file."""
    wh = tmp_path_factory.mktemp("indexed") / "wh"
    rc, _, err = run_toon(["index", str(tiny_episodes), "--warehouse", str(wh)])
    assert rc == 0, err
    return wh
