"""From boxes to faces: square colour crops, classified in batches, with a thumbnail each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

from warehouse.schema import EMOTIONS

if TYPE_CHECKING:  # TensorFlow loads with the model, not with the commands that never use it
    from model.store import EmotionModel

# The model learnt from windows 1.0-1.3x the face's longer side (synth.facesets.CROP_SCALE):
# crop in the middle of that range.
CROP_SCALE = 1.15
THUMB_QUALITY = 80  # JPEG quality of the stored thumbnails (about 2 KB at 64x64)


def crops(bgr: np.ndarray, xyxy: np.ndarray, size: int, scale: float = CROP_SCALE) -> np.ndarray:
    """Square windows around (N, 4) boxes of a BGR frame, as the model reads them.

    Returns (N, size, size, 3) RGB uint8; edges beyond the frame repeat its border pixels.

    Example:
        >>> crops(frame, np.array([[100, 50, 160, 110]]), 64).shape
        (1, 64, 64, 3)
    """
    out = np.empty((len(xyxy), size, size, 3), np.uint8)
    if len(xyxy) == 0:
        return out
    b = np.asarray(xyxy, np.float64)
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    half = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) * scale / 2
    sq = np.round(np.stack([cx - half, cy - half, cx + half, cy + half], 1)).astype(int)
    h, w = bgr.shape[:2]
    pad = int(max(0, -sq[:, :2].min(), (sq[:, 2] - w).max(), (sq[:, 3] - h).max())) + 1
    padded = cv2.copyMakeBorder(bgr, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    for i, (x1, y1, x2, y2) in enumerate(sq + pad):
        window = padded[y1 : max(y2, y1 + 1), x1 : max(x2, x1 + 1)]
        out[i] = cv2.cvtColor(
            cv2.resize(window, (size, size), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB
        )
    return out


def thumbnail(rgb: np.ndarray) -> bytes:
    """A (S, S, 3) RGB crop as JPEG bytes."""
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, THUMB_QUALITY]
    )
    if not ok:
        raise ValueError("cannot encode a thumbnail")
    return buf.tobytes()


@dataclass(frozen=True)
class Classified:
    """The model's view of N crops.

    Attributes:
        emotion: (N, 7) probabilities in `warehouse.schema.EMOTIONS` order (0 for emotions the
            model does not name).
        character: (N, C) probabilities over `characters`, or (N, 0) without a character head.
        embedding: (N, D) float32, L2-normalised.
    """

    emotion: np.ndarray
    character: np.ndarray
    embedding: np.ndarray


class FaceClassifier:
    """An `EmotionModel` whose outputs are put in the warehouse's emotion order."""

    def __init__(self, model: EmotionModel) -> None:
        unknown = [e for e in model.classes if e not in EMOTIONS]
        if unknown:
            raise ValueError(
                f"{model.folder}: names emotions the warehouse has no column for "
                f"({', '.join(unknown)}); it stores {', '.join(EMOTIONS)}"
            )
        self.model = model
        self.size = model.size
        self.characters = model.characters
        self.embedding_dim = model.embedding_dim
        self._order = np.array([EMOTIONS.index(e) for e in model.classes])

    def classify(self, rgb: np.ndarray) -> Classified:
        """(N, S, S, 3) RGB crops -> probabilities and embeddings."""
        pred = self.model.predict(rgb)
        emotion = np.zeros((len(rgb), len(EMOTIONS)), np.float32)
        emotion[:, self._order] = pred.emotion
        character = (
            pred.character if pred.character is not None else np.zeros((len(rgb), 0), np.float32)
        )
        return Classified(emotion, character, pred.embedding)
