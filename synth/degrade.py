"""Making clean episodes look like old transfers: graded, grainy, soft, small and compressed.

Real cartoon episodes reach us as telecine transfers and broadcasts decades after the print was
made. `degrade_frame` gives one picture that look; `degrade_episodes` re-encodes a folder of
`toon synth episodes` output with it, keeping the resolution, the frame rate and every frame, so
the truth boxes still hold. The same seed gives the same pictures.

The frame is brought down to the transfer's resolution first and everything else but the final
upscale happens there: the look of an SD transfer, and a fraction of the pixels to work on.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from core.truth import truth_path
from core.video import VideoSink, probe, read_frames

STRENGTHS: tuple[str, ...] = ("light", "medium", "heavy")
CHANNEL_ORDERS: tuple[str, ...] = ("bgr", "rgb")
# Weave beyond this moves a face off its truth box by more than the box edges tolerate.
MAX_WEAVE_PX = 2.0
_LUMA_RGB = np.array([0.299, 0.587, 0.114])  # BT.601, the weights of SD video
# Unit vectors spanning the chroma plane of RGB (orthogonal to grey): a cast is a direction here.
_CHROMA_RGB = (
    np.array([2.0, -1.0, -1.0]) / math.sqrt(6.0),
    np.array([0.0, 1.0, -1.0]) / math.sqrt(2.0),
)


@dataclass(frozen=True)
class Degradation:
    """One episode's old-transfer look. The defaults leave a picture as it is."""

    # 8-bit level that pure black is lifted to: faded prints and telecine flare never reach 0.
    black_level: float = 0.0
    # Level that pure white drops to; with `black_level` this fades the contrast.
    white_level: float = 255.0
    # Per-channel gains in R, G, B order: dyes fade unevenly (lost blue dye turns a print
    # yellow, lost cyan magenta), and every telecine colourist had their own idea of white.
    cast_rgb: tuple[float, float, float] = (1.0, 1.0, 1.0)
    # Chroma gain around luma: below 1 a faded print, above 1 a hot broadcast grade.
    saturation: float = 1.0
    # The picture passes through this fraction of its size and back: an SD transfer upscaled.
    transfer_scale: float = 1.0
    # Gaussian softening in output pixels: worn lenses, soft focus, analogue bandwidth.
    blur_sigma_px: float = 0.0
    # Std of luma noise in 8-bit levels, new every frame and drawn at the transfer's
    # resolution, so that it clumps after the upscale as film grain does.
    grain_sigma: float = 0.0
    # JPEG quality of each frame at the transfer's resolution (MPEG-2-like blocks that the
    # upscale makes coarse); None skips it.
    jpeg_quality: int | None = None
    # Largest shift per frame and axis in output pixels: gate weave. Small enough for the truth.
    weave_px: float = 0.0
    # H.264 CRF of the re-encoded episode (23 is x264's default; 34-40 starves it of bits).
    # Only the episode writer uses it: `degrade_frame` leaves it to the encoder.
    crf: int = 23

    def __post_init__(self) -> None:
        rules = {
            "0 <= black_level < white_level <= 255": (
                0.0 <= self.black_level < self.white_level <= 255.0
            ),
            "cast_rgb: three gains in (0, 2]": (
                len(self.cast_rgb) == 3 and all(0.0 < g <= 2.0 for g in self.cast_rgb)
            ),
            "saturation in [0, 3]": 0.0 <= self.saturation <= 3.0,
            "transfer_scale in (0, 1]": 0.0 < self.transfer_scale <= 1.0,
            "blur_sigma_px >= 0": self.blur_sigma_px >= 0.0,
            "grain_sigma >= 0": self.grain_sigma >= 0.0,
            "jpeg_quality in [1, 100] or None": (
                self.jpeg_quality is None or 1 <= self.jpeg_quality <= 100
            ),
            f"weave_px in [0, {MAX_WEAVE_PX}]": 0.0 <= self.weave_px <= MAX_WEAVE_PX,
            "crf in [0, 51]": 0 <= self.crf <= 51,
        }
        broken = [rule for rule, ok in rules.items() if not ok]
        if broken:
            raise ValueError(f"Bad Degradation: {'; '.join(broken)} (got {self})")


@dataclass(frozen=True)
class StrengthRanges:
    """Where `draw_degradation` draws each `Degradation` field from: (low, high), uniform."""

    black_level: tuple[float, float]
    white_level: tuple[float, float]
    cast_amount: tuple[float, float]  # length of the gain offset; its hue is uniform
    saturation: tuple[float, float]
    transfer_scale: tuple[float, float]
    blur_sigma_px: tuple[float, float]
    grain_sigma: tuple[float, float]
    jpeg_p: float  # chance that an episode also gets per-frame JPEG
    jpeg_quality: tuple[int, int]
    weave_px: tuple[float, float]
    crf: tuple[int, int]


STRENGTH_RANGES: dict[str, StrengthRanges] = {
    # A good transfer: a little faded and grainy, mildly soft, compressed as streams are.
    "light": StrengthRanges(
        black_level=(0.0, 12.0),
        white_level=(238.0, 255.0),
        cast_amount=(0.0, 0.06),
        saturation=(0.85, 1.1),
        transfer_scale=(0.7, 0.9),
        blur_sigma_px=(0.0, 0.6),
        grain_sigma=(1.0, 3.0),
        jpeg_p=0.0,
        jpeg_quality=(60, 80),
        weave_px=(0.0, 0.3),
        crf=(28, 32),
    ),
    # The usual old broadcast: faded colour, visible grain, SD softness and blocks.
    "medium": StrengthRanges(
        black_level=(8.0, 28.0),
        white_level=(220.0, 245.0),
        cast_amount=(0.04, 0.15),
        saturation=(0.65, 1.15),
        transfer_scale=(0.45, 0.6),
        blur_sigma_px=(0.4, 1.2),
        grain_sigma=(3.0, 7.0),
        jpeg_p=0.5,
        jpeg_quality=(45, 75),
        weave_px=(0.0, 0.7),
        crf=(33, 37),
    ),
    # A worn print off a VHS-era dub: the far end of what a detector should still survive.
    "heavy": StrengthRanges(
        black_level=(18.0, 45.0),
        white_level=(195.0, 230.0),
        cast_amount=(0.10, 0.25),
        saturation=(0.45, 1.25),
        transfer_scale=(0.35, 0.5),
        blur_sigma_px=(0.8, 2.0),
        grain_sigma=(6.0, 12.0),
        jpeg_p=1.0,
        jpeg_quality=(20, 45),
        weave_px=(0.3, 1.0),
        crf=(37, 40),
    ),
}


def draw_degradation(rng: np.random.Generator, strength: str = "medium") -> Degradation:
    """One random look within the ranges of `strength` (light, medium or heavy).

    Example:
        >>> params = draw_degradation(np.random.default_rng([7, 0]), "heavy")
        >>> params.crf >= 37
        True
    """
    if strength not in STRENGTH_RANGES:
        raise ValueError(f"Unknown strength {strength!r}. Choose one of: {', '.join(STRENGTHS)}")
    r = STRENGTH_RANGES[strength]

    def uniform(lo_hi: tuple[float, float]) -> float:
        return round(float(rng.uniform(*lo_hi)), 3)

    hue = rng.uniform(0.0, 2.0 * math.pi)
    cast = 1.0 + uniform(r.cast_amount) * (
        math.cos(hue) * _CHROMA_RGB[0] + math.sin(hue) * _CHROMA_RGB[1]
    )
    red, green, blue = (round(float(g), 3) for g in cast)
    jpeg = rng.random() < r.jpeg_p
    # drawn either way, so that turning JPEG on or off leaves the later draws as they were
    quality = int(rng.integers(r.jpeg_quality[0], r.jpeg_quality[1] + 1))
    return Degradation(
        black_level=uniform(r.black_level),
        white_level=uniform(r.white_level),
        cast_rgb=(red, green, blue),
        saturation=uniform(r.saturation),
        transfer_scale=uniform(r.transfer_scale),
        blur_sigma_px=uniform(r.blur_sigma_px),
        grain_sigma=uniform(r.grain_sigma),
        jpeg_quality=quality if jpeg else None,
        weave_px=uniform(r.weave_px),
        crf=int(rng.integers(r.crf[0], r.crf[1] + 1)),
    )


def grade_matrix(params: Degradation, channels: str = "bgr") -> np.ndarray:
    """The colour grade as one affine map for `cv2.transform`: (3, 4) float32, `[M | offset]`.

    Saturation mixes each channel with luma, the cast scales channels, and the levels squeeze
    [0, 255] into [black_level, white_level].

    Example:
        >>> grade_matrix(Degradation()).round(3)[:, 3]
        array([0., 0., 0.], dtype=float32)
    """
    s = params.saturation
    mix = s * np.eye(3) + (1.0 - s) * np.outer(np.ones(3), _LUMA_RGB)
    gain = (params.white_level - params.black_level) / 255.0
    m = gain * np.diag(params.cast_rgb) @ mix
    if channels == "bgr":
        m = m[::-1, ::-1]
    return np.hstack([m, np.full((3, 1), params.black_level)]).astype(np.float32)


def degrade_frame(
    image: np.ndarray,
    params: Degradation,
    rng: np.random.Generator,
    channels: Literal["bgr", "rgb"] = "bgr",
) -> np.ndarray:
    """One picture as an old transfer shows it; works on any size, from a face crop to 4K.

    Takes and returns BGR by default (OpenCV's order, as `core.video.read_frames` yields);
    pass `channels="rgb"` for RGB arrays (Keras, `VideoSink`). Only the colour cast and the
    JPEG step care. Grain and weave are new on every call, drawn from `rng`, so the same `rng`
    state gives the same picture. `params.crf` is not applied here.

    Args:
        image: (H, W, 3) uint8.
        params: the look; `Degradation()` returns the image unchanged.
        rng: the source of grain and weave.
        channels: the order of `image`'s channels, "bgr" or "rgb".

    Returns:
        (H, W, 3) uint8, a new array.

    Example:
        >>> rng = np.random.default_rng(1)
        >>> crop = np.full((64, 64, 3), 200, np.uint8)
        >>> degrade_frame(crop, draw_degradation(rng, "heavy"), rng).shape
        (64, 64, 3)
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or image.size == 0:
        raise ValueError(
            f"degrade_frame needs an (H, W, 3) uint8 image, got {image.shape} {image.dtype}"
        )
    if channels not in CHANNEL_ORDERS:
        raise ValueError(
            f"Unknown channel order {channels!r}. Choose one of: {', '.join(CHANNEL_ORDERS)}"
        )
    h, w = image.shape[:2]
    small_wh = (max(1, round(w * params.transfer_scale)), max(1, round(h * params.transfer_scale)))
    small = image
    if small_wh != (w, h):
        # Bilinear reads every source pixel down to half size and is 6x faster than area
        # averaging at odd ratios; below half it would skip pixels, thin lines would break up.
        linear = params.transfer_scale >= 0.5
        interpolation = cv2.INTER_LINEAR if linear else cv2.INTER_AREA
        small = cv2.resize(image, small_wh, interpolation=interpolation)
    small = cv2.transform(small, grade_matrix(params, channels))
    sigma = params.blur_sigma_px * small_wh[0] / w
    if sigma > 0.05:  # below this a 3-tap kernel is the identity in 8 bits
        small = cv2.GaussianBlur(small, (0, 0), sigmaX=sigma)
    if params.grain_sigma > 0:
        noise = rng.standard_normal((small_wh[1], small_wh[0]), dtype=np.float32)
        noise *= params.grain_sigma
        small = cv2.add(small, cv2.merge([noise, noise, noise]), dtype=cv2.CV_8U)
    if params.jpeg_quality is not None:
        small = _jpeg(small, quality=params.jpeg_quality, rgb=channels == "rgb")
    shift_xy = rng.uniform(-params.weave_px, params.weave_px, 2) if params.weave_px > 0 else None
    if small_wh == (w, h) and shift_xy is None:
        return small  # a new array: the grade never works in place
    return _upscale(small, size_wh=(w, h), shift_xy=(0.0, 0.0) if shift_xy is None else shift_xy)


def _jpeg(image: np.ndarray, quality: int, rgb: bool) -> np.ndarray:
    """Encode and decode as JPEG; OpenCV's codec assumes BGR, so RGB is flipped around it."""
    bgr = np.ascontiguousarray(image[:, :, ::-1]) if rgb else image
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"JPEG encoding failed for an image of shape {image.shape}")
    out = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return np.ascontiguousarray(out[:, :, ::-1]) if rgb else out


def _upscale(
    small: np.ndarray, size_wh: tuple[int, int], shift_xy: tuple[float, float] | np.ndarray
) -> np.ndarray:
    """Bilinear resize to `size_wh` and a sub-pixel shift in one warp (pixel-centre aligned)."""
    w, h = size_wh
    ax, ay = small.shape[1] / w, small.shape[0] / h
    dst_to_src = np.array(
        [
            [ax, 0.0, ax * (0.5 - shift_xy[0]) - 0.5],
            [0.0, ay, ay * (0.5 - shift_xy[1]) - 0.5],
        ],
        np.float32,
    )
    return cv2.warpAffine(
        small,
        dst_to_src,
        (w, h),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REFLECT,
    )


@dataclass(frozen=True)
class EpisodeFiles:
    """The three files of one `toon synth episodes` episode."""

    episode_id: str
    video_path: Path
    truth_path: Path
    meta_path: Path


def find_episodes(in_dir: Path) -> list[EpisodeFiles]:
    """Every `<id>.mp4` in `in_dir` with its `<id>.truth.csv` and `<id>.json`, sorted by id.

    Raises:
        FileNotFoundError: `in_dir` does not exist.
        NotADirectoryError: it is a file.
        ValueError: it holds no episode, or an episode lacks its truth or metadata.
    """
    if not in_dir.exists():
        raise FileNotFoundError(f"{in_dir}: no such folder")
    if not in_dir.is_dir():
        raise NotADirectoryError(f"{in_dir}: not a folder of episodes")
    videos = sorted(p for p in in_dir.glob("*.mp4") if not p.name.endswith(".part.mp4"))
    if not videos:
        raise ValueError(
            f"{in_dir}: no episodes (<id>.mp4 with <id>.truth.csv and <id>.json, "
            "as `toon synth episodes` writes them)"
        )
    found = []
    for video in videos:
        files = EpisodeFiles(video.stem, video, truth_path(video), video.with_suffix(".json"))
        for needed in (files.truth_path, files.meta_path):
            if not needed.is_file():
                raise ValueError(f"{needed}: missing; every episode video needs its truth and JSON")
        found.append(files)
    return found


@dataclass(frozen=True)
class DegradedEpisode:
    """What `degrade_episode` wrote: the video, how many frames it holds, and the look."""

    episode_id: str
    video_path: Path
    frames: int
    params: Degradation


def degrade_episode(
    files: EpisodeFiles,
    out_dir: Path,
    seed: int,
    index: int,
    strength: str = "medium",
    on_frame: Callable[[int], None] | None = None,
) -> DegradedEpisode:
    """Re-encode one episode as an old transfer into `out_dir`.

    The look is drawn from `np.random.default_rng([seed, index])`, which then goes on to draw
    every frame's grain and weave. Writes `<id>.mp4` (same size, rate and frames), the truth
    CSV unchanged, and the JSON with a "degrade" key added. Each file appears only when complete,
    the JSON last.
    """
    try:
        meta = json.loads(files.meta_path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{files.meta_path}: not JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{files.meta_path}: expected a JSON object of episode metadata")
    info = probe(files.video_path)
    if abs(info.fps - round(info.fps)) > 1e-3 or info.fps < 1:
        raise ValueError(f"{files.video_path}: frame rate {info.fps} is not a whole number")
    rng = np.random.default_rng([seed, index])
    params = draw_degradation(rng, strength)
    video = out_dir / files.video_path.name
    with VideoSink(
        video, resolution_wh=info.resolution_wh, fps=round(info.fps), crf=params.crf
    ) as sink:
        for frame in read_frames(files.video_path):
            bgr = degrade_frame(frame.bgr, params, rng, channels="bgr")
            sink.write(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            if on_frame:
                on_frame(frame.index)
    _copy_atomic(files.truth_path, out_dir / files.truth_path.name)
    meta["degrade"] = {"strength": strength, "seed": seed, "index": index, "params": asdict(params)}
    tmp = out_dir / f".{files.meta_path.name}.part"
    tmp.write_text(json.dumps(meta, indent=2) + "\n")
    os.replace(tmp, out_dir / files.meta_path.name)
    return DegradedEpisode(files.episode_id, video, frames=sink.frames, params=params)


def _copy_atomic(src: Path, dst: Path) -> None:
    tmp = dst.with_name(dst.name + ".part")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)
