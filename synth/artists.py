"""Many ways to draw the same seven expressions: the conventions an artist chooses.

A cartoon a user indexes was drawn by someone else. An `Artist` is one set of drawing choices
(eyes, brows, mouth, nose, head shape and proportions, line weight and colour, shading, palette,
an accessory that leaves the expression alone); `Artist.random` draws one, and `artist_face`
renders a face of any emotion in it with the expressions of `synth.emotions`. The classic show
and the other shows draw through `synth.characters` and are not touched by this module.
"""

from __future__ import annotations

import colorsys
import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from synth import EMOTIONS
from synth.emotions import FaceParams, expression, sample_intensity
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
from synth.render import draw_colour
from synth.shapes import RGB, Pose, Shape, ellipse, silhouette_bounds, thick_curve
from synth.style import ArtStyle
from synth.writing import balanced_order, write_png

EYES = ("ovals", "dots", "large", "lashes")
BROWS = ("none", "lines", "blocks")
MOUTHS = ("plain", "line", "fangs")
NOSES = ("none", "dot", "triangle", "snout")
HEADS = ("round", "wide", "tall", "eared", "box")
SHADINGS = ("flat", "cel", "gradient")
ACCESSORIES = ("none", "hat", "bow", "antenna")
# the conventions an artist picks from a list, by the Artist field that holds the pick
CONVENTIONS: dict[str, tuple[str, ...]] = {
    "eyes": EYES,
    "brows": BROWS,
    "mouth": MOUTHS,
    "nose": NOSES,
    "head": HEADS,
    "shading": SHADINGS,
    "accessory": ACCESSORIES,
}

# Skin tones of people, fur and plastic: from pale to dark, and the unreal colours of toys.
SKINS: tuple[RGB, ...] = (
    (255, 224, 196), (241, 194, 150), (198, 134, 90), (141, 85, 54), (92, 58, 40),
    (250, 215, 70), (150, 200, 240), (160, 220, 150), (200, 200, 205), (240, 160, 190),
)  # fmt: skip
INKS: tuple[RGB, ...] = ((15, 15, 20), (60, 35, 20), (25, 30, 70), (90, 90, 95), (120, 20, 40))


@dataclass(frozen=True)
class Artist:
    """One artist's way of drawing a face.

    Attributes:
        eyes, brows, mouth, nose, head, shading, accessory: one of the tuples above.
        skin: the face's colour; `hair` a second colour for hair, ears or a hat.
        ink: outline colour; `line` its width in face units (0: no outlines at all).
        eye_scale: eye size against the head; `eye_height` where the eyes sit (face units,
            negative is above the centre); `mouth_height` likewise for the mouth.
    """

    eyes: str = "ovals"
    brows: str = "lines"
    mouth: str = "plain"
    nose: str = "none"
    head: str = "round"
    shading: str = "flat"
    accessory: str = "none"
    skin: RGB = SKINS[0]
    hair: RGB = (90, 60, 40)
    ink: RGB = INKS[0]
    line: float = 0.05
    eye_scale: float = 1.0
    eye_height: float = -0.2
    mouth_height: float = 0.45

    def __post_init__(self) -> None:
        for name, allowed in CONVENTIONS.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}")
        if not 0.0 <= self.line <= 0.2 or not 0.4 <= self.eye_scale <= 2.0:
            raise ValueError("line must be in [0, 0.2] and eye_scale in [0.4, 2]")

    @classmethod
    def random(
        cls, rng: np.random.Generator, choices: dict[str, tuple[str, ...]] | None = None
    ) -> Artist:
        """An artist drawn at random: every convention independently, from `choices` where it
        names one (see `restricted`), else from all of CONVENTIONS."""
        allowed = CONVENTIONS | (choices or {})

        def pick(options: tuple):  # noqa: ANN202
            return options[int(rng.integers(len(options)))]

        hue = float(rng.random())
        hair = colorsys.hsv_to_rgb(hue, float(rng.uniform(0.3, 0.9)), float(rng.uniform(0.2, 0.9)))
        return cls(
            **{name: pick(allowed[name]) for name in CONVENTIONS},  # in CONVENTIONS' order
            skin=pick(SKINS),
            hair=tuple(int(255 * v) for v in hair),
            ink=pick(INKS),
            line=float(rng.choice([0.0, rng.uniform(0.02, 0.05), rng.uniform(0.05, 0.11)])),
            eye_scale=float(rng.uniform(0.7, 1.5)),
            eye_height=float(rng.uniform(-0.35, -0.05)),
            mouth_height=float(rng.uniform(0.35, 0.6)),
        )

    def layout(self) -> Layout:
        wide = {"wide": 1.2, "tall": 0.8, "box": 1.05}.get(self.head, 1.0)
        s = self.eye_scale
        return Layout(
            eye_xy=(0.36 * wide, self.eye_height),
            eye_rx=0.17 * s,
            eye_ry=0.21 * s,
            brow_len=0.34,
            brow_gap=0.08,
            brow_width={"lines": 0.025, "blocks": 0.06}.get(self.brows, 0.025),
            mouth_xy=(0.0, self.mouth_height),
            mouth_half_w=0.3 * wide,
            cheek_xy=(0.5 * wide, self.mouth_height - 0.15),
            iris=self.hair if self.eyes == "large" else None,
        )


def _darker(rgb: RGB, k: float) -> RGB:
    return tuple(int(round(v * k)) for v in rgb)


def _head(a: Artist) -> list[Shape]:
    ink = a.ink if a.line > 0 else None
    rx, ry = {"wide": (1.15, 0.9), "tall": (0.8, 1.1)}.get(a.head, (1.0, 1.0))
    out: list[Shape] = []
    if a.head == "eared":  # round ears behind the head: a mouse, a bear, a monkey
        for side in (-1, 1):
            out.append(Shape(ellipse(side * 0.85, -0.8, 0.42, 0.42), fill=a.hair, stroke=ink,
                             width=a.line, wrap=0.0))  # fmt: skip
    if a.head == "box":  # an object's face: a rounded box (a toaster, a robot)
        t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        c, s = np.cos(t), np.sin(t)
        rim = np.stack([np.sign(c) * np.abs(c) ** 0.35, np.sign(s) * np.abs(s) ** 0.35], 1)
    else:
        rim = ellipse(0, 0, rx, ry, n=48)
    out.append(Shape(rim, fill=a.skin, stroke=ink, width=a.line, wrap=0.0, silhouette=True))
    if a.shading == "cel":  # a darker crescent on the lower right, no outline
        out.append(Shape(rim * 0.96 + [0.12, 0.12], fill=_darker(a.skin, 0.82), wrap=0.0))
        out.append(Shape(rim * 0.9 + [-0.05, -0.05], fill=a.skin, wrap=0.0))
    elif a.shading == "gradient":  # rings lightening towards the upper left
        for k in np.linspace(0.85, 0.25, 5):
            tone = tuple(min(255, int(v + (255 - v) * (0.85 - k) * 0.35)) for v in a.skin)
            out.append(Shape(rim * k + [-0.15 * (1 - k), -0.15 * (1 - k)], fill=tone, wrap=0.0))
    return out


def _nose(a: Artist, lay: Layout) -> list[Shape]:
    y = (lay.eye_xy[1] + lay.mouth_xy[1]) / 2 + 0.05
    ink = a.ink if a.line > 0 else BLACK
    if a.nose == "dot":
        return [Shape(ellipse(0, y, 0.06, 0.05), fill=ink)]
    if a.nose == "triangle":
        tri = np.array([[-0.08, y + 0.05], [0.08, y + 0.05], [0.0, y - 0.08]])
        return [Shape(tri, fill=_darker(a.skin, 0.8), stroke=ink, width=max(a.line * 0.5, 0.02))]
    if a.nose == "snout":
        return [
            Shape(ellipse(0, y + 0.05, 0.2, 0.13), fill=_darker(a.skin, 0.9), stroke=ink,
                  width=max(a.line * 0.5, 0.02)),
            Shape(ellipse(-0.07, y + 0.05, 0.03, 0.04), fill=ink),
            Shape(ellipse(0.07, y + 0.05, 0.03, 0.04), fill=ink),
        ]  # fmt: skip
    return []


def _lashes(lay: Layout, p: FaceParams) -> list[Shape]:
    out = []
    ex, ey = lay.eye_xy
    top = ey - lay.eye_ry * p.eye_open
    for side in (-1, 1):
        for k in (-0.5, 0.0, 0.5):
            x = side * ex + k * lay.eye_rx
            line = np.array([[x, top], [x + side * 0.06 + k * 0.04, top - 0.1]])
            out.append(Shape(line, stroke=BLACK, width=0.025, closed=False))
    return out


def _fangs(lay: Layout, p: FaceParams) -> list[Shape]:
    if p.mouth_open < 0.08:
        return []
    mx, my = lay.mouth_xy
    hw = lay.mouth_half_w * p.mouth_width
    out = []
    for side in (-1, 1):
        x = mx + side * hw * 0.45
        y = my + 0.3 * p.mouth_curve - 1.3 * p.mouth_curve * 0.2
        out.append(Shape(np.array([[x - 0.05, y], [x + 0.05, y], [x, y + 0.12]]),
                         fill=(250, 250, 245), stroke=BLACK, width=0.015))  # fmt: skip
    return out


def _accessory(a: Artist) -> list[Shape]:
    ink = a.ink if a.line > 0 else None
    if a.accessory == "hat":  # a brim and a crown above the brows
        return [
            Shape(np.array([[-0.75, -0.98], [0.75, -0.98], [0.75, -0.88], [-0.75, -0.88]]),
                  fill=a.hair, stroke=ink, width=a.line, wrap=0.0),
            Shape(np.array([[-0.45, -0.98], [0.45, -0.98], [0.38, -1.45], [-0.38, -1.45]]),
                  fill=a.hair, stroke=ink, width=a.line, wrap=0.0),
        ]  # fmt: skip
    if a.accessory == "bow":
        left = np.array([[0.55, -0.95], [0.3, -1.2], [0.3, -0.75]])
        right = np.array([[0.55, -0.95], [0.8, -1.2], [0.8, -0.75]])
        return [Shape(s, fill=(220, 40, 70), stroke=ink, width=a.line, wrap=0.0)
                for s in (left, right)]  # fmt: skip
    if a.accessory == "antenna":
        stalk = thick_curve(np.array([[0.0, -0.98], [0.05, -1.3], [0.1, -1.45]]), 0.025)
        return [Shape(stalk, fill=a.ink), Shape(ellipse(0.1, -1.5, 0.09, 0.09), fill=a.hair)]
    return []


def artist_shapes(a: Artist, params: FaceParams, gaze: tuple[float, float]) -> list[Shape]:
    """Every shape of one face drawn by `a`, back to front, in face units."""
    lay = a.layout()
    ink = a.ink if a.line > 0 else _darker(a.skin, 0.45)
    line = a.line if a.line > 0 else 0.03
    shapes = _head(a)
    shapes += cheeks(lay, params, a.skin)
    shapes += _nose(a, lay)
    dark = ink if a.mouth == "line" else MOUTH_DARK
    shapes += mouth(lay, params, ink, a.skin, dark, line * (1.8 if a.mouth == "line" else 1.0))
    if a.mouth == "fangs":
        shapes += _fangs(lay, params)
    draw_eyes = bean_eyes if a.eyes == "dots" else eyes
    shapes += draw_eyes(lay, params, a.skin, ink, gaze)
    if a.eyes == "lashes":
        shapes += _lashes(lay, params)
    if a.brows != "none":
        shapes += brows(lay, params, ink if a.brows == "lines" else a.hair)
    shapes += tears_and_sweat(lay, params, ink)
    shapes += _accessory(a)
    return shapes


ARTIST_HEIGHT_PX = (36, 170)  # face heights in episodes, as the other shows' characters


@dataclass(frozen=True)
class ArtistDesign:
    """A character of an episode drawn by `artist`: what `synth.characters.Design` answers for
    the shows' own characters (shapes under an episode's style, the face box's height)."""

    name: str
    artist: Artist
    height_px: tuple[int, int] = ARTIST_HEIGHT_PX

    def styled(self, style: ArtStyle) -> Artist:
        """The artist's colours and line under one episode's style."""
        a = self.artist
        line = min(0.2, a.line * style.line_scale)
        return replace(a, skin=style.colour(a.skin), hair=style.colour(a.hair), line=line)

    def face_shapes(
        self, params: FaceParams, style: ArtStyle, gaze: tuple[float, float] = (0.0, 0.0)
    ) -> list[Shape]:
        return artist_shapes(self.styled(style), params, gaze)

    def body_shapes(self, style: ArtStyle) -> list[Shape]:
        """A torso below the head, in the head's colours: it occludes, but is no face."""
        a = self.styled(style)
        ink = a.ink if a.line > 0 else None
        return [
            Shape(ellipse(0, 1.9, 0.75, 1.1), fill=a.hair, stroke=ink, width=a.line, wrap=0.0),
            Shape(ellipse(0, 2.0, 0.45, 0.75), fill=_darker(a.skin, 0.95), wrap=0.0),
        ]

    def face_height_units(self) -> float:
        pts = np.concatenate([s.points for s in _head(self.artist) if s.silhouette])
        return float(pts[:, 1].max() - pts[:, 1].min())


def restricted(
    only: dict[str, tuple[str, ...]] | None = None,
    without: dict[str, tuple[str, ...]] | None = None,
) -> dict[str, tuple[str, ...]]:
    """The choices per convention that `only` (these and no others) and `without` (any but
    these) leave: for drawing styles that a training set never drew, and faces in only them."""
    out = dict(CONVENTIONS)
    for rule, given in (("only", only or {}), ("without", without or {})):
        for name, values in given.items():
            if name not in CONVENTIONS:
                raise ValueError(
                    f"--{rule}: unknown convention {name!r}; choose one of: "
                    f"{', '.join(CONVENTIONS)}"
                )
            wrong = [v for v in values if v not in CONVENTIONS[name]]
            if wrong:
                raise ValueError(
                    f"--{rule}: {name} has no {wrong[0]!r}; choose from: "
                    f"{', '.join(CONVENTIONS[name])}"
                )
            out[name] = tuple(v for v in out[name] if (v in values) == (rule == "only"))
            if not out[name]:
                raise ValueError(f"--only and --without leave {name} nothing to draw")
    return out


def draw_artists(
    n: int, seed: int, choices: dict[str, tuple[str, ...]] | None = None
) -> list[Artist]:
    """The `n` artists of `seed` (artist k is the same whatever `n` is), each convention drawn
    from `choices` (see `restricted`; all of them by default)."""
    return [Artist.random(np.random.default_rng([seed, 3, k]), choices) for k in range(n)]


def artist_face(
    a: Artist,
    emotion: str,
    rng: np.random.Generator,
    size: int = 64,
    intensity: float | None = None,
    background: RGB | None = None,
) -> np.ndarray:
    """One face of `emotion` drawn by `a`: (size, size, 3) uint8 RGB, the face filling it."""
    if emotion not in EMOTIONS:
        raise ValueError(f"Unknown emotion {emotion!r}. Choose one of: {', '.join(EMOTIONS)}")
    k = sample_intensity(emotion, rng) if intensity is None else intensity
    params = expression(emotion, k, rng)
    side = 4 * size
    gaze = (float(rng.uniform(-0.6, 0.6)), float(rng.uniform(-0.6, 0.6)))
    shapes = artist_shapes(a, params, gaze)
    pose = Pose(
        (side / 2, side / 2), side / 3.2, float(rng.uniform(-12, 12)), bool(rng.random() < 0.5)
    )
    bg = background or tuple(int(v) for v in rng.integers(150, 256, 3))
    canvas = np.empty((side, side, 3), np.uint8)
    canvas[:] = bg
    draw_colour(canvas, shapes, pose)
    x1, y1, x2, y2 = silhouette_bounds(shapes, pose)
    half = max(x2 - x1, y2 - y1) * 0.55
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    box = np.clip(np.round([cx - half, cy - half, cx + half, cy + half]), 0, side).astype(int)
    crop = canvas[box[1] : box[3], box[0] : box[2]]
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)


def contact_sheet(
    artists: list[Artist],
    rng: np.random.Generator,
    cell: int = 96,
    background: RGB = (245, 245, 240),
) -> np.ndarray:
    """Artists by emotions: one row per artist, one column per emotion, at full intensity."""
    out = np.full((cell * len(artists), cell * len(EMOTIONS), 3), 255, np.uint8)
    for i, a in enumerate(artists):
        for j, e in enumerate(EMOTIONS):
            face = artist_face(a, e, rng, cell, intensity=1.0, background=background)
            out[i * cell : (i + 1) * cell, j * cell : (j + 1) * cell] = face
    return out


def write_artist_faces(
    out_dir: Path,
    count: int,
    artists: int,
    seed: int,
    size: int = 64,
    choices: dict[str, tuple[str, ...]] | None = None,
) -> dict[str, int]:
    """`count` faces by `artists` random artists, balanced over artists x emotions, as
    `OUT/artist-<k>/<emotion>/<seed>-<i>.png` (the layout `toon train` reads), `faces.csv`
    listing them and `artists.json` saying how each artist draws. The same seed, the same files.
    `choices` limits the conventions the artists draw from (see `restricted`).

    Returns the count per `artist-<k>/<emotion>`.
    """
    if count < 1 or artists < 1:
        raise ValueError(f"--count and --artists must be at least 1, got {count}, {artists}")
    if not 16 <= size <= 512:
        raise ValueError(f"--size must be in [16, 512], got {size}")
    drawn = draw_artists(artists, seed, choices)
    combos = [(k, e) for k in range(artists) for e in EMOTIONS]
    order = balanced_order(len(combos), count, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    rows = []
    for i, combo in enumerate(order):
        k, emotion = combos[int(combo)]
        rgb = artist_face(drawn[k], emotion, np.random.default_rng([seed, 1, i]), size)
        name = f"artist-{k:02d}"
        rel = Path(name) / emotion / f"{seed}-{i:06d}.png"
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        write_png(out_dir / rel, rgb)
        rows.append((rel.as_posix(), name, emotion))
        counts[f"{name}/{emotion}"] = counts.get(f"{name}/{emotion}", 0) + 1
    for doc, text in (
        ("artists.json", json.dumps({f"artist-{k:02d}": asdict(a) for k, a in enumerate(drawn)},
                                    indent=2) + "\n"),
        ("faces.csv", "path,artist,emotion\n" + "".join(f"{p},{a},{e}\n" for p, a, e in rows)),
    ):  # fmt: skip
        tmp = out_dir / f".{doc}.part"
        tmp.write_text(text)
        os.replace(tmp, out_dir / doc)
    return counts


def write_contact_sheet(
    path: Path, artists: int, seed: int, choices: dict[str, tuple[str, ...]] | None = None
) -> tuple[int, int]:
    """The first `artists` artists of `seed` by the seven emotions, as a PNG; (width, height)."""
    drawn = draw_artists(artists, seed, choices)
    sheet = contact_sheet(drawn, np.random.default_rng([seed, 4]))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    write_png(tmp, sheet)
    os.replace(tmp, path)
    return sheet.shape[1], sheet.shape[0]
