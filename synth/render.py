"""Renderers: shapes + pose -> pixels, in colour (the cartoon) or as a hand-drawn sketch.

Images are RGB uint8 (H, W, 3) throughout `synth`; BGR appears only where OpenCV writes a file.
"""

from __future__ import annotations

import cv2
import numpy as np

from synth.shapes import Pose, Shape

_SHIFT = 4  # sub-pixel bits for OpenCV's polygon drawing
_ONE = 1 << _SHIFT
_DARK = 200  # fills whose R+G+B is below this (pupils, noses, brows, open mouths) are inked solid


def _fixed(points_px: np.ndarray) -> np.ndarray:
    return np.round(points_px * _ONE).astype(np.int32).reshape(-1, 1, 2)


def _px_width(shape: Shape, pose: Pose) -> int:
    return max(1, int(round(shape.width * pose.scale)))


def draw_colour(image: np.ndarray, shapes: list[Shape], pose: Pose) -> None:
    """Draw filled, outlined shapes onto `image` (H, W, 3) in place."""
    for s in shapes:
        pts = _fixed(pose.apply(s.points, s.wrap))
        if s.fill is not None and s.closed:
            cv2.fillPoly(image, [pts], s.fill, lineType=cv2.LINE_AA, shift=_SHIFT)
        if s.stroke is not None and s.width > 0:
            cv2.polylines(image, [pts], s.closed, s.stroke, _px_width(s, pose), cv2.LINE_AA, _SHIFT)


def draw_ids(
    id_map: np.ndarray, shapes: list[Shape], pose: Pose, value: int, silhouette_only: bool = False
) -> None:
    """Paint the area `shapes` cover into an integer map (H, W), overwriting what lies behind.

    Example:
        >>> m = np.zeros((10, 10), np.uint8)
        >>> triangle = Shape(np.array([[0, 0], [9, 0], [9, 9]]), fill=(0, 0, 0))
        >>> draw_ids(m, [triangle], Pose((0, 0), 1), value=3)
    """
    polys = [
        _fixed(pose.apply(s.points, s.wrap))
        for s in shapes
        if s.closed and (s.silhouette or not silhouette_only) and s.fill is not None
    ]
    for poly in polys:  # one call per polygon: a single call XORs where polygons overlap
        cv2.fillPoly(id_map, [poly], int(value), lineType=cv2.LINE_8, shift=_SHIFT)


def silhouette_mask(shapes: list[Shape], pose: Pose) -> tuple[np.ndarray, tuple[int, int]]:
    """The face's full silhouette, unclipped by any frame: (mask (h, w) bool, (x0, y0) offset)."""
    pts = [pose.apply(s.points, s.wrap) for s in shapes if s.silhouette]
    allp = np.concatenate(pts)
    x0, y0 = np.floor(allp.min(axis=0)).astype(int)
    x1, y1 = np.ceil(allp.max(axis=0)).astype(int)
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
    for p in pts:
        cv2.fillPoly(mask, [_fixed(p - [x0, y0])], 1, lineType=cv2.LINE_8, shift=_SHIFT)
    return mask.astype(bool), (int(x0), int(y0))


def _wobble(points: np.ndarray, amp: float, rng: np.random.Generator, closed: bool) -> np.ndarray:
    """Resample a polyline densely and add slow, hand-like drift."""
    path = np.concatenate([points, points[:1]]) if closed else points
    seg = np.linalg.norm(np.diff(path, axis=0), axis=1)
    length = float(seg.sum())
    if length < 1e-6:
        return path
    n = int(np.clip(length / 2.0, 8, 400))
    t = np.concatenate([[0], np.cumsum(seg)]) / length
    u = np.linspace(0, 1, n)
    dense = np.stack([np.interp(u, t, path[:, 0]), np.interp(u, t, path[:, 1])], 1)
    drift = np.zeros_like(dense)
    for k in (1, 2, 3):
        phase = rng.uniform(0, 2 * np.pi, 2)
        drift += (amp / k) * np.stack(
            [np.sin(2 * np.pi * k * u + phase[0]), np.sin(2 * np.pi * k * u + phase[1])], 1
        )
    drift += rng.normal(0, amp * 0.15, drift.shape)
    out = dense + drift
    if closed and rng.random() < 0.5:  # the pen overshoots where the stroke closes
        out = np.concatenate([out, out[1:4] + rng.normal(0, amp, (3, 2))])
    return out


def draw_sketch(
    image: np.ndarray,
    shapes: list[Shape],
    pose: Pose,
    rng: np.random.Generator,
    pencil: int = 30,
    paper: int = 255,
) -> None:
    """Draw `shapes` as black line art with hand-drawn wobble and varying stroke widths.

    Dark fills (pupils, noses) are inked solid; outlined shapes are filled with paper first, so
    lines behind them stay hidden as a person would leave them out; blush is left out.
    `pencil` is the ink's grey level (0 = black), `paper` the background's.
    """
    ink = (pencil, pencil, pencil)
    amp = max(0.6, 0.01 * pose.scale * rng.uniform(0.6, 1.5))
    base_w = rng.uniform(0.6, 1.6) * max(1.0, pose.scale / 80.0)
    for s in shapes:
        if s.tone:
            continue
        pts = pose.apply(s.points, s.wrap)
        if s.fill is not None and s.closed and sum(s.fill) < _DARK:
            cv2.fillPoly(image, [_fixed(pts)], ink, lineType=cv2.LINE_AA, shift=_SHIFT)
            continue
        if s.stroke is None:
            continue  # light fills without an outline (muzzles, irises) are colour, not line
        if s.fill is not None and s.closed:
            cv2.fillPoly(image, [_fixed(pts)], (paper,) * 3, lineType=cv2.LINE_AA, shift=_SHIFT)
        for _ in range(2 if rng.random() < 0.3 else 1):
            line = _wobble(pts, amp, rng, s.closed)
            width = max(1, int(round(base_w * rng.uniform(0.6, 1.5))))
            cv2.polylines(image, [_fixed(line)], False, ink, width, cv2.LINE_AA, _SHIFT)
