from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.serve import ServeOptions, streamlit_command
from tests.conftest import run_toon


def test_streamlit_is_served_safely() -> None:
    command = streamlit_command(ServeOptions(port=9000))
    for flag in (
        "--server.address=127.0.0.1",
        "--server.port=9000",
        "--server.enableXsrfProtection=true",
        "--server.maxUploadSize=5",
        "--client.showErrorDetails=none",
        "--browser.gatherUsageStats=false",
    ):
        assert flag in command


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--warehouse", "{tmp}"], "toon: error: {tmp}: no warehouse here (no toon.duckdb;"),
        (["--warehouse", "{tmp}", "--port", "0"], "a port is 1-65535, got 0"),
        (["--warehouse", "{tmp}", "--port", "web"], "expected a port number, got 'web'"),
    ],
)
def test_bad_arguments_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    rc, out, err = run_toon(["dashboard", *(a.format(tmp=tmp_path) for a in args)])
    assert rc == 2
    assert len(err.splitlines()) == 1 and message.format(tmp=tmp_path) in err


def test_a_folder_that_is_no_model_is_refused(warehouse: Path, tmp_path: Path) -> None:
    rc, out, err = run_toon(["dashboard", "--warehouse", str(warehouse), "--model", str(tmp_path)])
    assert (rc, err) == (2, f"toon: error: {tmp_path}: not a model folder (no model.keras)\n")
