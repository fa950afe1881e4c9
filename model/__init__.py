"""The emotion CNN: train, evaluate, visualise, and the shipped weights."""

import json
from pathlib import Path

from core.outputs import check_output_folder
from core.vocabulary import OTHER

# the shipped model folder; here, not in store.py, so that naming it does not load TensorFlow
DEFAULT = Path(__file__).resolve().parent / "weights" / "default"

ARCHS = ("seed", "toon")
OPTIMIZERS = ("sgd", "adagrad", "adadelta", "rmsprop", "adam")

# what makes a folder a model folder (model/store.py describes each)
MODEL_FILES = ("model.keras", "model.sha256", "config.json", "classes.json")

# the file only `toon train` writes into a model folder: an existing --out must hold it (or be
# empty) before training replaces it, so a person's folder is never emptied
MODEL_MARKER = "model.sha256"


def check_model_folder(folder: Path) -> None:
    """Raise unless `folder` holds a model's files; cheap, so commands call it before
    TensorFlow loads."""
    for name in MODEL_FILES:
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder}: not a model folder (no {name})")


def model_cast(folder: Path) -> tuple[str, ...]:
    """The characters a model folder's character head names, without `other` (none without a
    head), read from its classes.json without loading TensorFlow."""
    try:
        names = json.loads((folder / "classes.json").read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{folder / 'classes.json'}: unreadable ({exc})") from None
    return tuple(c for c in names.get("characters") or () if c != OTHER)


def check_model_out(out: Path, data: Path) -> None:
    """Raise unless `toon train` may write the model folder `out` from the images in `data`."""
    check_output_folder(out, marker=MODEL_MARKER, what="model", inputs=[data])
