"""Model folders a user might be handed: one whose network runs arbitrary Python (a Lambda
layer, as .keras or as a legacy .h5) is refused by Keras's safe mode; weights that differ from
their checksum, or that come without one, are refused before Keras reads them. Every refusal is
one line from the command that loads the model, and the shipped model loads."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from model import DEFAULT
from model.store import EmotionModel, sha256
from tests.conftest import run_toon


def lambda_model(path: Path) -> None:
    """A model with a Lambda layer saved at `path` (.keras, or .h5 in the legacy format)."""
    from core.backend import keras

    inputs = keras.Input((4,))
    x = keras.layers.Lambda(lambda t: t * 2.0, name="runs_python")(inputs)
    keras.Model(inputs, keras.layers.Dense(2, name="embedding")(x)).save(path)


def folder_with(weights: Path, out: Path) -> Path:
    """A model folder: the shipped one's config and classes, `weights` as model.keras, and a
    checksum that matches them (so only safe mode stands between them and Python)."""
    shutil.copytree(DEFAULT, out)
    shutil.copy(weights, out / "model.keras")
    (out / "model.sha256").write_text(f"{sha256(out / 'model.keras')}  model.keras\n")
    return out


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_lambda_layer_is_refused(tmp_path: Path, suffix: str, tiny_episodes: Path) -> None:
    weights = tmp_path / f"evil{suffix}"
    lambda_model(weights)
    folder = folder_with(weights, tmp_path / "model")

    with pytest.raises(ValueError, match=r"model.keras: cannot load \(") as refusal:
        EmotionModel(folder)
    assert "\n" not in str(refusal.value)
    rc, out, err = run_toon(
        ["index", str(tiny_episodes), "--warehouse", str(tmp_path / "wh"), "--model", str(folder)]
    )
    assert (rc, out) == (2, "")
    assert err.startswith(f"toon: error: {folder / 'model.keras'}: cannot load (")
    assert err.count("\n") == 1
    assert not (tmp_path / "wh").exists()  # refused before the warehouse was made


def test_the_lambda_is_named_by_safe_mode(tmp_path: Path) -> None:
    weights = tmp_path / "evil.keras"
    lambda_model(weights)
    with pytest.raises(ValueError, match="safe_mode|Lambda|lambda"):
        EmotionModel(folder_with(weights, tmp_path / "model"))


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: flip_a_byte(f / "model.keras"), "model.keras: does not match model.sha256"),
        (lambda f: (f / "model.sha256").unlink(), "not a model folder (no model.sha256)"),
        (lambda f: (f / "model.sha256").write_text(""), "model.keras: does not match model.sha256"),
    ],
    ids=["flipped-byte", "no-checksum", "empty-checksum"],
)
def test_weights_must_match_their_checksum(
    tmp_path: Path, warehouse: Path, damage, message: str
) -> None:
    folder = Path(shutil.copytree(DEFAULT, tmp_path / "model"))
    damage(folder)
    with pytest.raises((ValueError, FileNotFoundError), match=re.escape(message)):
        EmotionModel(folder)
    face = tmp_path / "face.png"
    shutil.copy(DEFAULT / "accuracy.png", face)
    rc, out, err = run_toon(
        ["similar", "--warehouse", str(warehouse), str(face), "--model", str(folder)]
    )
    assert (rc, out) == (2, "")
    assert err.startswith("toon: error: ") and message in err and err.count("\n") == 1


def test_the_shipped_model_matches_its_checksum() -> None:
    model = EmotionModel(DEFAULT)
    assert model.sha256 == (DEFAULT / "model.sha256").read_text().split()[0]
