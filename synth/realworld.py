"""Real pictures without faces, cut the way cascades and the model meet footage.

Our renderer never draws grass, foliage, rock, fur or film grain, so on real footage the cascades
fire on such textures and the character head calls many of those windows `tom`. Freely licensed
terrain textures, wallpapers and landscapes (listed, with their licences and the train/held-out
split, in `synth/nonface_sources/`) are cut into

- `OUT/frames/<source>-<n>.jpg`: 640x360 frames, each picture at a few zoom levels (large ones
  resized and cropped, small textures tiled): the cascades' negatives
  (`toon cascade train --backgrounds`) and, held out, the clip `bench/phantoms.py` indexes;
- `OUT/crops/nonface/<source>-<n>.png`: 64x64 windows of those frames at the sizes of cascade
  windows, which `toon train` reads as the character head's `other`;
- `OUT/nonfaces.csv`: where each file was cut from (attribution for the licences).

Each picture draws from its own generator, seeded by the seed and the picture's path, so the same
seed and pictures give the same files whatever else is in the folder.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import cv2
import numpy as np
from PIL import Image

from core.video import VideoSink

SPLITS = ("train", "heldout")
SOURCES_DIR = Path(__file__).resolve().parent / "nonface_sources"
NONFACE_DIR = Path("crops") / "nonface"  # `toon train` reads a `nonface` folder as `other`
MANIFEST = "nonfaces.csv"
CLIP_FPS = 24
# Each frame stays on screen one second, so `toon index --sample-fps 1` looks at every frame
# exactly once.
CLIP_HOLD_FRAMES = 24
# A picture tiles along an axis when the step from its last column (row) to its first is at
# most this many typical neighbour steps: game textures made to tile score about 1, photos 3-100.
SEAMLESS_RATIO = 2.5
_EPS_PX = 1e-6  # a window this much longer than the picture still fits it (float rounding)


@dataclass(frozen=True)
class Source:
    """One package's pictures: paths relative to `SRC_DIR/<name>/`, and which split they feed."""

    name: str
    split: str
    paths: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.split not in SPLITS:
            raise ValueError(
                f"source {self.name}: split {self.split!r}; choose one of: {', '.join(SPLITS)}"
            )
        for p in self.paths:
            if PurePosixPath(p).is_absolute() or ".." in PurePosixPath(p).parts:
                raise ValueError(f"source {self.name}: {p!r} must be a relative path inside it")

    @classmethod
    def from_list(cls, path: Path) -> Source:
        """Read `NAME.txt`: `# key: value` header lines (`split` required), then one path a line."""
        header, paths = {}, []
        for line in path.read_text().splitlines():
            line = line.strip()
            if line.startswith("#"):
                key, sep, value = line[1:].partition(":")
                if sep and " " not in key.strip():
                    header[key.strip()] = value.strip()
            elif line:
                paths.append(line)
        if "split" not in header:
            raise ValueError(f"{path}: no '# split: train|heldout' line")
        return cls(path.stem, header["split"], tuple(paths))


def load_sources(folder: Path = SOURCES_DIR) -> dict[str, Source]:
    """Every `*.txt` list in `folder`, by source name."""
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder}: not a folder of source lists")
    sources = {p.stem: Source.from_list(p) for p in sorted(folder.glob("*.txt"))}
    if not sources:
        raise ValueError(f"{folder}: no source lists (<source>.txt)")
    return sources


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


@dataclass(frozen=True)
class Skipped:
    """A listed picture left out, and why."""

    path: Path
    reason: str


@dataclass
class CutSummary:
    """What `cut_nonfaces` wrote: counts per source, pictures skipped, and the clip if any."""

    out: Path
    split: str
    seed: int
    images: dict[str, int] = field(default_factory=dict)
    frames: dict[str, int] = field(default_factory=dict)
    crops: dict[str, int] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    video_path: Path | None = None
    video_frames: int = 0

    def as_json(self) -> dict:
        return {
            "out": str(self.out),
            "split": self.split,
            "seed": self.seed,
            "images": sum(self.images.values()),
            "frames": sum(self.frames.values()),
            "crops": sum(self.crops.values()),
            "sources": {
                s: {"images": n, "frames": self.frames.get(s, 0), "crops": self.crops.get(s, 0)}
                for s, n in self.images.items()
            },
            "skipped": [{"path": str(s.path), "reason": s.reason} for s in self.skipped],
            "video": None
            if self.video_path is None
            else {
                "path": str(self.video_path),
                "frames": self.video_frames,
                "seconds": self.video_frames / CLIP_FPS,
            },
        }


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


def image_rng(seed: int, source: str, path: str) -> np.random.Generator:
    """One picture's generator: the same for the same seed and path, whatever else is listed."""
    return np.random.default_rng([seed, zlib.crc32(f"{source}/{path}".encode())])


def cut_nonfaces(
    src_dir: Path,
    out: Path,
    split: str,
    seed: int,
    settings: CutSettings = CutSettings(),
    sources: dict[str, Source] | None = None,
    video_path: Path | None = None,
    on_image: Callable[[str], None] | None = None,
) -> CutSummary:
    """Cut every listed picture of `split` found under `src_dir/<source>/` into frames and
    windows in `out` (and, with `video_path`, a clip of the frames); see the module docstring.

    Listed pictures that are missing, or nearly one colour, are skipped and reported. A picture
    that cannot be read raises ValueError naming it, and `out` keeps what it had: the files are
    made in a folder beside them and swapped in at the end.
    """
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}. Choose one of: {', '.join(SPLITS)}")
    if not src_dir.is_dir():
        raise NotADirectoryError(f"{src_dir}: not a folder of extracted sources")
    sources = load_sources() if sources is None else sources
    chosen = [s for _, s in sorted(sources.items()) if s.split == split]
    summary = CutSummary(out, split, seed)
    todo = [(s.name, p) for s in chosen for p in s.paths if (src_dir / s.name / p).is_file()]
    summary.skipped += [
        Skipped(src_dir / s.name / p, "listed but missing")
        for s in chosen
        for p in s.paths
        if not (src_dir / s.name / p).is_file()
    ]
    if not todo:
        names = ", ".join(s.name for s in chosen) or "none"
        raise ValueError(f"{src_dir}: none of the listed {split} pictures is there ({names})")
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out}: exists and is not a folder")
    new_out = not out.exists()
    stage = out / ".real-nonfaces.partial"
    shutil.rmtree(stage, ignore_errors=True)
    try:
        sink = CutSink(stage, jpeg_quality=settings.jpeg_quality)
        for source, rel in todo:
            path = src_dir / source / rel
            rng = image_rng(seed, source, rel)
            rgb = load_rgb(path, matte_rgb=tuple(int(v) for v in rng.integers(0, 256, 3)))
            grey_std = float(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).std())
            summary.images.setdefault(source, 0)
            if grey_std < settings.min_grey_std:
                summary.skipped.append(
                    Skipped(path, f"nearly one colour (grey std {grey_std:.2f})")
                )
            else:
                sink.write(source, f"{source}/{rel}", *cut_picture(rgb, rng, settings))
                summary.images[source] += 1
            if on_image:
                on_image(source)
        sink.close()
        summary.frames, summary.crops = sink.frames, sink.crops
        if video_path is not None:
            frames = sorted((stage / "frames").glob("*.jpg"))
            summary.video_frames = write_clip(frames, video_path, settings.frame_wh)
            summary.video_path = video_path
        for rel in (Path("frames"), NONFACE_DIR, Path(MANIFEST)):
            _replace(stage / rel, out / rel)
    except BaseException:
        shutil.rmtree(out if new_out else stage, ignore_errors=True)
        raise
    shutil.rmtree(stage, ignore_errors=True)
    return summary


class CutSink:
    """Numbers and writes frames (`frames/<source>-<n>.jpg`) and windows
    (`crops/nonface/<source>-<n>.png`) into a folder; `close()` writes the manifest.

    Example:
        >>> sink = CutSink(Path("out"), jpeg_quality=92)
        >>> sink.write("grass", "grass/a.png", *cut_picture(rgb, rng, CutSettings()))
        >>> sink.close()
    """

    def __init__(self, folder: Path, jpeg_quality: int) -> None:
        self.folder = folder
        self.jpeg = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality]
        self.frames: dict[str, int] = {}
        self.crops: dict[str, int] = {}
        self.rows: list[tuple] = []
        (folder / "frames").mkdir(parents=True)
        (folder / NONFACE_DIR).mkdir(parents=True)

    def write(self, source: str, made_from: str, frames: list[Cut], windows: list[Cut]) -> None:
        names = [self._write(self.frames, "frames", source, ".jpg", c, made_from) for c in frames]
        for c in windows:
            self._write(self.crops, NONFACE_DIR.as_posix(), source, ".png", c, names[c.frame])

    def _write(
        self,
        counts: dict[str, int],
        folder: str,
        source: str,
        suffix: str,
        cut: Cut,
        made_from: str,
    ) -> str:
        n = counts.get(source, 0)
        counts[source] = n + 1
        name = f"{folder}/{source}-{n:05d}{suffix}"
        params = self.jpeg if suffix == ".jpg" else []
        ok, buf = cv2.imencode(suffix, cv2.cvtColor(cut.rgb, cv2.COLOR_RGB2BGR), params)
        if not ok:
            raise OSError(f"{self.folder / name}: could not encode")
        (self.folder / name).write_bytes(buf.tobytes())
        xyxy = tuple(f"{v:.1f}" for v in cut.xyxy)
        self.rows.append((name, source, made_from, f"{cut.scale:.5f}", *xyxy))
        return name

    def close(self) -> None:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(to_rows(self.rows))
        (self.folder / MANIFEST).write_text(buf.getvalue())


def to_rows(rows: list[tuple]) -> list[tuple]:
    """The manifest's header and rows: each file, its source, what it was cut from, at which
    scale (output pixels per input pixel) and where (xyxy in the input's pixels)."""
    return [("path", "source", "made_from", "scale", "x1", "y1", "x2", "y2"), *rows]


def write_clip(frame_paths: list[Path], video_path: Path, frame_wh: tuple[int, int]) -> int:
    """An H.264 clip of the frames, each held `CLIP_HOLD_FRAMES` at `CLIP_FPS`: one picture a
    second. Returns the number of video frames written.
    """
    video_path.parent.mkdir(parents=True, exist_ok=True)
    with VideoSink(video_path, resolution_wh=frame_wh, fps=CLIP_FPS) as sink:
        for p in frame_paths:
            bgr = cv2.imread(str(p), cv2.IMREAD_COLOR)
            if bgr is None or bgr.shape[1::-1] != frame_wh:
                raise ValueError(f"{p}: not a {frame_wh[0]}x{frame_wh[1]} frame")
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            for _ in range(CLIP_HOLD_FRAMES):
                sink.write(rgb)
        return sink.frames


def _replace(new: Path, old: Path) -> None:
    if old.is_dir():
        shutil.rmtree(old)
    elif old.exists():
        old.unlink()
    old.parent.mkdir(parents=True, exist_ok=True)
    os.replace(new, old)
