"""How one picture without faces becomes frames and windows, the way footage meets the detectors.

A picture is read whatever its format (`load_rgb`), judged for whether it tiles without a seam
(`tileable_axes`), shown at a few zoom levels (`frame_scales`, `cut_frame`) and cut into square
windows at the sizes of cascade windows (`window_boxes`): `cut_picture` does all of it from
one generator. Pure numpy and OpenCV; `synth/realworld.py` picks the pictures and writes the
files.

Example:
    >>> rng = np.random.default_rng(0)
    >>> frames, windows = cut_picture(load_rgb(Path("grass.png")), rng, CutSettings())
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

# A picture tiles along an axis when the step from its last column (row) to its first is at
# most this many typical neighbour steps: game textures made to tile score about 1, photos 3-100.
SEAMLESS_RATIO = 2.5
_EPS_PX = 1e-6  # a window this much longer than the picture still fits it (float rounding)


@dataclass(frozen=True)
class CutSettings:
    """How pictures become frames and windows."""

    # zoom levels per picture: from the whole picture (or a wide tiling) to a close view
    frames_per_image: int = 3
    crops_per_image: int = 4
    # the episodes' size: cascades and the indexer meet these frames as they meet footage
    frame_wh: tuple[int, int] = (640, 360)
    # sides of the windows at frame scale: the face sizes episodes show
    # (synth.facesets.NATIVE_HEIGHT_PX), so windows are cut where cascade windows land
    window_side_px: tuple[float, float] = (30.0, 200.0)
    crop_px: int = 64  # the model's input size
    # a large picture is seen from whole (covering the frame) to this many times closer, but
    # never beyond its own pixels: upscaled photos are blur, not texture
    max_zoom: float = 4.0
    # a picture smaller than the frame is shown at these scales, tiled along the axes it tiles
    # on (`tileable_axes`) and scaled up to cover the frame along the others
    tile_scale: tuple[float, float] = (0.5, 2.0)
    # grey levels; below this a picture is one flat colour and teaches nothing
    min_grey_std: float = 2.0
    jpeg_quality: int = 92

    def __post_init__(self) -> None:
        lo, hi = self.window_side_px
        rules = {
            "frames_per_image >= 1": self.frames_per_image >= 1,
            "crops_per_image >= 0": self.crops_per_image >= 0,
            "frame_wh even and >= 64": all(v >= 64 and v % 2 == 0 for v in self.frame_wh),
            "0 < window_side_px[0] <= [1] <= frame height": 0 < lo <= hi <= self.frame_wh[1],
            "max_zoom >= 1": self.max_zoom >= 1,
        }
        broken = [rule for rule, ok in rules.items() if not ok]
        if broken:
            raise ValueError(f"Bad CutSettings: {'; '.join(broken)} (got {self})")


def load_rgb(path: Path, matte_rgb: tuple[int, int, int] = (128, 128, 128)) -> np.ndarray:
    """Any picture Pillow reads (JPEG, PNG, WebP, DDS, TGA, ...) as (H, W, 3) uint8 RGB.

    Transparent parts are laid over `matte_rgb`; 16-bit pictures are brought to 8 bits.

    Example:
        >>> load_rgb(Path("grass.png")).shape
        (512, 512, 3)
    """
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
                deep = np.asarray(im, np.float64)
                top = 65535.0 if deep.max() > 255 else 255.0
                im = Image.fromarray(np.clip(deep / top * 255.0, 0, 255).astype(np.uint8))
            rgba = np.asarray(im.convert("RGBA"))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError(f"{path}: not a picture Pillow can read ({exc})") from None
    if rgba[..., 3].min() == 255:
        return np.ascontiguousarray(rgba[..., :3])
    alpha = rgba[..., 3:].astype(np.float32) / 255.0
    rgb = rgba[..., :3] * alpha + np.asarray(matte_rgb, np.float32) * (1.0 - alpha)
    return np.round(rgb).astype(np.uint8)


def tileable_axes(rgb: np.ndarray) -> tuple[bool, bool]:
    """Whether a (H, W, 3) picture repeats without a visible seam along x and along y: the step
    from its last column (row) to its first is no larger than `SEAMLESS_RATIO` typical steps
    between neighbours, as in game textures made to tile.

    Example:
        >>> tileable_axes(np.tile(np.arange(8, dtype=np.uint8)[None, :, None] * 30, (8, 1, 3)))
        (False, True)
    """
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    step_x = float(np.abs(np.diff(g, axis=1)).mean()) if g.shape[1] > 1 else 0.0
    step_y = float(np.abs(np.diff(g, axis=0)).mean()) if g.shape[0] > 1 else 0.0
    wrap_x = float(np.abs(g[:, 0] - g[:, -1]).mean())
    wrap_y = float(np.abs(g[0] - g[-1]).mean())
    # +1 grey level: flat pictures have no typical step to compare with
    return wrap_x <= SEAMLESS_RATIO * (step_x + 1.0), wrap_y <= SEAMLESS_RATIO * (step_y + 1.0)


def frame_scales(
    image_wh: tuple[int, int],
    tileable: tuple[bool, bool],
    rng: np.random.Generator,
    settings: CutSettings,
) -> np.ndarray:
    """Frame pixels per picture pixel for each frame, one per zoom band, widest first: (F,).

    A picture that covers a frame is seen from whole to `max_zoom` times closer (never beyond
    its own pixels); a smaller one at `tile_scale`, tiled along the axes it tiles on and scaled
    up to cover the frame along the others.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> frame_scales((5120, 2880), (False, False), rng, CutSettings()).round(3)
        array([0.168, 0.225, 0.321])
    """
    need = (settings.frame_wh[0] / image_wh[0], settings.frame_wh[1] / image_wh[1])
    cover = max(need)
    if cover <= 1.0:
        lo, hi = cover, min(1.0, cover * settings.max_zoom)
    else:
        lo = max(
            [settings.tile_scale[0]] + [n for n, t in zip(need, tileable, strict=True) if not t]
        )
        hi = max(lo, settings.tile_scale[1])
    n = settings.frames_per_image
    bands = (np.arange(n) + rng.uniform(0.0, 1.0, n)) / n
    return np.exp(np.log(lo) + bands * (np.log(hi) - np.log(lo)))


def cut_frame(
    rgb: np.ndarray, scale: float, rng: np.random.Generator, frame_wh: tuple[int, int]
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """A (H, W, 3) frame of `rgb` at `scale`, from a random place; the picture repeats (tiles)
    along an axis where the window is longer than it. Returns the frame and the window in
    picture pixels.

    Example:
        >>> frame, xyxy = cut_frame(texture, 1.0, np.random.default_rng(0), (640, 360))
    """
    h, w = rgb.shape[:2]
    win_w, win_h = frame_wh[0] / scale, frame_wh[1] / scale
    x0 = rng.uniform(0.0, max(w - win_w, 0.0)) if win_w <= w + _EPS_PX else rng.uniform(0.0, w)
    y0 = rng.uniform(0.0, max(h - win_h, 0.0)) if win_h <= h + _EPS_PX else rng.uniform(0.0, h)
    x1, y1 = int(np.floor(x0)), int(np.floor(y0))
    x2 = max(int(np.ceil(x0 + win_w - _EPS_PX)), x1 + 1)
    y2 = max(int(np.ceil(y0 + win_h - _EPS_PX)), y1 + 1)
    reps_x, reps_y = -(-x2 // w), -(-y2 // h)
    big = np.tile(rgb, (reps_y, reps_x, 1)) if reps_x > 1 or reps_y > 1 else rgb
    interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    frame = cv2.resize(big[y1:y2, x1:x2], frame_wh, interpolation=interp)
    return frame, (x0, y0, x0 + win_w, y0 + win_h)


def window_boxes(count: int, rng: np.random.Generator, settings: CutSettings) -> np.ndarray:
    """(count, 4) square windows in xyxy frame pixels, sides log-uniform in `window_side_px`,
    wholly inside the frame.

    Example:
        >>> window_boxes(2, np.random.default_rng(0), CutSettings()).shape
        (2, 4)
    """
    side = np.round(np.exp(rng.uniform(*np.log(settings.window_side_px), count)))
    x = np.floor(rng.uniform(0.0, 1.0, count) * (settings.frame_wh[0] - side + 1))
    y = np.floor(rng.uniform(0.0, 1.0, count) * (settings.frame_wh[1] - side + 1))
    return np.column_stack([x, y, x + side, y + side])


@dataclass(frozen=True)
class Cut:
    """A frame or a window cut from a picture."""

    rgb: np.ndarray  # (H, W, 3) uint8
    scale: float  # output pixels per input pixel
    xyxy: tuple[float, float, float, float]  # where, in the input's pixels
    frame: int = -1  # a window's frame, as an index into the picture's frames


def cut_picture(
    rgb: np.ndarray, rng: np.random.Generator, settings: CutSettings
) -> tuple[list[Cut], list[Cut]]:
    """A picture's frames (one per zoom level, widest first) and its windows, taken from the
    frames in turn so that every zoom level gives some.

    Example:
        >>> frames, windows = cut_picture(photo, np.random.default_rng(0), CutSettings())
        >>> len(frames), windows[0].rgb.shape
        (3, (64, 64, 3))
    """
    frames = []
    for scale in frame_scales((rgb.shape[1], rgb.shape[0]), tileable_axes(rgb), rng, settings):
        frame, xyxy = cut_frame(rgb, float(scale), rng, settings.frame_wh)
        frames.append(Cut(frame, float(scale), xyxy))
    windows = []
    boxes = window_boxes(settings.crops_per_image, rng, settings).astype(int)
    for j, (x1, y1, x2, y2) in enumerate(boxes):
        k = j % len(frames)
        crop = cv2.resize(
            frames[k].rgb[y1:y2, x1:x2], (settings.crop_px,) * 2, interpolation=cv2.INTER_AREA
        )
        windows.append(Cut(crop, settings.crop_px / (x2 - x1), (x1, y1, x2, y2), k))
    return frames, windows
