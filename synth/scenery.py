"""Backgrounds and props: rooms, gardens, furniture, patterns, and things that hide faces.

Busy on purpose: wallpaper patterns, round clocks and plates with two "eyes", outlines in the same
ink as the characters. A detector that fires on any round outlined blob fails here.
"""

from __future__ import annotations

import cv2
import numpy as np

from synth.render import draw_colour
from synth.shapes import RGB, Pose, Shape, ellipse
from synth.style import ArtStyle, hsv_colour

PIXELS = Pose((0.0, 0.0), 1.0)  # shapes already given in pixels


def _rand_colour(rng: np.random.Generator, hue: float, spread: float = 0.15) -> RGB:
    return hsv_colour(
        hue + rng.uniform(-spread, spread), rng.uniform(0.15, 0.75), rng.uniform(0.45, 0.98)
    )


def _gradient(h: int, w: int, top: RGB, bottom: RGB) -> np.ndarray:
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    col = (1 - t) * np.array(top, np.float32) + t * np.array(bottom, np.float32)
    return np.repeat(col, w, axis=1).astype(np.uint8)


def _wallpaper(img: np.ndarray, rng: np.random.Generator, hue: float, y1: int) -> None:
    """Paint a pattern over rows [0, y1) of `img`."""
    w = img.shape[1]
    kind = rng.choice(["plain", "stripes", "checks", "dots", "diamonds", "gradient"])
    a, b = _rand_colour(rng, hue), _rand_colour(rng, hue + 0.1)
    if kind == "gradient":
        img[:y1] = _gradient(y1, w, a, b)
        return
    img[:y1] = a
    step = int(rng.integers(14, 60))
    if kind == "stripes":
        for x in range(0, w, step):
            cv2.rectangle(img, (x, 0), (x + step // 2, y1), b, -1)
    elif kind == "checks":
        for y in range(0, y1, step):
            for x in range((y // step % 2) * step, w, 2 * step):
                cv2.rectangle(img, (x, y), (x + step - 1, min(y + step - 1, y1)), b, -1)
    elif kind == "dots":
        r = max(2, step // 6)
        for y in range(step // 2, y1, step):
            for x in range(step // 2 + (y // step % 2) * step // 2, w, step):
                cv2.circle(img, (x, y), r, b, -1, cv2.LINE_AA)
    elif kind == "diamonds":
        for y in range(0, y1, step):
            for x in range(0, w, step):
                pts = np.array(
                    [
                        [x + step // 2, y],
                        [x + step, y + step // 2],
                        [x + step // 2, y + step],
                        [x, y + step // 2],
                    ],
                    np.int32,
                )
                cv2.polylines(img, [pts], True, b, 1, cv2.LINE_AA)


def _furniture(
    rng: np.random.Generator, hue: float, w: int, h: int, floor_y: int, ink: RGB
) -> list[Shape]:
    """Random furniture, in background pixels."""
    items: list[Shape] = []
    for _ in range(int(rng.integers(3, 9))):
        kind = rng.choice(["cabinet", "window", "frame", "clock", "lamp", "door", "plate", "sofa"])
        x = float(rng.uniform(0, w))
        colour = _rand_colour(rng, hue + 0.5, 0.3)
        lw = float(rng.uniform(1.5, 4))
        if kind in ("cabinet", "door", "sofa"):
            bw = rng.uniform(60, 200)
            bh = {
                "cabinet": rng.uniform(80, 200),
                "door": floor_y * 0.85,
                "sofa": rng.uniform(60, 110),
            }[kind]
            y2 = floor_y + rng.uniform(0, 30)
            box = np.array([[x, y2 - bh], [x + bw, y2 - bh], [x + bw, y2], [x, y2]])
            items.append(Shape(box, fill=colour, stroke=ink, width=lw))
            if kind == "cabinet":
                for k in range(1, int(rng.integers(2, 4))):
                    yy = y2 - bh * k / 3
                    items.append(
                        Shape(np.array([[x, yy], [x + bw, yy]]), stroke=ink, width=lw, closed=False)
                    )
            if kind == "door":
                items.append(Shape(ellipse(x + bw * 0.85, y2 - bh * 0.45, 5, 5, 10), fill=ink))
        elif kind in ("window", "frame"):
            bw, bh = rng.uniform(50, 150), rng.uniform(40, 110)
            y = rng.uniform(10, max(12, floor_y - bh - 20))
            box = np.array([[x, y], [x + bw, y], [x + bw, y + bh], [x, y + bh]])
            inner = (150, 200, 240) if kind == "window" else _rand_colour(rng, rng.random(), 0.5)
            items.append(
                Shape(box, fill=inner, stroke=ink if kind == "window" else colour, width=lw * 2)
            )
            if kind == "window":
                items.append(
                    Shape(
                        np.array([[x + bw / 2, y], [x + bw / 2, y + bh]]),
                        stroke=ink,
                        width=lw,
                        closed=False,
                    )
                )
            else:  # a painted blob inside the frame
                items.append(
                    Shape(
                        ellipse(x + bw / 2, y + bh / 2, bw * 0.3, bh * 0.3, 12)
                        + rng.normal(0, 4, (12, 2)),
                        fill=_rand_colour(rng, hue, 0.5),
                    )
                )
        elif kind in ("clock", "plate"):
            r = rng.uniform(12, 45)
            y = rng.uniform(r + 5, floor_y)
            items.append(
                Shape(
                    ellipse(x, y, r, r),
                    fill=(240, 238, 225) if kind == "clock" else colour,
                    stroke=ink,
                    width=lw,
                )
            )
            # Two dots and a line: a face-like decoy.
            for side in (-1, 1):
                items.append(
                    Shape(ellipse(x + side * r * 0.35, y - r * 0.2, r * 0.1, r * 0.1, 8), fill=ink)
                )
            items.append(
                Shape(
                    np.array([[x - r * 0.3, y + r * 0.35], [x + r * 0.3, y + r * 0.35]]),
                    stroke=ink,
                    width=lw,
                    closed=False,
                )
            )
        elif kind == "lamp":
            y = rng.uniform(40, floor_y - 60)
            shade = np.array([[x - 25, y + 40], [x - 12, y], [x + 12, y], [x + 25, y + 40]])
            items.append(
                Shape(
                    np.array(
                        [[x - 2, y + 40], [x + 2, y + 40], [x + 2, floor_y], [x - 2, floor_y]]
                    ),
                    fill=ink,
                )
            )
            items.append(Shape(shade, fill=colour, stroke=ink, width=lw))
    return items


def background(rng: np.random.Generator, style: ArtStyle, width: int, height: int) -> np.ndarray:
    """A room or garden `width` x `height` pixels (wider than the frame when the camera pans)."""
    hue = style.scenery_hue
    img = np.empty((height, width, 3), np.uint8)
    floor_y = int(height * rng.uniform(0.6, 0.8))
    if rng.random() < 0.25:  # outdoors: sky and grass
        img[:floor_y] = _gradient(
            floor_y, width, hsv_colour(0.58, 0.5, 0.95), hsv_colour(0.55, 0.2, 1.0)
        )
        img[floor_y:] = hsv_colour(0.28 + rng.uniform(-0.05, 0.05), 0.6, 0.6)
        for _ in range(int(rng.integers(2, 6))):
            x, r = int(rng.uniform(0, width)), int(rng.uniform(25, 70))
            cv2.rectangle(img, (x - 6, floor_y - r), (x + 6, floor_y + 5), (110, 70, 40), -1)
            cv2.circle(
                img, (x, floor_y - r - r // 2), r, hsv_colour(0.3, 0.6, 0.5), -1, cv2.LINE_AA
            )
            cv2.circle(img, (x, floor_y - r - r // 2), r, style.outline, 2, cv2.LINE_AA)
    else:
        _wallpaper(img, rng, hue, floor_y)
        img[floor_y:] = _rand_colour(rng, 0.08, 0.05)
        plank = int(rng.integers(12, 40))
        for y in range(floor_y, height, plank):
            cv2.line(img, (0, y), (width, y), style.outline, 1, cv2.LINE_AA)
        cv2.line(img, (0, floor_y), (width, floor_y), style.outline, 3, cv2.LINE_AA)
    draw_colour(img, _furniture(rng, hue, width, height, floor_y, style.outline), PIXELS)
    return img


def prop(
    rng: np.random.Generator, style: ArtStyle, near_xy: tuple[float, float], size_px: float
) -> list[Shape]:
    """A foreground object (plant, vase, chair back, pan) near `near_xy`, sized to hide part of a
    face of height `size_px`, in pixels."""
    x, y = near_xy
    colour = _rand_colour(rng, rng.random(), 0.5)
    ink = style.outline
    kind = rng.choice(["vase", "chair", "pan", "plant", "box"])
    s = size_px
    dx = float(rng.uniform(-0.9, 0.9)) * s
    dy = float(rng.uniform(0.1, 0.7)) * s
    cx, cy = x + dx, y + dy
    if kind == "vase":
        body = ellipse(cx, cy + s * 0.2, s * 0.35, s * 0.55)
        return [Shape(body, fill=colour, stroke=ink, width=2.0)]
    if kind == "chair":
        w, h = s * rng.uniform(0.5, 1.2), s * 2
        back = np.array(
            [[cx - w / 2, cy], [cx + w / 2, cy], [cx + w / 2, cy + h], [cx - w / 2, cy + h]]
        )
        return [Shape(back, fill=colour, stroke=ink, width=2.0)]
    if kind == "pan":
        pan = ellipse(cx, cy, s * 0.45, s * 0.45)
        handle = np.array(
            [
                [cx + s * 0.4, cy - 5],
                [cx + s * 1.3, cy - 9],
                [cx + s * 1.3, cy + 9],
                [cx + s * 0.4, cy + 5],
            ]
        )
        return [
            Shape(handle, fill=(60, 40, 30), stroke=ink, width=2.0),
            Shape(pan, fill=(70, 70, 75), stroke=ink, width=2.0),
        ]
    if kind == "plant":
        leaves = []
        for a in np.linspace(-1.2, 1.2, 5):
            tip = (cx + np.sin(a) * s * 0.8, cy - np.cos(a) * s * 0.8)
            leaf = np.array(
                [[cx, cy + s * 0.3], [tip[0] - s * 0.15, tip[1]], tip, [tip[0] + s * 0.15, tip[1]]]
            )
            leaves.append(Shape(leaf, fill=hsv_colour(0.3, 0.7, 0.55), stroke=ink, width=1.5))
        pot = np.array(
            [
                [cx - s * 0.3, cy + s * 0.3],
                [cx + s * 0.3, cy + s * 0.3],
                [cx + s * 0.22, cy + s],
                [cx - s * 0.22, cy + s],
            ]
        )
        return leaves + [Shape(pot, fill=(180, 90, 50), stroke=ink, width=2.0)]
    w, h = s * rng.uniform(0.6, 1.4), s * rng.uniform(0.5, 1.0)
    box = np.array([[cx - w / 2, cy], [cx + w / 2, cy], [cx + w / 2, cy + h], [cx - w / 2, cy + h]])
    return [Shape(box, fill=colour, stroke=ink, width=2.0)]
