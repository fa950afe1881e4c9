"""Labelled face crops straight from the renderer: `OUT/<character>/<emotion>/<id>.png`.

Crops look like what a cascade hands the classifier: a square window round the face, a little off
centre and too large, over a busy background, at any native size from 30 to 200 px, sometimes
blurred, compressed or partly hidden. `--style sketch` draws the same faces as line art on paper.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from core.vocabulary import EMOTIONS, NONFACE
from synth.emotions import expression, sample_intensity
from synth.render import draw_colour, draw_sketch
from synth.scenery import PIXELS, background, prop
from synth.shapes import Pose, silhouette_bounds
from synth.shows import DEFAULT_SHOW, show, show_of
from synth.style import ArtStyle
from synth.writing import balanced_order, write_png

STYLES = ("color", "sketch")
NATIVE_HEIGHT_PX = (30.0, 200.0)  # the face sizes episodes show
CROP_SCALE = (1.0, 1.3)  # detector windows are larger than the face...
CROP_SHIFT = 0.1  # ...and off centre by up to this fraction of their side
OCCLUDE_P = 0.15
BLUR_P = 0.25
JPEG_P = 0.35
SCENE_WH = (640, 360)  # backgrounds are drawn at episode scale, then cut to the crop's window


@dataclass(frozen=True)
class FaceCrop:
    rgb: np.ndarray  # (size, size, 3) uint8
    character: str
    emotion: str
    intensity: float


def face_crop(
    character: str, emotion: str, rng: np.random.Generator, style: str = "color", size: int = 64
) -> FaceCrop:
    """Render one labelled face crop."""
    if style not in STYLES:
        raise ValueError(f"Unknown style {style!r}. Choose one of: {', '.join(STYLES)}")
    drawn = show_of(character)
    design = drawn.designs[character]
    art = drawn.style(rng)
    intensity = sample_intensity(emotion, rng)
    params = expression(emotion, intensity, rng)
    face_h = float(np.exp(rng.uniform(*np.log(NATIVE_HEIGHT_PX))))
    if style == "sketch":
        face_h = max(face_h, 60.0)  # people sketch faces large
    side = int(np.ceil(face_h * 2.2))
    pose = Pose(
        (side / 2, side / 2),
        face_h / design.face_height_units(),
        float(rng.uniform(-20, 20)),
        bool(rng.random() < 0.5),
        float(rng.uniform(-0.7, 0.7)) if rng.random() < 0.5 else 0.0,
    )
    shapes = design.face_shapes(params, art, (rng.uniform(-1, 1), rng.uniform(-1, 1)))
    if style == "color":
        canvas = _scenery_patch(rng, art, side)
        draw_colour(canvas, design.body_shapes(art), pose)
        draw_colour(canvas, shapes, pose)
        if rng.random() < OCCLUDE_P:
            draw_colour(canvas, prop(rng, art, pose.center_xy, face_h), PIXELS)
    else:
        paper = int(rng.integers(235, 256))
        canvas = np.full((side, side, 3), paper, np.uint8)
        draw_sketch(canvas, shapes, pose, rng, pencil=int(rng.integers(0, 90)), paper=paper)
    crop = _jittered_crop(canvas, silhouette_bounds(shapes, pose), rng)
    if style == "color" and rng.random() < BLUR_P:
        k = int(rng.integers(2, 6))
        crop = cv2.blur(crop, (k, 1) if rng.random() < 0.5 else (k, k))
    out = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    if style == "color" and rng.random() < JPEG_P:
        _, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(20, 70))])
        out = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    return FaceCrop(out, character, emotion, intensity)


def nonface_crop(
    rng: np.random.Generator, size: int = 64, show_name: str = DEFAULT_SHOW
) -> np.ndarray:
    """A window with no face in it, like a cascade's false positives: scenery and props, or a
    character of the show, its body and the scene beside its head."""
    drawn = show(show_name)
    art = drawn.style(rng)
    face_h = float(np.exp(rng.uniform(*np.log(NATIVE_HEIGHT_PX))))
    side = int(np.ceil(face_h * 1.2))
    big = side * 3
    canvas = _scenery_patch(rng, art, big)
    centre = (big / 2, big / 2)
    if rng.random() < 0.5:
        design = drawn.designs[str(rng.choice(drawn.cast))]
        emotion = str(rng.choice(EMOTIONS))
        pose = Pose(
            centre,
            face_h / design.face_height_units(),
            float(rng.uniform(-20, 20)),
            bool(rng.random() < 0.5),
            0.0,
        )
        params = expression(emotion, sample_intensity(emotion, rng), rng)
        draw_colour(canvas, design.body_shapes(art), pose)
        draw_colour(canvas, design.face_shapes(params, art, (0.0, 0.0)), pose)
    if rng.random() < 0.5:
        draw_colour(canvas, prop(rng, art, centre, face_h), PIXELS)
    # a window one side or more away from the head's centre, so no face is in it
    angle = rng.uniform(0, 2 * np.pi)
    dist = rng.uniform(0.8, 1.2) * side
    cx, cy = centre[0] + dist * np.cos(angle), centre[1] + dist * np.sin(angle)
    a, b = int(np.clip(cx - side / 2, 0, big - side)), int(np.clip(cy - side / 2, 0, big - side))
    crop = canvas[b : b + side, a : a + side]
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)


def _scenery_patch(rng: np.random.Generator, art: ArtStyle, side: int) -> np.ndarray:
    """A `side` x `side` window of a full-size scene, so props keep their size next to faces."""
    w, h = max(side, SCENE_WH[0]), max(side, SCENE_WH[1])
    scene = background(rng, art, w, h)
    x, y = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
    return scene[y : y + side, x : x + side].copy()


def _jittered_crop(
    canvas: np.ndarray, xyxy: tuple[float, float, float, float], rng: np.random.Generator
) -> np.ndarray:
    x1, y1, x2, y2 = xyxy
    side = max(x2 - x1, y2 - y1) * rng.uniform(*CROP_SCALE)
    cx = (x1 + x2) / 2 + rng.uniform(-CROP_SHIFT, CROP_SHIFT) * side
    cy = (y1 + y2) / 2 + rng.uniform(-CROP_SHIFT, CROP_SHIFT) * side
    half = side / 2
    a, b = int(round(cx - half)), int(round(cy - half))
    s = max(int(round(side)), 2)
    pad = max(0, -a, -b, a + s - canvas.shape[1], b + s - canvas.shape[0])
    if pad:
        canvas = cv2.copyMakeBorder(canvas, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    return canvas[b + pad : b + pad + s, a + pad : a + pad + s]


def write_faces(
    out_dir: Path,
    count: int,
    seed: int,
    style: str = "color",
    size: int = 64,
    on_face: Callable[[FaceCrop], None] | None = None,
    nonfaces: int = 0,
    show_name: str = DEFAULT_SHOW,
) -> dict[str, int]:
    """Write `count` crops of the show's cast, balanced over characters x emotions, and
    `faces.csv` listing them; and `nonfaces` windows without a face as `nonface/<id>.png`
    (colour style only).

    Returns the count per class `<character>/<emotion>` (and `nonface`).
    """
    if nonfaces < 0:
        raise ValueError(f"--nonfaces must be at least 0, got {nonfaces}")
    if nonfaces and style != "color":
        raise ValueError("--nonfaces goes with --style color: sketches have no scenery")
    if count < 1:
        raise ValueError(f"--count must be at least 1, got {count}")
    if not 16 <= size <= 512:
        raise ValueError(f"--size must be in [16, 512], got {size}")
    if style not in STYLES:
        raise ValueError(f"Unknown style {style!r}. Choose one of: {', '.join(STYLES)}")
    combos = [(c, e) for c in show(show_name).cast for e in EMOTIONS]
    order = balanced_order(len(combos), count, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    rows = []
    for i, combo in enumerate(order):
        character, emotion = combos[int(combo)]
        crop = face_crop(character, emotion, np.random.default_rng([seed, 1, i]), style, size)
        rel = Path(character) / emotion / f"{seed}-{i:06d}.png"
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        write_png(out_dir / rel, crop.rgb)
        rows.append((rel.as_posix(), character, emotion, f"{crop.intensity:.3f}", style))
        key = f"{character}/{emotion}"
        counts[key] = counts.get(key, 0) + 1
        if on_face:
            on_face(crop)
    for i in range(nonfaces):
        rel = Path(NONFACE) / f"{seed}-n{i:06d}.png"
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        write_png(out_dir / rel, nonface_crop(np.random.default_rng([seed, 2, i]), size, show_name))
        rows.append((rel.as_posix(), "", "", "", style))
        counts[NONFACE] = counts.get(NONFACE, 0) + 1
    tmp = out_dir / ".faces.csv.part"
    with open(tmp, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(("path", "character", "emotion", "intensity", "style"))
        writer.writerows(rows)
    os.replace(tmp, out_dir / "faces.csv")
    return counts
