"""Pictures a person brings (an upload, the drawing canvas, `toon similar IMAGE`), checked before
they are decoded, with the same limits in the dashboard and the CLI.

A picture is refused, with one line that names it, when it is over the byte limit, is not a
real PNG, JPEG, WebP or BMP file whatever its name says, or declares more pixels than a face
picture needs (a decompression bomb: a small file that would decode to gigabytes), counting
16-bit samples twice. Only the header is read for those checks; the pixels are decoded after.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from model.data import fit_rgb

MAX_UPLOAD_MB = 5  # server.maxUploadSize too: a face or a sketch is far below this
MAX_BYTES = MAX_UPLOAD_MB * 1024 * 1024
MAX_PIXELS = 4096 * 4096  # 16.8 Mpx, 64 MiB as RGBA: larger is no face picture
MAX_DECODED_BYTES = MAX_PIXELS * 4  # what decoding may allocate: 16-bit RGBA stops at 2896^2
FORMATS = ("PNG", "JPEG", "WEBP", "BMP")  # what both Pillow's header check and OpenCV read
SUFFIXES = ("png", "jpg", "jpeg", "webp", "bmp")


class PictureError(ValueError):
    """A picture Toon will not decode; the message is one line for the user."""


def check_image(data: bytes, name: str) -> tuple[str, int, int]:
    """(format, width, height) from the header of an upload, or PictureError.

    Example:
        >>> check_image(png_bytes, "face.png")
        ('PNG', 64, 64)
    """
    if not data:
        raise PictureError(f"{name}: the file is empty")
    if len(data) > MAX_BYTES:
        raise PictureError(
            f"{name}: {len(data) / 2**20:.1f} MB is over the {MAX_UPLOAD_MB} MB limit for a picture"
        )
    try:
        with warnings.catch_warnings():  # the pixel limit below decides, with a clearer message
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as im:  # parses the header only
                fmt, (width, height) = im.format, im.size
    except UnidentifiedImageError:
        raise PictureError(
            f"{name}: not a picture (Toon reads {', '.join(FORMATS)} files)"
        ) from None
    except Image.DecompressionBombError:  # Pillow's own, far above ours
        raise PictureError(
            f"{name}: declares more pixels than the limit of {MAX_PIXELS / 1e6:.1f} million "
            "for a picture; send a smaller one"
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise PictureError(f"{name}: a damaged picture ({exc})") from None
    if width * height > MAX_PIXELS:
        raise PictureError(
            f"{name}: {width}x{height} pixels is over the limit of {MAX_PIXELS / 1e6:.1f} "
            "million for a picture; send a smaller one"
        )
    depth = _png_depth(data) if fmt == "PNG" else 8
    decoded = width * height * 4 * max(depth, 8) // 8  # at most 4 channels once decoded
    if decoded > MAX_DECODED_BYTES:
        raise PictureError(
            f"{name}: {width}x{height} pixels of {depth} bits would decode to "
            f"{decoded / 2**20:.0f} MB, over the limit of {MAX_DECODED_BYTES / 2**20:.0f} MB "
            "for a picture; send a smaller one"
        )
    return fmt, width, height


def read_picture_file(path: Path) -> bytes:
    """The bytes of a picture file, checked as an upload is (size before reading, then the
    header), so a command line takes no more than the dashboard does."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such picture")
    if path.stat().st_size > MAX_BYTES:
        raise PictureError(
            f"{path}: {path.stat().st_size / 2**20:.1f} MB is over the {MAX_UPLOAD_MB} MB limit "
            "for a picture"
        )
    data = path.read_bytes()
    check_image(data, str(path))
    return data


def _png_depth(data: bytes) -> int:
    """Bits per sample from a PNG's header (its IHDR chunk always comes first)."""
    return data[24] if len(data) > 24 and data[12:16] == b"IHDR" else 8


def read_face(data: bytes, name: str, size: int) -> np.ndarray:
    """An upload checked, decoded and fitted to a model's input: (size, size, 3) RGB uint8;
    transparency on white, as a sketch drawn on paper."""
    check_image(data, name)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise PictureError(f"{name}: the picture's header is fine but its pixels cannot be decoded")
    return fit_rgb(image, size)
