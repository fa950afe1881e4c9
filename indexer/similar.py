"""Sketch and image search: embed a picture with the model that indexed the warehouse, then
ask the warehouse for the nearest faces, and say when the picture holds no face of the cast.

A search always answers with the nearest faces; when the model's character head puts the query
in `other` (no face of the cast: a blank page, a scribble, scenery), the answer carries that, so
neither the CLI nor the Similar page presents "jerry, fear, 0.99" for an empty picture as a
match.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.vocabulary import OTHER
from model.pictures import read_face, read_picture_file
from warehouse import catalog, queries, reader

if TYPE_CHECKING:
    from model.store import EmotionModel

# The character head's `other` probability from which a query is said to hold no face of the
# cast: the head's own decision. Chosen on validation pictures (seed 951, not the test seeds):
# 186 faces of the cast, colour and sketch, reach at most 0.07; white, black, grey, 1x1, fully
# transparent and noise pictures at least 0.976; a single pen stroke 0.785.
K = 10  # faces an answer shows
NOT_A_FACE = 0.5


@dataclass(frozen=True)
class Query:
    """A picture as the search sees it.

    vector: (D,) float32 embedding.
    p_other: the character head's probability that it holds no face of the cast; None for a
        model without a character head.
    """

    vector: np.ndarray
    p_other: float | None

    @property
    def not_a_face(self) -> bool:
        return self.p_other is not None and self.p_other >= NOT_A_FACE

    def note(self) -> str | None:
        """One line for the user when the picture holds no face of the cast, else None."""
        if not self.not_a_face:
            return None
        return (
            f"the model sees no face of the cast in this picture (P(other) {self.p_other:.2f}); "
            "the nearest faces may look nothing like it"
        )


@dataclass(frozen=True)
class Answer:
    """The nearest faces to a query picture, and how the model read the picture."""

    query: Query
    rows: list[dict]

    def as_rows(self) -> list[dict]:
        """`toon similar --json`: each row with the query's reading beside it."""
        extra = {"query_p_other": self.query.p_other, "query_not_a_face": self.query.not_a_face}
        return [row | extra for row in self.rows]


def embed_face(model: EmotionModel, face: np.ndarray) -> Query:
    """A (size, size, 3) RGB uint8 face, as the model reads it."""
    prediction = model.predict(face[None])
    p_other = None
    if prediction.character is not None and OTHER in model.characters:
        p_other = float(prediction.character[0, model.characters.index(OTHER)])
    return Query(prediction.embedding[0], p_other)


def embed_image(model: EmotionModel, image: Path) -> np.ndarray:
    """(D,) embedding of an image file, resized to the model's input as a whole face."""
    return embed_face(model, read_face(read_picture_file(image), str(image), model.size)).vector


def check_model(con, model: EmotionModel) -> None:  # noqa: ANN001
    """Refuse a model other than the one that indexed the warehouse: its vectors would not
    be comparable."""
    used = catalog.models_used(con)
    if used and model.sha256 not in used:
        raise ValueError(
            f"{model.folder}: the warehouse was indexed with another model "
            f"({', '.join(sorted(u[:12] for u in used))}); pass that one with --model"
        )


def similar_to_image(
    warehouse: Path, image: Path, model_dir: Path, k: int = K, character: str | None = None
) -> Answer:
    """`toon similar`: the picture, the warehouse and the character are checked before the
    model (and TensorFlow) loads."""
    data = read_picture_file(image)
    index = reader.face_index(warehouse)
    with reader.connect(warehouse) as con:
        if character is not None:
            catalog.check_character(con, character)
        from model.store import EmotionModel  # TensorFlow: only once the input is known good

        model = EmotionModel(model_dir)
        check_model(con, model)
        query = embed_face(model, read_face(data, str(image), model.size))
        return Answer(query, queries.similar(con, index, query.vector, k, character))
