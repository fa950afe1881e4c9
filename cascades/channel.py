"""What a character's cascade looks at: one 8-bit channel, learned from its colours.

Haar cascades see one channel. Plain grey throws away what tells a grey-blue cat from a grey
bulldog, so each character gets a linear colour projection fitted by Fisher's discriminant:
pixels of its faces against pixels of everything else (backgrounds and other characters). The
result is an ordinary grey image, so the cascade XML stays plain OpenCV; the projection is stored
beside it in `<cascade>.json`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# The projected face colour lands here, the rest of the picture around BACKGROUND_LEVEL.
FACE_LEVEL = 190.0
BACKGROUND_LEVEL = 70.0
_PIXELS_PER_FRAME = 400  # pixels sampled from each frame per class when fitting


@dataclass(frozen=True)
class Channel:
    """`grey = clip(weights_bgr . pixel + offset, 0, 255)`.

    Example:
        >>> Channel.grey().apply(np.full((2, 2, 3), 100, np.uint8))[0, 0]
        100
    """

    weights_bgr: tuple[float, float, float] = (0.114, 0.587, 0.299)  # OpenCV's grey
    offset: float = 0.0

    @classmethod
    def grey(cls) -> Channel:
        return cls()

    def apply(self, image: np.ndarray) -> np.ndarray:
        """BGR (H, W, 3) or grey (H, W) uint8 -> (H, W) uint8."""
        if image.ndim == 2:
            if self != Channel.grey():
                raise ValueError("a colour channel needs colour images; got a grey one")
            return image
        m = np.array([[*self.weights_bgr, self.offset]], np.float32)
        return _project(image, m)

    @classmethod
    def from_json(cls, data: dict) -> Channel:
        weights = tuple(float(v) for v in data["weights_bgr"])
        if len(weights) != 3:
            raise ValueError(f"weights_bgr needs 3 numbers, got {len(weights)}")
        return cls(weights, float(data["offset"]))  # type: ignore[arg-type]

    def as_json(self) -> dict:
        return {
            "weights_bgr": [round(w, 6) for w in self.weights_bgr],
            "offset": round(self.offset, 4),
        }


def _project(image: np.ndarray, m: np.ndarray) -> np.ndarray:
    out = cv2.transform(image.astype(np.float32), m)
    return np.clip(out, 0, 255).astype(np.uint8).reshape(image.shape[:2])


def fit_channel(
    samples: list[tuple[np.ndarray, np.ndarray, np.ndarray]], rng: np.random.Generator
) -> Channel:
    """Fit the projection on (BGR frame, the character's boxes, every other face box) triples.

    Face pixels come from the middle of the character's boxes (mostly skin, eyes and mouth);
    other pixels half from other characters' faces, half from anywhere else.
    """
    face, rest = [], []
    for image, boxes, others in samples:
        h, w = image.shape[:2]
        mask = np.zeros((h, w), bool)
        for x1, y1, x2, y2 in np.round(boxes).astype(int):
            mask[y1:y2, x1:x2] = True
            cx1, cy1 = x1 + (x2 - x1) // 5, y1 + (y2 - y1) // 5
            cx2, cy2 = x2 - (x2 - x1) // 5, y2 - (y2 - y1) // 5
            patch = image[cy1:cy2, cx1:cx2].reshape(-1, 3)
            if len(patch):
                face.append(patch[rng.integers(0, len(patch), _PIXELS_PER_FRAME)])
        for x1, y1, x2, y2 in np.round(others).astype(int):
            patch = image[y1:y2, x1:x2].reshape(-1, 3)
            if len(patch):
                rest.append(patch[rng.integers(0, len(patch), _PIXELS_PER_FRAME // 2)])
        ys, xs = rng.integers(0, h, _PIXELS_PER_FRAME), rng.integers(0, w, _PIXELS_PER_FRAME)
        keep = ~mask[ys, xs]
        rest.append(image[ys[keep], xs[keep]])
    if not face or not rest:
        raise ValueError("cannot fit a colour channel: no face or no background pixels")
    pos = np.concatenate(face).astype(np.float64)
    neg = np.concatenate(rest).astype(np.float64)
    scatter = np.cov(pos.T) + np.cov(neg.T) + np.eye(3) * 1e-3
    direction = np.linalg.solve(scatter, pos.mean(0) - neg.mean(0))
    mp, mn = float(pos.mean(0) @ direction), float(np.median(neg @ direction))
    scale = (FACE_LEVEL - BACKGROUND_LEVEL) / (mp - mn)
    weights = direction * scale
    return Channel(tuple(float(v) for v in weights), float(BACKGROUND_LEVEL - mn * scale))
