from __future__ import annotations

import io
from contextlib import nullcontext as does_not_raise

import cv2
import numpy as np
import pytest
from PIL import Image

from model.pictures import MAX_BYTES, PictureError, check_image, read_face


def encoded(fmt: str, size_wh: tuple[int, int] = (40, 30), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size_wh, 128).save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "expected", "expectation"),
    [
        (encoded("PNG"), ("PNG", 40, 30), does_not_raise()),
        (encoded("JPEG"), ("JPEG", 40, 30), does_not_raise()),
        (encoded("WEBP"), ("WEBP", 40, 30), does_not_raise()),
        (encoded("BMP"), ("BMP", 40, 30), does_not_raise()),
        (encoded("PNG", (4096, 4096), "L"), ("PNG", 4096, 4096), does_not_raise()),
        (b"", None, pytest.raises(PictureError, match="^x.png: the file is empty$")),
        (
            b"just some text\n",
            None,
            pytest.raises(PictureError, match=r"^x.png: not a picture \(Toon reads"),
        ),
        (encoded("GIF"), None, pytest.raises(PictureError, match="^x.png: not a picture")),
        (
            encoded("PNG", (10_000, 10_000), "L"),
            None,
            pytest.raises(PictureError, match="^x.png: 10000x10000 pixels is over the limit"),
        ),
        (
            encoded("PNG", (4097, 4096), "L"),
            None,
            pytest.raises(PictureError, match="^x.png: 4097x4096 pixels is over the limit"),
        ),
        (
            b"\x89PNG" + bytes(MAX_BYTES),
            None,
            pytest.raises(PictureError, match=r"^x.png: 5.0 MB is over the 5 MB limit"),
        ),
    ],
)
def test_check_image(data: bytes, expected, expectation) -> None:
    with expectation:
        assert check_image(data, "x.png") == expected


def test_read_face_fits_the_model_input_and_lays_transparency_on_white() -> None:
    rgba = np.zeros((90, 60, 4), np.uint8)
    rgba[30:60, 20:40] = (0, 0, 255, 255)  # an opaque red block (BGRA) on transparency
    ok, png = cv2.imencode(".png", rgba)
    face = read_face(png.tobytes(), "drawing", 64)
    assert face.shape == (64, 64, 3) and face.dtype == np.uint8
    assert face[0, 0].tolist() == [255, 255, 255]
    assert face[32, 32].tolist() == [255, 0, 0]


def test_read_face_refuses_a_header_without_pixels() -> None:
    png = encoded("PNG", (64, 64))
    with pytest.raises(PictureError, match="^cut.png: the picture's header is fine but its pixels"):
        read_face(png[:60], "cut.png", 64)
