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


def test_a_model_that_did_not_index_the_warehouse_is_refused(
    warehouse: Path, tmp_path: Path
) -> None:
    (tmp_path / "model.keras").write_bytes(b"other weights")
    rc, out, err = run_toon(["dashboard", "--warehouse", str(warehouse), "--model", str(tmp_path)])
    assert rc == 2 and err.startswith(
        f"toon: error: {tmp_path}: the warehouse was indexed with another model ("
    )
    assert err.endswith("); pass that one with --model\n") and err.count("\n") == 1


def test_a_folder_that_is_no_model_is_refused(warehouse: Path, tmp_path: Path) -> None:
    rc, out, err = run_toon(["dashboard", "--warehouse", str(warehouse), "--model", str(tmp_path)])
    assert (rc, err) == (2, f"toon: error: {tmp_path}: not a model folder (no model.keras)\n")


@pytest.mark.parametrize(
    ("text", "duration_s", "expected"),
    [
        (None, 30.0, None),
        ("12.5", 30.0, 12.5),
        ("0", 30.0, 0.0),
        ("30", 30.0, 30.0),
        ("30.5", 30.0, None),
        ("-1", 30.0, None),
        ("nan", 30.0, None),
        ("inf", None, None),
        ("abc", 30.0, None),
        ("", 30.0, None),
        ("1e6", None, 1e6),  # an episode of unknown length takes any moment
    ],
)
def test_start_time(text, duration_s, expected) -> None:  # noqa: ANN001
    from dashboard.ui import start_time

    assert start_time(text, duration_s) == expected
