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
seed and pictures give the same files whatever else is in the folder. This module picks the
listed pictures and writes the files, the manifest and the clip; how one picture is read and cut
is `synth/cuts.py`.
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

from core.video import VideoSink
from synth.cuts import Cut, CutSettings, cut_picture, load_rgb

SPLITS = ("train", "heldout")
SOURCES_DIR = Path(__file__).resolve().parent / "nonface_sources"
NONFACE_DIR = Path("crops") / "nonface"  # `toon train` reads a `nonface` folder as `other`
MANIFEST = "nonfaces.csv"
CLIP_FPS = 24
# Each frame stays on screen one second, so `toon index --sample-fps 1` looks at every frame
# exactly once.
CLIP_HOLD_FRAMES = 24


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


def image_rng(seed: int, source: str, path: str) -> np.random.Generator:
    """One picture's generator: the same for the same seed and path, whatever else is listed."""
    return np.random.default_rng([seed, zlib.crc32(f"{source}/{path}".encode())])


def cut_nonfaces(
    src_dir: Path,
    out: Path,
    split: str,
    seed: int,
    settings: CutSettings = CutSettings(),  # noqa: B008  frozen
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
