"""Sketch and image search: embed a picture with the model that indexed the warehouse, then
ask the warehouse for the nearest faces."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.store import EmotionModel
from warehouse import queries, reader


def embed_image(model: EmotionModel, image: Path) -> np.ndarray:
    """(D,) embedding of an image file, resized to the model's input as a whole face."""
    if not image.is_file():
        raise FileNotFoundError(f"{image}: no such image")
    return model.predict(model.read([image])).embedding[0]


def check_model(con, model: EmotionModel) -> None:  # noqa: ANN001
    """Refuse a model other than the one that indexed the warehouse: its vectors would not
    be comparable."""
    used = queries.models_used(con)
    if used and model.sha256 not in used:
        raise ValueError(
            f"{model.folder}: the warehouse was indexed with another model "
            f"({', '.join(sorted(u[:12] for u in used))}); pass that one with --model"
        )


def similar_to_image(
    warehouse: Path, image: Path, model_dir: Path, k: int = 10, character: str | None = None
) -> list[dict]:
    index = reader.face_index(warehouse)
    with reader.connect(warehouse) as con:
        model = EmotionModel(model_dir)
        check_model(con, model)
        query = embed_image(model, image)
        return queries.similar(con, index, query, k, character)
