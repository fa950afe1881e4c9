"""The two networks: the method's `seed` CNN, kept exactly, and the default `toon` CNN.

Both take RGB uint8 faces (preprocessing lives inside the model) and have a layer named
`embedding`, the penultimate layer whose output similarity search indexes.
"""

from __future__ import annotations

from core.backend import keras
from model import ARCHS

layers = keras.layers

INPUT_SIZE = {"seed": 60, "toon": 64}
EMBEDDING_DIM = {"seed": 512, "toon": 128}


def build(arch: str, classes: int, characters: int = 0) -> keras.Model:
    """A fresh network; `characters` > 0 adds the character head (toon only)."""
    if arch == "seed":
        return seed_net(classes)
    if arch == "toon":
        return toon_net(classes, characters)
    raise ValueError(f"unknown architecture {arch!r}; choose one of: {', '.join(ARCHS)}")


def seed_net(classes: int) -> keras.Model:
    """The 2017 network: 60x60x3; conv 3x3 + max pool 2x2, twice; dropout; dense 512; softmax.

    Filter counts (32, 64) and the dropout rate (0.5) are the Keras examples' of the time, which
    the method followed; the method does not state them.
    """
    image = keras.Input((60, 60, 3), name="image")
    x = layers.Rescaling(1 / 255.0)(image)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(0.5)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(512, activation="relu", name="embedding")(x)
    out = layers.Dense(classes, activation="softmax", name="emotion")(x)
    return keras.Model(image, out, name="seed")


def _block(x: keras.KerasTensor, filters: int, name: str) -> keras.KerasTensor:
    x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def toon_net(classes: int, characters: int = 0) -> keras.Model:
    """Small and fast on a CPU: a strided stem, separable batch-norm blocks, global pooling,
    a 128-d L2-normalised embedding that the emotion head reads, and, beside it, a character
    head on the pooled features (so the embedding is free to group faces by emotion alone)."""
    image = keras.Input((64, 64, 3), name="image")
    x = layers.Rescaling(1 / 127.5, offset=-1.0)(image)
    x = layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(x)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU(name="stem_relu")(x)  # 32x32
    x = _block(x, 64, "b1")
    x = layers.MaxPooling2D(2, name="pool1")(x)  # 16x16
    x = _block(x, 128, "b2")
    x = _block(x, 128, "b3")
    x = layers.MaxPooling2D(2, name="pool2")(x)  # 8x8
    x = _block(x, 256, "b4")
    x = _block(x, 256, "b5")
    pooled = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(0.3, name="drop")(pooled)
    x = layers.Dense(128, name="project")(x)
    embedding = layers.UnitNormalization(name="embedding")(x)
    emotion = layers.Dense(classes, activation="softmax", name="emotion")(embedding)
    if not characters:
        return keras.Model(image, emotion, name="toon")
    c = layers.Dense(64, activation="relu", name="character_hidden")(pooled)
    character = layers.Dense(characters, activation="softmax", name="character")(c)
    return keras.Model(image, {"emotion": emotion, "character": character}, name="toon")


# The defaults of the Keras the method used (2.0, 2017): Keras 3 lowered Adadelta's rate from 1.0
# to 0.001 and Adagrad's from 0.01 to 0.001, which would change the method's table.
KERAS2_RATES = {"sgd": 0.01, "adagrad": 0.01, "adadelta": 1.0, "rmsprop": 0.001, "adam": 0.001}
TOON_RATE = 0.002  # the default network's AdamW, at the start of its cosine


def default_rate(name: str, arch: str) -> float:
    """The starting learning rate `optimizer` uses when given none."""
    if name not in KERAS2_RATES:
        raise ValueError(f"unknown optimizer {name!r}; choose one of: {', '.join(KERAS2_RATES)}")
    return TOON_RATE if arch == "toon" and name == "adam" else KERAS2_RATES[name]


def optimizer(
    name: str, arch: str, total_steps: int, rate: float | None = None
) -> keras.optimizers.Optimizer:
    """Each optimizer at Keras 2.0's defaults, except the default network's: AdamW from
    TOON_RATE, decayed to zero along a cosine over the whole run. `rate` replaces the start."""
    rate = rate or default_rate(name, arch)
    if arch == "toon" and name == "adam":
        schedule = keras.optimizers.schedules.CosineDecay(rate, max(total_steps, 1))
        return keras.optimizers.AdamW(schedule, weight_decay=1e-4)
    cls = {
        "sgd": keras.optimizers.SGD,
        "adagrad": keras.optimizers.Adagrad,
        "adadelta": keras.optimizers.Adadelta,
        "rmsprop": keras.optimizers.RMSprop,
        "adam": keras.optimizers.Adam,
    }[name]
    return cls(learning_rate=rate)
