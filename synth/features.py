"""The expressive parts every character shares: brows, eyes, mouth, tears, sweat, blush.

Each builder takes the character's layout and a `FaceParams` and returns shapes in face units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synth.emotions import ACCESSORY_THRESHOLD, FaceParams
from synth.shapes import RGB, Shape, curve, ellipse, thick_curve

WHITE: RGB = (250, 250, 245)
BLACK: RGB = (20, 20, 25)
MOUTH_DARK: RGB = (110, 25, 35)
TONGUE: RGB = (235, 105, 120)
TEAR: RGB = (120, 190, 250)


@dataclass(frozen=True)
class Layout:
    """Where a character's features sit, in face units."""

    eye_xy: tuple[float, float]  # the viewer's-right eye; the other mirrors it
    eye_rx: float
    eye_ry: float
    brow_len: float
    brow_gap: float  # brow height above the top of the open eye
    brow_width: float
    mouth_xy: tuple[float, float]
    mouth_half_w: float
    cheek_xy: tuple[float, float]
    iris: RGB | None  # coloured ring round the pupil, or plain black pupils


def brows(lay: Layout, p: FaceParams, colour: RGB) -> list[Shape]:
    out = []
    ex, ey = lay.eye_xy
    for side in (-1, 1):  # -1: left on screen; its inner end points to +x
        cx = side * ex
        cy = ey - lay.eye_ry * max(p.eye_open, 0.8) - lay.brow_gap - p.brow_raise
        cy -= side * p.brow_asym
        inner = -side  # direction of the inner end along x
        half = lay.brow_len / 2
        dy = p.brow_tilt * half
        p_in = (cx + inner * half, cy + dy)
        p_out = (cx - inner * half, cy - dy)
        mid = (cx, cy - p.brow_arch)
        line = curve(p_out, mid, p_in, n=10)
        taper = lay.brow_width * np.linspace(0.5, 1.0, len(line))
        out.append(Shape(thick_curve(line, taper), fill=colour, stroke=None, width=0.0))
    return out


def eyes(
    lay: Layout, p: FaceParams, skin: RGB, outline: RGB, gaze: tuple[float, float]
) -> list[Shape]:
    out = []
    ex, ey = lay.eye_xy
    ry = lay.eye_ry * p.eye_open
    for side in (-1, 1):
        cx = side * ex
        out.append(Shape(ellipse(cx, ey, lay.eye_rx, ry), fill=WHITE, stroke=outline, width=0.035))
        pr = min(lay.eye_rx * 0.5 * p.pupil, ry * 0.85)
        px = cx + gaze[0] * (lay.eye_rx - pr) * 0.6
        py = ey + gaze[1] * max(ry - pr, 0.0) * 0.6
        if lay.iris is not None:
            ir = min(pr * 1.6, ry * 0.95, lay.eye_rx * 0.9)
            out.append(Shape(ellipse(px, py, ir, ir, n=20), fill=lay.iris, stroke=None))
        out.append(Shape(ellipse(px, py, pr, pr, n=16), fill=BLACK, stroke=None))
        glint = pr * 0.35
        out.append(Shape(ellipse(px + pr * 0.35, py - pr * 0.35, glint, glint, n=8), fill=WHITE))
        if p.eye_smile > 0.05:
            # The lower lid rises into an arch; at full smile only a "^" of eye stays.
            lift = p.eye_smile * ry * 1.6
            xs = np.linspace(cx - lay.eye_rx * 1.15, cx + lay.eye_rx * 1.15, 14)
            u = (xs - cx) / (lay.eye_rx * 1.15)
            arch = ey + ry - lift * (1 - u**2)
            lid = np.concatenate(
                [np.stack([xs, arch], 1), [[xs[-1], ey + ry * 1.3], [xs[0], ey + ry * 1.3]]]
            )
            out.append(Shape(lid, fill=skin, stroke=None))
            out.append(Shape(np.stack([xs, arch], 1), stroke=outline, width=0.035, closed=False))
    return out


def _lip_line(lay: Layout, p: FaceParams, xs: np.ndarray) -> np.ndarray:
    mx, my = lay.mouth_xy
    hw = lay.mouth_half_w * p.mouth_width
    u = (xs - mx) / hw
    c = p.mouth_curve
    y = my + 0.3 * c - 1.3 * c * u**2 - p.mouth_skew * u
    y += p.mouth_wave * np.sin(u * 3 * math.pi)
    return y


def bean_eyes(
    lay: Layout, p: FaceParams, skin: RGB, outline: RGB, gaze: tuple[float, float]
) -> list[Shape]:
    """Solid black ovals with a glint and no white: a happy face closes them into "^" arcs."""
    out = []
    ex, ey = lay.eye_xy
    size = 0.7 + 0.3 * p.pupil
    rx = lay.eye_rx * 0.6 * size
    ry = max(lay.eye_ry * p.eye_open * size, 0.04)
    for side in (-1, 1):
        cx = side * ex + gaze[0] * lay.eye_rx * 0.2
        cy = ey + gaze[1] * lay.eye_ry * 0.15
        if p.eye_smile > 0.5:
            arc = curve(
                (cx - rx * 1.5, cy + ry * 0.4), (cx, cy - ry * 1.1), (cx + rx * 1.5, cy + ry * 0.4)
            )
            out.append(Shape(thick_curve(arc, 0.045), fill=BLACK, stroke=None))
            continue
        out.append(Shape(ellipse(cx, cy, rx, ry), fill=BLACK, stroke=outline, width=0.02))
        glint = rx * 0.4
        out.append(Shape(ellipse(cx - rx * 0.3, cy - ry * 0.45, glint, glint, n=10), fill=WHITE))
        if p.eye_smile > 0.05:  # the lower lid rises a little: the oval's bottom is covered
            lift = p.eye_smile * ry * 1.4
            xs = np.linspace(cx - rx * 1.2, cx + rx * 1.2, 12)
            u = (xs - cx) / (rx * 1.2)
            arch = cy + ry - lift * (1 - u**2)
            lid = np.concatenate(
                [np.stack([xs, arch], 1), [[xs[-1], cy + ry * 1.3], [xs[0], cy + ry * 1.3]]]
            )
            out.append(Shape(lid, fill=skin, stroke=None))
    return out


def mouth(
    lay: Layout,
    p: FaceParams,
    outline: RGB,
    skin: RGB,
    dark: RGB = MOUTH_DARK,
    line: float = 0.045,
) -> list[Shape]:
    """The lips, and when open the mouth's inside (`dark`), teeth and tongue; lips `line` wide."""
    mx, my = lay.mouth_xy
    hw = lay.mouth_half_w * p.mouth_width
    n = 16
    xs = np.linspace(mx - hw, mx + hw, n)
    base = _lip_line(lay, p, xs)
    if p.mouth_open < 0.08:
        return [Shape(np.stack([xs, base], 1), stroke=outline, width=line, closed=False)]

    bulge = (1 - ((xs - mx) / hw) ** 2) ** 0.7
    depth = p.mouth_open * 0.42
    upper = np.stack([xs, base - 0.04 * p.mouth_open * bulge], 1)
    lower = np.stack([xs, base + depth * bulge], 1)[::-1]
    if p.mouth_round > 0:
        # Blend towards an "O" with the same point order: over the top left->right, back below.
        r_x, r_y = max(hw * 0.75, 0.08), max(depth * 0.55, 0.06)
        oy = my + r_y * 0.4
        top = ellipse(mx, oy, r_x, r_y, n=n, start=math.pi, end=2 * math.pi)
        bottom = ellipse(mx, oy, r_x, r_y, n=n, start=0.0, end=math.pi)  # right -> left
        k = p.mouth_round
        upper = (1 - k) * upper + k * top
        lower = (1 - k) * lower + k * bottom
    hole = np.concatenate([upper, lower])
    out = [Shape(hole, fill=dark, stroke=outline, width=line)]
    if p.tongue > ACCESSORY_THRESHOLD:
        low = lower[len(lower) // 2]
        out.append(
            Shape(
                ellipse(low[0] + hw * 0.15, low[1] + 0.02, hw * 0.4, 0.12, n=18),
                fill=TONGUE,
                stroke=outline,
                width=0.03,
            )
        )
    if p.teeth > ACCESSORY_THRESHOLD:
        band = max(min(depth * 0.35, 0.09), 0.03)
        top_row = np.concatenate([upper, (upper + [0, band])[::-1]])
        out.append(Shape(top_row, fill=WHITE, stroke=outline, width=0.02))
        if p.teeth > 0.85:
            low = lower[::-1]
            out.append(
                Shape(
                    np.concatenate([low, (low - [0, band])[::-1]]),
                    fill=WHITE,
                    stroke=outline,
                    width=0.02,
                )
            )
            for x in np.linspace(mx - hw * 0.6, mx + hw * 0.6, 4):
                i = int(np.argmin(np.abs(xs - x)))
                gap = np.array([[x, upper[i, 1]], [x, low[i, 1]]])
                out.append(Shape(gap, stroke=outline, width=0.015, closed=False))
    return out


def cheeks(lay: Layout, p: FaceParams, skin: RGB) -> list[Shape]:
    if p.flush < 0.1:
        return []
    k = min(p.flush, 1.0) * 0.75
    colour = tuple(int(round((1 - k) * s + k * f)) for s, f in zip(skin, p.flush_rgb, strict=True))
    cx, cy = lay.cheek_xy
    return [
        Shape(ellipse(side * cx, cy, 0.17, 0.1, n=16), fill=colour, tone=True) for side in (-1, 1)
    ]


def tears_and_sweat(lay: Layout, p: FaceParams, outline: RGB) -> list[Shape]:
    out = []
    ex, ey = lay.eye_xy
    if p.tears > ACCESSORY_THRESHOLD:
        for side in (-1, 1):
            x0, y0 = side * (ex + lay.eye_rx * 0.3), ey + lay.eye_ry * 0.7
            stream = curve((x0, y0), (x0 + side * 0.05, y0 + 0.25), (x0, y0 + 0.5), n=10)
            out.append(Shape(thick_curve(stream, np.linspace(0.02, 0.05, 10)), fill=TEAR))
            out.append(_drop(x0, y0 + 0.6, 0.07, outline))
    if p.sweat > ACCESSORY_THRESHOLD:
        for x, y, r in (
            (ex + lay.eye_rx + 0.15, ey - lay.eye_ry - 0.2, 0.08),
            (-(ex + lay.eye_rx + 0.05), ey - lay.eye_ry - 0.35, 0.06),
        ):
            out.append(_drop(x, y, r, outline))
    return out


def _drop(x: float, y: float, r: float, outline: RGB) -> Shape:
    body = ellipse(x, y, r, r, n=14, start=-0.2, end=math.pi + 0.2)
    tip = np.array([[x, y - r * 2.4]])
    return Shape(np.concatenate([body, tip]), fill=TEAR, stroke=outline, width=0.02)
