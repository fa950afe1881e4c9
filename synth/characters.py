"""The characters of every show, generic designs of our own built from ellipses and curves.

The classic show: tom (a grey-blue cat), jerry (a brown mouse), spike (a grey bulldog, a
distractor). The meadow show: bunny (a lilac rabbit) and frog (a green frog), drawn another way
(see `synth.shows`). The emoji show: smiley, a round yellow face.

Each character is a `Design`: its colours, the layout of its features, the shapes of its head,
ears and muzzle, and its show's `Drawing` of eyes and mouth. `face_shapes` puts a design and an
expression together into the shapes a renderer draws.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from synth.emotions import FaceParams
from synth.features import (
    BLACK,
    MOUTH_DARK,
    Layout,
    bean_eyes,
    brows,
    cheeks,
    eyes,
    mouth,
    tears_and_sweat,
)
from synth.shapes import RGB, Shape, curve, ellipse
from synth.style import ArtStyle


@dataclass(frozen=True)
class Drawing:
    """How a show draws the expressive parts: its eyes, the inside and line of its mouths."""

    eyes: Callable[..., list[Shape]] = eyes
    mouth_dark: RGB = MOUTH_DARK
    mouth_line: float = 0.045


CLASSIC = Drawing()
# Bean eyes, a plum mouth with a heavy lip line (heads add cel shading, outlines are thicker).
MEADOW = Drawing(eyes=bean_eyes, mouth_dark=(70, 25, 75), mouth_line=0.08)
# Bean eyes and a brown mouth on a round yellow head: the look of face emoji.
EMOJI = Drawing(eyes=bean_eyes, mouth_dark=(95, 45, 20), mouth_line=0.06)


@dataclass(frozen=True)
class Design:
    name: str
    skin: RGB
    muzzle: RGB
    accent: RGB  # inner ears, nose
    brow: RGB
    layout: Layout
    # Face-height range in pixels when the character appears in an episode.
    height_px: tuple[int, int]
    head: Callable[[Design, ArtStyle], list[Shape]]
    drawing: Drawing = CLASSIC

    # What a show's episodes and crops ask of a character (`synth.artists.ArtistDesign` answers
    # the same): its shapes under an episode's style, and its face box's height in face units.
    def face_shapes(
        self, params: FaceParams, style: ArtStyle, gaze: tuple[float, float] = (0.0, 0.0)
    ) -> list[Shape]:
        return face_shapes(self.name, params, style, gaze)

    def body_shapes(self, style: ArtStyle) -> list[Shape]:
        return body_shapes(self.name, style)

    def face_height_units(self) -> float:
        return face_height_units(self.name)


def _line(style: ArtStyle) -> float:
    return 0.05 * style.line_scale


def _tom_head(d: Design, st: ArtStyle) -> list[Shape]:
    skin, ink, w = st.colour(d.skin), st.outline, _line(st)
    out = []
    for side in (-1, 1):
        ear = np.array([[side * 0.88, -0.35], [side * 0.72, -1.38], [side * 0.18, -0.84]])
        inner = np.array([[side * 0.75, -0.5], [side * 0.68, -1.1], [side * 0.36, -0.8]])
        out.append(Shape(ear, fill=skin, stroke=ink, width=w, wrap=0.3, silhouette=True))
        out.append(Shape(inner, fill=st.colour(d.accent), wrap=0.3))
    # A head with fur tufts on the cheeks.
    t = np.linspace(0, 2 * math.pi, 48, endpoint=False)
    r = 1.0 + 0.09 * np.clip(np.cos(5 * t), 0, None) * (np.abs(np.cos(t)) > 0.55)
    head = np.stack([1.05 * r * np.cos(t), 0.92 * r * np.sin(t)], 1)
    out.append(Shape(head, fill=skin, stroke=ink, width=w, wrap=0.0, silhouette=True))
    out.append(Shape(ellipse(0, 0.42, 0.58, 0.4), fill=st.colour(d.muzzle), wrap=0.8))
    out.append(
        Shape(
            np.array([[-0.1, 0.14], [0.1, 0.14], [0.0, 0.27]]),
            fill=st.colour(d.accent),
            stroke=ink,
            width=w * 0.5,
        )
    )
    for side in (-1, 1):
        for k in (-1, 0, 1):
            whisker = curve(
                (side * 0.32, 0.32 + 0.05 * k),
                (side * 0.7, 0.27 + 0.1 * k),
                (side * 1.2, 0.22 + 0.16 * k),
                n=6,
            )
            out.append(Shape(whisker, stroke=ink, width=w * 0.35, closed=False, wrap=0.6))
    return out


def _jerry_head(d: Design, st: ArtStyle) -> list[Shape]:
    skin, ink, w = st.colour(d.skin), st.outline, _line(st)
    out = []
    for side in (-1, 1):
        out.append(
            Shape(
                ellipse(side * 0.85, -0.72, 0.52, 0.5),
                fill=skin,
                stroke=ink,
                width=w,
                wrap=0.3,
                silhouette=True,
            )
        )
        out.append(
            Shape(ellipse(side * 0.85, -0.7, 0.33, 0.32), fill=st.colour(d.accent), wrap=0.3)
        )
    out.append(
        Shape(ellipse(0, 0.0, 0.86, 0.9), fill=skin, stroke=ink, width=w, wrap=0.0, silhouette=True)
    )
    out.append(Shape(ellipse(0, 0.42, 0.52, 0.4), fill=st.colour(d.muzzle), wrap=0.8))
    out.append(Shape(ellipse(0, 0.2, 0.11, 0.09), fill=BLACK, stroke=ink, width=w * 0.4))
    for side in (-1, 1):
        for k in (-1, 1):
            whisker = curve(
                (side * 0.15, 0.27),
                (side * 0.45, 0.25 + 0.05 * k),
                (side * 0.8, 0.2 + 0.12 * k),
                n=6,
            )
            out.append(Shape(whisker, stroke=ink, width=w * 0.25, closed=False, wrap=0.6))
    return out


def _spike_head(d: Design, st: ArtStyle) -> list[Shape]:
    skin, ink, w = st.colour(d.skin), st.outline, _line(st)
    dark = st.colour(d.accent)
    out = []
    # A squarish bulldog skull (superellipse) with jowls hanging below it.
    t = np.linspace(0, 2 * math.pi, 48, endpoint=False)
    c, s = np.cos(t), np.sin(t)
    head = np.stack(
        [1.1 * np.sign(c) * np.abs(c) ** 0.7, 0.85 * np.sign(s) * np.abs(s) ** 0.8 - 0.1], 1
    )
    out.append(Shape(head, fill=skin, stroke=ink, width=w, wrap=0.0, silhouette=True))
    for side in (-1, 1):
        ear = np.concatenate(
            [
                curve((side * 0.7, -0.85), (side * 1.45, -0.9), (side * 1.3, 0.05), 8),
                curve((side * 1.15, 0.1), (side * 1.0, -0.4), (side * 0.85, -0.6), 8),
            ]
        )
        out.append(Shape(ear, fill=dark, stroke=ink, width=w, wrap=0.3, silhouette=True))
    for side in (-1, 1):
        out.append(
            Shape(
                ellipse(side * 0.4, 0.5, 0.5, 0.42),
                fill=st.colour(d.muzzle),
                stroke=ink,
                width=w,
                wrap=0.7,
                silhouette=True,
            )
        )
    out.append(Shape(ellipse(0, 0.18, 0.24, 0.15), fill=BLACK, stroke=ink, width=w * 0.4))
    return out


def _spike_extras(d: Design, st: ArtStyle) -> list[Shape]:
    """Spike's underbite fangs, drawn over the mouth."""
    ink = st.outline
    mx, my = d.layout.mouth_xy
    return [
        Shape(
            np.array(
                [
                    [side * 0.3 - 0.06, my + 0.12],
                    [side * 0.3, my - 0.06],
                    [side * 0.3 + 0.06, my + 0.12],
                ]
            ),
            fill=(250, 250, 240),
            stroke=ink,
            width=0.02,
        )
        for side in (-1, 1)
    ]


def _shade(rgb: RGB) -> RGB:
    return tuple(int(c * 0.72) for c in rgb)  # type: ignore[return-value]


def _cel(points: np.ndarray, skin: RGB, ink: RGB, w: float, wrap: float = 0.0) -> list[Shape]:
    """A cel-shaded silhouette: the whole outline in shadow, a lit copy up and to the left."""
    lit = points * 0.9 + np.array([-0.07, -0.08])
    return [
        Shape(points, fill=_shade(skin), stroke=ink, width=w, wrap=wrap, silhouette=True),
        Shape(lit, fill=skin, wrap=wrap, tone=True),
    ]


def _bunny_head(d: Design, st: ArtStyle) -> list[Shape]:
    skin, ink, w = st.colour(d.skin), st.outline, _line(st)
    out = []
    for side in (-1, 1):  # tall ears, outside the face box
        tilt = side * 0.12
        ear = ellipse(side * 0.4, -1.55, 0.22, 0.72)
        ear = ear + np.stack([tilt * (ear[:, 1] + 1.55), np.zeros(len(ear))], 1)
        out += [
            Shape(ear, fill=skin, stroke=ink, width=w, wrap=0.3),
            Shape(ear * [0.55, 0.8] + [side * 0.18, -0.31], fill=st.colour(d.accent), wrap=0.3),
        ]
    out += _cel(ellipse(0, 0.0, 0.92, 1.0, n=40), skin, ink, w)
    out.append(Shape(ellipse(0, 0.45, 0.5, 0.36), fill=st.colour(d.muzzle), wrap=0.8))
    out.append(
        Shape(ellipse(0, 0.2, 0.1, 0.07), fill=st.colour(d.accent), stroke=ink, width=w * 0.4)
    )
    return out


def _smiley_head(d: Design, st: ArtStyle) -> list[Shape]:
    skin, ink, w = st.colour(d.skin), st.outline, _line(st)
    return _cel(ellipse(0, 0, 1.0, 1.0, n=48), skin, ink, w)


def _frog_head(d: Design, st: ArtStyle) -> list[Shape]:
    skin, ink, w = st.colour(d.skin), st.outline, _line(st)
    out = []
    for side in (-1, 1):  # eye bulges on top of a wide, flat head
        out += _cel(ellipse(side * 0.5, -0.5, 0.4, 0.38), skin, ink, w, wrap=0.3)
    out += _cel(ellipse(0, 0.15, 1.2, 0.75, n=44), skin, ink, w)
    out.append(Shape(ellipse(0, 0.5, 0.8, 0.3), fill=st.colour(d.muzzle), wrap=0.8))
    for side in (-1, 1):
        out.append(Shape(ellipse(side * 0.12, 0.12, 0.04, 0.03, n=8), fill=BLACK))
    return out


DESIGNS: dict[str, Design] = {
    "tom": Design(
        "tom",
        skin=(118, 134, 168),
        muzzle=(232, 230, 220),
        accent=(235, 160, 170),
        brow=(50, 55, 80),
        layout=Layout(
            eye_xy=(0.33, -0.15),
            eye_rx=0.22,
            eye_ry=0.27,
            brow_len=0.36,
            brow_gap=0.1,
            brow_width=0.05,
            mouth_xy=(0.0, 0.52),
            mouth_half_w=0.3,
            cheek_xy=(0.62, 0.2),
            iris=(170, 200, 60),
        ),
        height_px=(48, 200),
        head=_tom_head,
    ),
    "jerry": Design(
        "jerry",
        skin=(176, 112, 58),
        muzzle=(238, 204, 160),
        accent=(240, 170, 165),
        brow=(70, 35, 15),
        layout=Layout(
            eye_xy=(0.27, -0.16),
            eye_rx=0.16,
            eye_ry=0.25,
            brow_len=0.26,
            brow_gap=0.08,
            brow_width=0.035,
            mouth_xy=(0.0, 0.5),
            mouth_half_w=0.25,
            cheek_xy=(0.5, 0.2),
            iris=None,
        ),
        height_px=(30, 130),
        head=_jerry_head,
    ),
    "spike": Design(
        "spike",
        skin=(152, 150, 146),
        muzzle=(205, 200, 190),
        accent=(95, 92, 90),
        brow=(40, 40, 40),
        layout=Layout(
            eye_xy=(0.36, -0.25),
            eye_rx=0.16,
            eye_ry=0.17,
            brow_len=0.38,
            brow_gap=0.08,
            brow_width=0.07,
            mouth_xy=(0.0, 0.62),
            mouth_half_w=0.38,
            cheek_xy=(0.65, 0.25),
            iris=None,
        ),
        height_px=(48, 200),
        head=_spike_head,
    ),
    "bunny": Design(
        "bunny",
        skin=(214, 200, 238),
        muzzle=(252, 246, 250),
        accent=(246, 150, 190),
        brow=(95, 60, 130),
        layout=Layout(
            eye_xy=(0.34, -0.2),
            eye_rx=0.2,
            eye_ry=0.26,
            brow_len=0.3,
            brow_gap=0.08,
            brow_width=0.06,
            mouth_xy=(0.0, 0.5),
            mouth_half_w=0.26,
            cheek_xy=(0.56, 0.25),
            iris=None,
        ),
        height_px=(40, 170),
        head=_bunny_head,
        drawing=MEADOW,
    ),
    "frog": Design(
        "frog",
        skin=(104, 186, 84),
        muzzle=(220, 238, 168),
        accent=(240, 120, 110),
        brow=(30, 75, 30),
        layout=Layout(
            eye_xy=(0.5, -0.5),
            eye_rx=0.22,
            eye_ry=0.25,
            brow_len=0.34,
            brow_gap=0.06,
            brow_width=0.06,
            mouth_xy=(0.0, 0.36),
            mouth_half_w=0.52,
            cheek_xy=(0.8, 0.3),
            iris=None,
        ),
        height_px=(36, 150),
        head=_frog_head,
        drawing=MEADOW,
    ),
    "smiley": Design(
        "smiley",
        skin=(250, 200, 60),
        muzzle=(250, 200, 60),
        accent=(240, 120, 60),
        brow=(90, 50, 20),
        layout=Layout(
            eye_xy=(0.34, -0.18),
            eye_rx=0.2,
            eye_ry=0.28,
            brow_len=0.32,
            brow_gap=0.08,
            brow_width=0.06,
            mouth_xy=(0.0, 0.45),
            mouth_half_w=0.42,
            cheek_xy=(0.58, 0.25),
            iris=None,
        ),
        height_px=(40, 160),
        head=_smiley_head,
        drawing=EMOJI,
    ),
}


def face_shapes(
    character: str, params: FaceParams, style: ArtStyle, gaze: tuple[float, float] = (0.0, 0.0)
) -> list[Shape]:
    """Every shape of one face, back to front."""
    d = DESIGNS[character]
    skin = style.colour(d.skin)
    eye_skin = style.colour(d.skin)
    ink = style.outline
    shapes = d.head(d, style)
    shapes += cheeks(d.layout, params, style.colour(d.muzzle))
    shapes += mouth(d.layout, params, ink, skin, d.drawing.mouth_dark, d.drawing.mouth_line)
    if character == "spike":
        shapes += _spike_extras(d, style)
    shapes += d.drawing.eyes(d.layout, params, eye_skin, ink, gaze)
    shapes += brows(d.layout, params, style.colour(d.brow))
    shapes += tears_and_sweat(d.layout, params, ink)
    return shapes


def body_shapes(character: str, style: ArtStyle) -> list[Shape]:
    """A simple torso below the head, in face units: it occludes, but is not part of the face."""
    d = DESIGNS[character]
    skin, ink = style.colour(d.skin), style.outline
    torso = ellipse(0, 1.9, 0.75, 1.1)
    belly = ellipse(0, 2.0, 0.45, 0.75)
    return [
        Shape(torso, fill=skin, stroke=ink, width=_line(style), wrap=0.0),
        Shape(belly, fill=style.colour(d.muzzle), wrap=0.0),
    ]


def face_height_units(character: str) -> float:
    """The untransformed height of a character's face box, in face units."""
    pts = np.concatenate(
        [s.points for s in DESIGNS[character].head(DESIGNS[character], ArtStyle()) if s.silhouette]
    )
    return float(pts[:, 1].max() - pts[:, 1].min())
