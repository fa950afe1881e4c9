"""Human labels for faces the model was unsure of, kept as an ImageFolder that
`toon train --init` reads: `LABELS/<character>/<emotion>/<face_id>.jpg`, and
`LABELS/nonface/<face_id>.jpg` for a crop that is not a face at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from core.names import check_name
from core.vocabulary import NONFACE
from warehouse.schema import EMOTIONS


def label_path(labels: Path, face_id: int, character: str, emotion: str | None) -> Path:
    """Where a face's label lives; `emotion=None` means "not a face"."""
    face = f"{int(face_id)}.jpg"
    if emotion is None:
        return labels / NONFACE / face
    if emotion not in EMOTIONS:
        raise ValueError(f"Unknown emotion {emotion!r}. Choose one of: {', '.join(EMOTIONS)}")
    return labels / check_name(character, what="character") / emotion / face


def save_label(
    labels: Path, face_id: int, character: str, emotion: str | None, jpeg: bytes
) -> Path:
    """Write the face's crop under its label, atomically; a face labelled again moves."""
    path = label_path(labels, face_id, character, emotion)
    before = labelled(labels).get(face_id, [])
    path.parent.mkdir(parents=True, exist_ok=True)
    write_whole(path, jpeg)
    for old in before:  # only once the new label is in place
        if old != path:
            old.unlink(missing_ok=True)
    return path


def write_whole(path: Path, data: bytes) -> None:
    """Replace `path` with `data` at once: readers see the old file or the new one. Each write
    has a temporary name of its own, so two sessions writing one file cannot collide."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def labelled(labels: Path) -> dict[int, list[Path]]:
    """face_id -> the label files that hold it (one, unless edited by hand)."""
    found: dict[int, list[Path]] = {}
    if labels.is_dir():
        for path in labels.rglob("*.jpg"):
            if path.stem.isdigit():
                found.setdefault(int(path.stem), []).append(path)
    return found


def train_command(labels: Path, model: Path, warehouse: Path) -> str:
    """The commands that teach the model these labels and index again with it."""
    tuned = warehouse.parent / f"{warehouse.name}-model"
    return (
        f"toon train {labels} --init {model} --out {tuned} --epochs 6\n"
        f"toon index EPISODES --warehouse {warehouse} --model {tuned} --reindex"
    )
