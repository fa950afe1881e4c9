"""`toon similar` on pictures that are no face, too large, or a character the warehouse lacks:
the same limits as the dashboard, checked before TensorFlow loads, and a search that says when
the model sees no face of the cast instead of presenting its nearest faces as a match."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import ROOT, run_toon
from warehouse import reader


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


def declaring(width: int, height: int) -> bytes:
    """A small real PNG whose header declares width x height pixels (a decompression bomb)."""
    data = bytearray(png(np.zeros((1, 1), np.uint8)))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def test_a_bomb_is_refused_before_tensorflow_loads(indexed: Path, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(declaring(20000, 20000))
    code = (
        "import sys\nfrom toon.cli import main\nrc = main(sys.argv[1:])\n"
        "print('tensorflow' in sys.modules)\nsys.exit(rc)"
    )
    args = ["similar", "--warehouse", str(indexed), str(bomb)]
    res = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert (res.returncode, res.stdout) == (2, "False\n")
    assert res.stderr == (
        f"toon: error: {bomb}: declares more pixels than the limit of 16.8 million for a "
        "picture; send a smaller one\n"
    )


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("text.png", b"just some text\n", "not a picture (Toon reads PNG, JPEG, WEBP, BMP files)"),
        ("empty.png", b"", "the file is empty"),
        ("big.png", b"\0" * (5 * 2**20 + 1), "5.0 MB is over the 5 MB limit for a picture"),
    ],
)
def test_bad_pictures_get_one_line(
    indexed: Path, tmp_path: Path, name: str, data: bytes, expected: str
) -> None:
    picture = tmp_path / name
    picture.write_bytes(data)
    rc, out, err = run_toon(["similar", "--warehouse", str(indexed), str(picture)])
    assert (rc, out, err) == (2, "", f"toon: error: {picture}: {expected}\n")


def test_an_unknown_character_is_an_error_not_no_rows(indexed: Path, tmp_path: Path) -> None:
    face = tmp_path / "face.png"
    face.write_bytes(png(np.full((64, 64, 3), 255, np.uint8)))
    rc, out, err = run_toon(
        ["similar", "--warehouse", str(indexed), str(face), "--character", "nobody"]
    )
    assert (rc, out) == (2, "")
    assert err == (
        "toon: error: no faces of character 'nobody' in the warehouse (has: jerry, tom)\n"
    )


@pytest.mark.parametrize(
    "picture",
    [
        np.full((64, 64, 3), 255, np.uint8),  # a blank page
        np.full((1, 1, 3), 128, np.uint8),  # one pixel
        np.zeros((64, 64, 4), np.uint8),  # fully transparent
    ],
    ids=["blank", "1x1", "transparent"],
)
def test_no_face_is_said_so(indexed: Path, tmp_path: Path, picture: np.ndarray) -> None:
    query = tmp_path / "query.png"
    query.write_bytes(png(picture))
    rc, out, err = run_toon(["similar", "--warehouse", str(indexed), str(query), "--json"])
    assert rc == 0, err
    assert err.startswith(
        f"toon: note: {query}: the model sees no face of the cast in this picture (P(other) "
    )
    rows = json.loads(out)
    assert rows and all(r["query_not_a_face"] is True for r in rows)
    assert all(r["query_p_other"] >= 0.5 for r in rows)


def test_a_face_of_the_cast_is_a_plain_answer(indexed: Path, tmp_path: Path) -> None:
    face = tmp_path / "face.jpg"
    with reader.connect(indexed) as con:
        face.write_bytes(con.execute("SELECT jpeg FROM thumbnails LIMIT 1").fetchone()[0])
    rc, out, err = run_toon(["similar", "--warehouse", str(indexed), str(face), "--json"])
    assert (rc, err) == (0, "")
    rows = json.loads(out)
    assert rows and all(r["query_not_a_face"] is False for r in rows)
    assert all(r["query_p_other"] < 0.5 for r in rows)
