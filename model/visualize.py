"""What the network looks at: every convolution layer's filters and its activations on a face."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.backend import keras
from model.plots import grid
from model.store import EmotionModel

MAX_TILES = 64


def _sample_face(size: int) -> np.ndarray:
    from synth.facesets import face_crop

    return face_crop("tom", "happy", np.random.default_rng(2017), "color", size).rgb


def visualize(model_dir: Path, out: Path, image: Path | None = None) -> list[Path]:
    """Write `<layer>-filters.png` and `<layer>-activations.png` for every convolution layer,
    plus `input.png`, the face the activations are for; returns the paths written."""
    model = EmotionModel(model_dir)
    face = model.read([image])[0] if image else _sample_face(model.size)
    convs = [
        layer
        for layer in model.keras.layers
        if isinstance(layer, keras.layers.Conv2D | keras.layers.SeparableConv2D)
    ]
    if not convs:
        raise ValueError(f"{model_dir}: the model has no convolution layers")
    out.mkdir(parents=True, exist_ok=True)
    written = [grid(face[None], out / "input.png", "input")]
    probe = keras.Model(model.keras.inputs, [layer.output for layer in convs])
    maps = probe.predict(face[None], verbose=0)
    maps = maps if isinstance(maps, list) else [maps]
    for i, (layer, act) in enumerate(zip(convs, maps, strict=True)):
        stem = f"{i:02d}-{layer.name}"
        kernel = np.asarray(layer.get_weights()[0])  # (kh, kw, in, out); depthwise: (kh, kw, in, 1)
        if kernel.shape[2] == 3 and kernel.shape[3] > 1:
            tiles = kernel.transpose(3, 0, 1, 2)  # colour filters of the first layer
        elif kernel.shape[3] == 1:
            tiles = kernel[:, :, :, 0].transpose(2, 0, 1)  # one spatial filter per channel
        else:
            tiles = np.abs(kernel).mean(axis=2).transpose(2, 0, 1)  # mean over input channels
        written.append(
            grid(tiles[:MAX_TILES], out / f"{stem}-filters.png", f"{layer.name}: {kernel.shape}")
        )
        a = act[0].transpose(2, 0, 1)[:MAX_TILES]
        written.append(
            grid(a, out / f"{stem}-activations.png", f"{layer.name}: {act.shape[1:]}", "viridis")
        )
    return written
