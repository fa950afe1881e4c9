"""Faces as lists of shapes in face units, and the pose that puts them on screen.

A face is drawn in its own coordinates: head centre at (0, 0), y down, the head about two units
tall. `Pose` turns those points into pixels (three-quarter turn, flip, rotation, scale, position),
so the colour renderer and the sketch renderer draw exactly the same geometry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Shape:
    """One closed or open outline, filled and/or stroked.

    Attributes:
        points: (N, 2) float array in face units.
        fill: fill colour, or None.
        stroke: outline colour, or None.
        width: outline width in face units.
        closed: whether the outline closes on itself.
        wrap: 0..1, how much the shape slides over the head in a three-quarter turn
            (1 for eyes and mouth, 0 for the head's rim).
        silhouette: part of the face's outline; the truth box is the bounding box of these.
        tone: shading only (blush); the sketch renderer leaves it out.
    """

    points: np.ndarray
    fill: RGB | None = None
    stroke: RGB | None = None
    width: float = 0.04
    closed: bool = True
    wrap: float = 1.0
    silhouette: bool = False
    tone: bool = False


def ellipse(
    cx: float,
    cy: float,
    rx: float,
    ry: float,
    n: int = 28,
    start: float = 0.0,
    end: float = 2 * math.pi,
) -> np.ndarray:
    """Points on an ellipse (angles in radians, y down).

    Example:
        >>> ellipse(0, 0, 1, 1, n=4).shape
        (4, 2)
    """
    closed = math.isclose(end - start, 2 * math.pi)
    t = np.linspace(start, end, n, endpoint=not closed)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def curve(
    p0: tuple[float, float], p1: tuple[float, float], p2: tuple[float, float], n: int = 12
) -> np.ndarray:
    """A quadratic Bezier from p0 to p2 pulled towards p1: (n, 2)."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    a, b, c = (np.asarray(p, dtype=float) for p in (p0, p1, p2))
    return (1 - t) ** 2 * a + 2 * (1 - t) * t * b + t**2 * c


def thick_curve(points: np.ndarray, half_width: np.ndarray | float) -> np.ndarray:
    """A filled band around a polyline, tapering with `half_width` per point: (2N, 2)."""
    d = np.gradient(points, axis=0)
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True) + 1e-9
    hw = np.broadcast_to(np.asarray(half_width, dtype=float), (len(points),))[:, None]
    return np.concatenate([points + normal * hw, (points - normal * hw)[::-1]])


@dataclass(frozen=True)
class Pose:
    """Where and how a face sits in the picture.

    Attributes:
        center_xy: head centre in pixels.
        scale: pixels per face unit.
        angle_deg: in-plane rotation, counter-clockwise on screen.
        flip: mirror left-right.
        turn: three-quarter turn in radians (+ turns the face to the viewer's right).
    """

    center_xy: tuple[float, float]
    scale: float
    angle_deg: float = 0.0
    flip: bool = False
    turn: float = 0.0

    def apply(self, points: np.ndarray, wrap: float = 1.0) -> np.ndarray:
        """Face units (N, 2) -> pixels (N, 2)."""
        x = points[:, 0].copy()
        y = points[:, 1]
        if self.turn:
            # Features slide over a sphere of radius ~1.1 while the rim stays put.
            radius = 1.1
            phi = np.arcsin(np.clip(x / radius, -1.0, 1.0)) + self.turn
            slid = radius * np.sin(np.clip(phi, -math.pi / 2, math.pi / 2))
            x = x + wrap * (slid - x)
            x *= 1.0 - 0.12 * abs(math.sin(self.turn))
        if self.flip:
            x = -x
        a = math.radians(self.angle_deg)
        cos_a, sin_a = math.cos(a), math.sin(a)
        px = self.scale * (cos_a * x + sin_a * y) + self.center_xy[0]
        py = self.scale * (-sin_a * x + cos_a * y) + self.center_xy[1]
        return np.stack([px, py], axis=1)


def silhouette_bounds(shapes: list[Shape], pose: Pose) -> tuple[float, float, float, float]:
    """Unclipped xyxy bounds, in pixels, of the silhouette shapes under `pose`."""
    pts = np.concatenate([pose.apply(s.points, s.wrap) for s in shapes if s.silhouette])
    return (
        float(pts[:, 0].min()),
        float(pts[:, 1].min()),
        float(pts[:, 0].max()),
        float(pts[:, 1].max()),
    )
