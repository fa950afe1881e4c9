"""A model folder: `model.keras` with the files that describe it, loaded with `safe_mode=True`.

MODEL_DIR/model.keras     weights and graph (Keras 3)
MODEL_DIR/config.json     architecture, input size, training settings and data
MODEL_DIR/classes.json    emotion names in output order (and the character head's, if any)
MODEL_DIR/metrics.json    the held-out split's scores, as `toon evaluate --json` prints them
MODEL_DIR/history.json    loss and accuracy per epoch
MODEL_DIR/model.sha256    checksum of model.keras
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.backend import keras
from core.files import sha256
from core.vocabulary import OTHER
from model import (
    DEFAULT,  # noqa: F401  (where callers have always found it)
    check_model_folder,
)
from model.data import read_rgb

BATCH = 256


@dataclass(frozen=True)
class Prediction:
    emotion: np.ndarray  # (N, classes) probabilities
    embedding: np.ndarray  # (N, D) float32
    character: np.ndarray | None  # (N, characters) probabilities, when the model has the head


class EmotionModel:
    """A trained model folder, ready to predict.

    Example:
        >>> m = EmotionModel(Path("model/weights/default"))
        >>> m.predict(faces).emotion.argmax(1)  # faces: (N, S, S, 3) RGB uint8
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        check_model_folder(folder)
        try:
            self.config = json.loads((folder / "config.json").read_text())
            names = json.loads((folder / "classes.json").read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{folder}: config.json or classes.json is not JSON ({exc})") from None
        self.classes = tuple(names["emotions"])
        self.characters = tuple(names.get("characters") or ())
        # `toon train` writes the checksum beside the weights; a model.keras swapped or damaged
        # since is refused before Keras reads a byte of it
        self.sha256 = sha256(folder / "model.keras")  # of the weights loaded below
        if (folder / "model.sha256").read_text().split()[:1] != [self.sha256]:
            raise ValueError(f"{folder / 'model.keras'}: does not match model.sha256")
        try:
            self.keras = keras.models.load_model(folder / "model.keras", safe_mode=True)
        except Exception as exc:  # Keras raises many types for a damaged file
            raise ValueError(f"{folder / 'model.keras'}: cannot load ({exc})") from None
        self.size = int(self.config["input_size"])
        out = self.keras.output
        heads = out if isinstance(out, dict) else {"emotion": out}
        wanted = [heads["emotion"], *([heads["character"]] if self.characters else [])]
        embedding = self.keras.get_layer("embedding").output
        self._all = keras.Model(self.keras.inputs, [*wanted, embedding])

    def predict(self, faces: np.ndarray, batch_size: int = BATCH) -> Prediction:
        if len(faces) == 0:
            z = np.zeros((0, len(self.classes)), np.float32)
            return Prediction(z, np.zeros((0, self.embedding_dim), np.float32), None)
        if len(faces) <= batch_size:
            # one batch: a direct call skips predict()'s per-call set-up (~50 ms on a CPU),
            # which dominates when the indexer classifies a few dozen faces at a time
            name = self._all.inputs[0].name
            outs = [np.asarray(o) for o in self._all({name: faces}, training=False)]
        else:
            outs = self._all.predict(faces, batch_size=batch_size, verbose=0)
        emotion, *rest = outs
        character = rest[0] if self.characters else None
        return Prediction(emotion, rest[-1].astype(np.float32), character)

    @property
    def named_characters(self) -> tuple[str, ...]:
        """The characters the head names, without "other": what `data.scan` looks for."""
        return tuple(c for c in self.characters if c != OTHER)

    @property
    def embedding_dim(self) -> int:
        return int(self.keras.get_layer("embedding").output.shape[-1])

    def read(self, paths: list[Path]) -> np.ndarray:
        """Images from files, sized for this model."""
        return np.stack([read_rgb(p, self.size) for p in paths])
