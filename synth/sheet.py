"""A contact sheet: characters by emotions, strong and subtle, colour and sketch, plus frames."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from synth import EMOTIONS
from synth.artists import ArtistDesign
from synth.characters import Design
from synth.emotions import expression
from synth.episodes import render_episode
from synth.plan import EpisodeConfig, plan_episode
from synth.render import draw_colour, draw_sketch
from synth.shapes import Pose, silhouette_bounds
from synth.shows import DEFAULT_SHOW, show
from synth.style import ArtStyle

CELL = 128
LABEL_W = 150
HEADER_H = 30
INK = (30, 30, 30)


def _cell(
    design: Design | ArtistDesign,
    emotion: str,
    intensity: float,
    sketch: bool,
    style: ArtStyle,
    rng: np.random.Generator,
) -> np.ndarray:
    img = np.full((CELL, CELL, 3), 255 if sketch else 236, np.uint8)
    shapes = design.face_shapes(expression(emotion, intensity), style)
    x1, y1, x2, y2 = silhouette_bounds(shapes, Pose((0.0, 0.0), 1.0))
    scale = CELL * 0.8 / max(x2 - x1, y2 - y1)
    pose = Pose((CELL / 2 - scale * (x1 + x2) / 2, CELL / 2 - scale * (y1 + y2) / 2), scale)
    if sketch:
        draw_sketch(img, shapes, pose, rng)
    else:
        draw_colour(img, shapes, pose)
    return img


def _label(text: str, w: int, h: int, bg: int = 255) -> np.ndarray:
    img = np.full((h, w, 3), bg, np.uint8)
    cv2.putText(img, text, (8, h // 2 + 6), cv2.FONT_HERSHEY_SIMPLEX, 0.55, INK, 1, cv2.LINE_AA)
    return img


def contact_sheet(seed: int, show_name: str = DEFAULT_SHOW) -> np.ndarray:
    """The sheet of a show as an RGB image."""
    drawn = show(show_name)
    cast = drawn.cast
    rng = np.random.default_rng(seed)
    style = drawn.sheet_style
    rows = [
        np.hstack([_label("", LABEL_W, HEADER_H)] + [_label(e, CELL, HEADER_H) for e in EMOTIONS])
    ]
    # every character; the first two subtle; the first and the last as sketches
    plan = [(c, 1.0, False) for c in cast] + [(c, 0.4, False) for c in cast[:2]]
    plan += [(cast[0], 1.0, True), (cast[-1], 1.0, True)]
    plan = list(dict.fromkeys(plan))  # a show of one character draws its rows once
    for character, intensity, sketch in plan:
        label = f"{character} {'sketch' if sketch else ''}{'subtle' if intensity < 1 else ''}"
        design = drawn.designs[character]
        cells = [_cell(design, e, intensity, sketch, style, rng) for e in EMOTIONS]
        rows.append(np.hstack([_label(label.strip(), LABEL_W, CELL)] + cells))
    width = rows[0].shape[1]
    # Three frames of a short episode, with their truth boxes.
    episode = plan_episode(seed, 0, EpisodeConfig(seconds=12), drawn)
    frames = [f for f in render_episode(episode) if f.index in (24, 120, 230)]
    thumbs = []
    for f in frames:
        img = f.rgb.copy()
        for row in f.faces:
            cv2.rectangle(img, (row.x1, row.y1), (row.x2 - 1, row.y2 - 1), (255, 40, 40), 2)
            cv2.putText(
                img,
                f"{row.character} {row.emotion}",
                (row.x1, max(row.y1 - 6, 14)),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.6,
                (255, 40, 40),
                2,
                cv2.LINE_AA,
            )
        thumbs.append(
            cv2.resize(img, (width // 3, width // 3 * 9 // 16), interpolation=cv2.INTER_AREA)
        )
    strip = np.hstack(thumbs)
    pad = np.full((strip.shape[0], width - strip.shape[1], 3), 255, np.uint8)
    rows.append(_label("episode frames with truth boxes", width, HEADER_H))
    rows.append(np.hstack([strip, pad]))
    return np.vstack(rows)


def write_sheet(path: Path, seed: int, show_name: str = DEFAULT_SHOW) -> tuple[int, int]:
    """Write the contact sheet PNG; returns its (width, height)."""
    if path.suffix.lower() != ".png":
        raise ValueError(f"{path}: the contact sheet is written as PNG; name it *.png")
    if not path.parent.exists():
        path.parent.mkdir(parents=True)
    sheet = contact_sheet(seed, show_name)
    ok, buf = cv2.imencode(".png", cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError(f"{path}: could not encode PNG")
    path.write_bytes(buf.tobytes())
    return sheet.shape[1], sheet.shape[0]
