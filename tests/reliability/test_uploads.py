"""Hostile pictures sent to the running dashboard's Similar page: each is refused with one line
before its pixels are decoded, the server's peak memory grows by less than 200 MB over all of
them, and the server stays up and answers the next search."""

from __future__ import annotations

import shutil
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.browser import memory_mb, reset_peak, wait_for_results

GROWTH_MB = 200


def png(path: Path, side: int, depth: int = 8, colour: int = 0) -> None:
    """A black PNG of side x side pixels written row by row: a small file whatever it decodes to
    (colour 0 grey, 6 RGBA; depth 8 or 16 bits a sample)."""
    channels = {0: 1, 6: 4}[colour]
    row = bytes(1 + side * channels * depth // 8)  # the filter byte, then the samples
    z = zlib.compressobj(9)
    data = b"".join(z.compress(row) for _ in range(side)) + z.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", side, side, depth, colour, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def truncated(path: Path) -> None:
    ok, data = cv2.imencode(".png", np.random.default_rng(0).integers(0, 255, (256, 256, 3)))
    path.write_bytes(data.tobytes()[:2000])


def mp4_as_png(path: Path, episodes: Path) -> None:
    shutil.copy(sorted(episodes.glob("*.mp4"))[0], path)


CASES: dict[str, tuple[Callable, str]] = {
    "bomb-10000.png": (lambda p, e: png(p, 10_000), "10000x10000 pixels is over the limit"),
    "bomb-20000.png": (  # past Pillow's own bomb limit: refused while the header is read
        lambda p, e: png(p, 20_000),
        "declares more pixels than the limit of 16.8 million",
    ),
    "deep-4000.png": (
        lambda p, e: png(p, 4000, depth=16, colour=6),
        "4000x4000 pixels of 16 bits would decode to 122 MB, over the limit of 64 MB",
    ),
    "truncated.png": (lambda p, e: truncated(p), "its pixels cannot be decoded"),
    "notes.png": (lambda p, e: p.write_text("not a picture\n" * 10), "not a picture"),
    "episode.png": (mp4_as_png, "not a picture"),
}


@pytest.mark.browser
def test_hostile_uploads_are_refused_in_little_memory(
    server, page, tmp_path: Path, tiny_episodes: Path
) -> None:
    # a real search first: the model is loaded and the page warm, so what grows after is theirs
    face = tmp_path / "face.png"
    png(face, 64)
    page.goto(f"{server.url}/similar")
    page.locator("input[type=file]").set_input_files(face)
    wait_for_results(page, 10)
    pid = server.process.pid
    reset_peak(pid)
    before = memory_mb(pid, "VmRSS")

    for name, (make, message) in CASES.items():
        path = tmp_path / name
        make(path, tiny_episodes)
        page.goto(f"{server.url}/similar")
        page.locator("input[type=file]").set_input_files(path)
        page.get_by_text(f"{name}: ").filter(has_text=message).wait_for()
        assert page.get_by_test_id("stException").count() == 0, name
        assert server.healthy(), name

    growth = memory_mb(pid, "VmHWM") - before
    print(f"server memory: {before:.0f} MB before, peak growth {growth:.1f} MB over {len(CASES)}")
    assert growth < GROWTH_MB
    page.goto(f"{server.url}/similar")
    page.locator("input[type=file]").set_input_files(face)
    wait_for_results(page, 10)
