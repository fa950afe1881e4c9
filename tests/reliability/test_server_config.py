"""The running dashboard's server settings, read from the server itself: it listens on 127.0.0.1
only, refuses a write without the XSRF token, refuses an upload over the limit in the browser,
runs with tracebacks hidden and development features off; and serving beyond this machine
comes with a warning."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from model.pictures import MAX_UPLOAD_MB
from tests.conftest import run_toon

EXPECTED_FLAGS = {
    "--server.address=127.0.0.1",
    "--server.headless=true",
    "--server.enableXsrfProtection=true",
    f"--server.maxUploadSize={MAX_UPLOAD_MB}",
    "--server.fileWatcherType=none",
    "--client.showErrorDetails=none",
    "--client.toolbarMode=viewer",
    "--browser.gatherUsageStats=false",
    "--global.developmentMode=false",
}


def listening(port: int) -> set[str]:
    """The local addresses with a socket listening on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                if len(address) == 8:
                    found.add(socket.inet_ntop(socket.AF_INET, bytes.fromhex(address)[::-1]))
                else:
                    words = [bytes.fromhex(address[i : i + 8])[::-1] for i in range(0, 32, 8)]
                    found.add(socket.inet_ntop(socket.AF_INET6, b"".join(words)))
    return found


def test_the_server_runs_with_safe_settings(server) -> None:
    flags = set(Path(f"/proc/{server.process.pid}/cmdline").read_bytes().decode().split("\0"))
    assert EXPECTED_FLAGS <= flags
    assert listening(server.port) == {"127.0.0.1"}


def put_without_token(port: int, length: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(
            f"PUT /_stcore/upload_file/session/file HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Length: {length}\r\n\r\n".encode()
        )
        return s.recv(200).split(b"\r\n")[0]


def test_a_write_without_the_xsrf_token_is_forbidden(server) -> None:
    assert put_without_token(server.port, 100) == b"HTTP/1.1 403 Forbidden"
    assert server.healthy()


@pytest.mark.browser
def test_an_upload_over_the_limit_never_reaches_the_app(server, page, tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(MAX_UPLOAD_MB * 2**20 + 1))
    page.goto(f"{server.url}/similar")
    page.locator("input[type=file]").set_input_files(big)
    page.get_by_text(f"File must be {MAX_UPLOAD_MB:.1f}MB or smaller").wait_for()
    assert page.get_by_text("big.png: ").count() == 0  # the app's own check never saw it
    assert server.healthy()


@pytest.mark.parametrize(
    ("address", "warned"),
    [("127.0.0.1", False), ("localhost", False), ("::1", False), ("0.0.0.0", True)],
)
def test_serving_beyond_this_machine_warns(tmp_path: Path, address: str, warned: bool) -> None:
    rc, out, err = run_toon(["dashboard", "--warehouse", str(tmp_path), "--address", address])
    assert rc == 2  # no warehouse there: the check after the warning stops it
    warning = f"toon: warning: serving on {address}: anyone who can reach this machine"
    assert (warning in err) is warned
