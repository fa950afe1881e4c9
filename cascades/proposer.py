"""A small learned face detector: one fully convolutional pass over a downscaled frame.

It finds the faces a character's Haar cascade misses (drawn smaller, turned, worn by an old
transfer), learned from the same face boxes the cascades learn from. Each output cell of a
(H/4, W/4) grid of the downscaled frame says, per character, how likely a face's centre lies in
it (a heat map), how far from the cell's corner (offset) and how large the face is (log width and
height, in cells): the "objects as points" layout (Zhou et al., 2019), small enough for a CPU.

Arrays in, arrays out: frames (N, H, W, 3) BGR uint8 at any size, boxes xyxy in their pixels.
Reading boxes from truth files or COCO is `cascades/proposer_train.py`'s.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from core.detections import Detections

STRIDE = 4  # input pixels per output cell
# The one class of a finder: a proposer that learned every character's faces as one, so it
# finds the faces of a cast it never saw; the model's character head says whose they are.
ANY_FACE = "face"
MODEL_FILE = "proposer.keras"
CONFIG_FILE = "proposer.json"


@dataclass(frozen=True)
class ProposerConfig:
    """The network's input and what it learned; saved as `proposer.json` beside the weights.

    Attributes:
        characters: one heat map per character, in this order.
        input_wh: frames are resized to this before the network sees them (a multiple of 16).
        width: channels of the first layer; the others are multiples of it.
        threshold: a peak of the heat map at least this high is a face (chosen when trained).
    """

    characters: tuple[str, ...]
    input_wh: tuple[int, int] = (256, 144)
    width: int = 16
    threshold: float = 0.3

    def __post_init__(self) -> None:
        if not self.characters:
            raise ValueError("a proposer needs at least one character")
        if any(v % 16 for v in self.input_wh):
            raise ValueError(f"input_wh must be multiples of 16, got {self.input_wh}")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {self.threshold}")

    @property
    def any_face(self) -> bool:
        """A finder: one class for the faces of any character."""
        return self.characters == (ANY_FACE,)

    @property
    def grid_wh(self) -> tuple[int, int]:
        return self.input_wh[0] // STRIDE, self.input_wh[1] // STRIDE


def build(config: ProposerConfig):  # noqa: ANN201 (a keras.Model)
    """The network: (N, H, W, 3) uint8 BGR -> (N, H/4, W/4, C + 4): C heat maps (sigmoid),
    then x, y offset within the cell and log width, log height in cells."""
    from core.backend import keras

    layers = keras.layers
    w = config.width

    def block(x, filters: int, stride: int = 1):  # noqa: ANN001, ANN202
        x = layers.SeparableConv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.9)(x)
        return layers.ReLU()(x)

    inp = keras.Input((config.input_wh[1], config.input_wh[0], 3), dtype="uint8")
    x = layers.Rescaling(1 / 255.0)(inp)
    x = layers.Conv2D(w, 3, strides=2, padding="same", use_bias=False)(x)
    x = layers.ReLU()(layers.BatchNormalization(momentum=0.9)(x))
    s4 = block(block(x, 2 * w, 2), 2 * w)  # 1/4
    s8 = block(block(s4, 4 * w, 2), 4 * w)  # 1/8
    s16 = block(block(block(s8, 6 * w, 2), 6 * w), 6 * w)  # 1/16: a whole face in view
    up = layers.UpSampling2D(2, interpolation="bilinear")(s16)
    x = block(layers.Concatenate()([up, s8]), 4 * w)
    up = layers.UpSampling2D(2, interpolation="bilinear")(x)
    x = block(layers.Concatenate()([up, s4]), 3 * w)
    heat = layers.Conv2D(
        len(config.characters),
        1,
        activation="sigmoid",
        bias_initializer=keras.initializers.Constant(-2.19),  # a prior of 0.1 per cell
    )(block(x, 2 * w))
    geometry = layers.Conv2D(4, 1)(block(x, 2 * w))
    out = layers.Concatenate()([heat, geometry])
    return keras.Model(inp, out, name="proposer")


def resize(frames: np.ndarray | Sequence[np.ndarray], input_wh: tuple[int, int]) -> np.ndarray:
    """Frames of any size -> (N, H, W, 3) uint8 at `input_wh`."""
    return np.stack([cv2.resize(f, input_wh, interpolation=cv2.INTER_AREA) for f in frames])


def targets(
    boxes: Sequence[dict[str, np.ndarray]],
    ignore: Sequence[np.ndarray],
    frame_wh: Sequence[tuple[int, int]],
    config: ProposerConfig,
) -> np.ndarray:
    """What the network should answer for each frame: (N, gh, gw, C + 5).

    Channels: C heat maps (a Gaussian at each face centre, its spread a sixth of the face),
    the offset and log size at each centre cell, a mask that is 1 on centre cells, and last a
    weight that is 0 over "don't care" faces (so a detection there is neither taught nor
    punished) and 1 elsewhere.
    """
    gw, gh = config.grid_wh
    c = len(config.characters)
    out = np.zeros((len(boxes), gh, gw, c + 6), np.float32)
    out[..., -1] = 1.0
    ys, xs = np.mgrid[0:gh, 0:gw].astype(np.float32)
    for n, (faces, hidden, (fw, fh)) in enumerate(zip(boxes, ignore, frame_wh, strict=True)):
        sx, sy = gw / fw, gh / fh
        for x1, y1, x2, y2 in np.asarray(hidden).reshape(-1, 4):
            i1, j1 = int(np.floor(x1 * sx)), int(np.floor(y1 * sy))
            i2, j2 = int(np.ceil(x2 * sx)), int(np.ceil(y2 * sy))
            out[n, max(j1, 0) : j2, max(i1, 0) : i2, -1] = 0.0
        for k, name in enumerate(config.characters):
            for x1, y1, x2, y2 in np.asarray(faces.get(name, ())).reshape(-1, 4):
                cx, cy = (x1 + x2) / 2 * sx, (y1 + y2) / 2 * sy
                bw, bh = max((x2 - x1) * sx, 1.0), max((y2 - y1) * sy, 1.0)
                sigma = max(min(bw, bh) / 6, 0.5)
                g = np.exp(-((xs - cx + 0.5) ** 2 + (ys - cy + 0.5) ** 2) / (2 * sigma**2))
                out[n, :, :, k] = np.maximum(out[n, :, :, k], g)
                i, j = min(int(cx), gw - 1), min(int(cy), gh - 1)
                out[n, j, i, k] = 1.0
                out[n, j, i, c : c + 4] = [cx - i, cy - j, np.log(bw), np.log(bh)]
                out[n, j, i, c + 4] = 1.0
    return out


def loss(c: int):  # noqa: ANN201
    """Penalty-reduced focal loss on the heat maps, L1 on offset and size at face centres."""
    from core.backend import tf

    def fn(y_true, y_pred):  # noqa: ANN001, ANN202
        heat_t, heat_p = y_true[..., :c], tf.clip_by_value(y_pred[..., :c], 1e-4, 1 - 1e-4)
        weight = y_true[..., -1:]
        centre = tf.cast(heat_t >= 1.0, tf.float32)
        pos = -centre * (1 - heat_p) ** 2 * tf.math.log(heat_p)
        neg = -(1 - centre) * (1 - heat_t) ** 4 * heat_p**2 * tf.math.log(1 - heat_p)
        n = tf.maximum(tf.reduce_sum(centre), 1.0)
        focal = tf.reduce_sum((pos + neg) * weight) / n
        mask = y_true[..., c + 4 : c + 5]
        geo = tf.abs(y_true[..., c : c + 4] - y_pred[..., c : c + 4]) * mask
        l1 = tf.reduce_sum(geo[..., :2]) + 0.5 * tf.reduce_sum(geo[..., 2:])
        return focal + l1 / tf.maximum(tf.reduce_sum(mask), 1.0)

    return fn


def flipped(boxes: np.ndarray, frame_w: int) -> np.ndarray:
    """(K, 4) xyxy boxes mirrored left to right in a frame `frame_w` pixels wide."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    return np.stack([frame_w - boxes[:, 2], boxes[:, 1], frame_w - boxes[:, 0], boxes[:, 3]], 1)


@dataclass(frozen=True)
class TrainSettings:
    epochs: int = 8
    batch: int = 32
    learning_rate: float = 2e-3
    seed: int = 0
    # Few frames make few batches: 8 passes over a person's 100 boxed frames are 24 gradient
    # steps, and the network learns nothing. Passes are added until the training takes at least
    # this many steps (the shipped proposer took 1,800: 7,200 frames, 8 passes).
    min_steps: int = 1000

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch < 1 or self.min_steps < 0:
            raise ValueError(
                f"epochs and batch must be >= 1 and min_steps >= 0, "
                f"got {self.epochs}, {self.batch}, {self.min_steps}"
            )

    def steps_per_epoch(self, frames: int) -> int:
        return max(frames // min(self.batch, max(frames, 1)), 1)

    def epochs_for(self, frames: int) -> int:
        """Passes over `frames` frames: `epochs`, or more to reach `min_steps`."""
        return max(self.epochs, -(-self.min_steps // self.steps_per_epoch(frames)))


def train(
    images: np.ndarray,
    boxes: Sequence[dict[str, np.ndarray]],
    ignore: Sequence[np.ndarray],
    config: ProposerConfig,
    settings: TrainSettings = TrainSettings(),
    on_epoch=None,  # noqa: ANN001 (a callable taking the epoch and its loss)
) -> Proposer:
    """A proposer fitted to frames already resized to `config.input_wh` ((N, H, W, 3) uint8)
    and their boxes in those pixels; every other frame of a batch is mirrored left to right."""
    from core.backend import keras

    if len(images) < 1:
        raise ValueError("no frames to train a proposer on")
    keras.utils.set_random_seed(settings.seed)
    wh = [config.input_wh] * len(images)
    w = config.input_wh[0]
    plain = targets(boxes, ignore, wh, config)
    mirror = targets(
        [{c: flipped(b, w) for c, b in d.items()} for d in boxes],
        [flipped(b, w) for b in ignore],
        wh,
        config,
    )
    rng = np.random.default_rng(settings.seed)
    batch = min(settings.batch, len(images))
    steps = settings.steps_per_epoch(len(images))
    epochs = settings.epochs_for(len(images))

    def batches():  # noqa: ANN202
        while True:
            order = rng.permutation(len(images))
            for s in range(steps):
                j = order[s * batch : (s + 1) * batch]
                flip = (rng.random(len(j)) < 0.5)[:, None, None, None]
                yield (
                    np.where(flip, images[j][:, :, ::-1], images[j]),
                    np.where(flip, mirror[j], plain[j]),
                )

    model = build(config)
    schedule = keras.optimizers.schedules.CosineDecay(settings.learning_rate, steps * epochs)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss(len(config.characters)))
    callbacks = []
    if on_epoch:
        callbacks.append(
            keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: on_epoch(e, logs["loss"]))
        )
    model.fit(
        batches(),
        steps_per_epoch=steps,
        epochs=epochs,
        verbose=0,
        callbacks=callbacks,
        shuffle=False,  # the batches come shuffled
    )
    return Proposer(model, config)


def decode(
    out: np.ndarray, config: ProposerConfig, frame_wh: tuple[int, int], threshold: float
) -> Detections:
    """One frame's network output -> its faces: local maxima of each heat map over `threshold`,
    each box's score its heat-map peak."""
    c = len(config.characters)
    heat = out[..., :c]
    kernel = np.ones((3, 3), np.uint8)
    peak = np.stack([cv2.dilate(heat[..., k], kernel) for k in range(c)], axis=-1)
    js, is_, ks = np.nonzero((heat >= threshold) & (heat >= peak))
    gw, gh = config.grid_wh
    sx, sy = frame_wh[0] / gw, frame_wh[1] / gh
    geo = out[js, is_, c:]
    cx, cy = (is_ + geo[:, 0]) * sx, (js + geo[:, 1]) * sy
    bw, bh = np.exp(geo[:, 2]) * sx, np.exp(geo[:, 3]) * sy
    xyxy = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
    xyxy[:, [0, 2]] = xyxy[:, [0, 2]].clip(0, frame_wh[0])
    xyxy[:, [1, 3]] = xyxy[:, [1, 3]].clip(0, frame_wh[1])
    names = np.array([config.characters[k] for k in ks], dtype=object)
    return Detections(xyxy.reshape(-1, 4), names, heat[js, is_, ks].astype(np.float64))


class Proposer:
    """A trained proposer, ready to run on frames.

    Example:
        >>> p = Proposer.load(Path("cascades-mine"))  # the folder `toon proposer train` wrote
        >>> found = p.propose([bgr])  # one Detections per frame
    """

    def __init__(self, model, config: ProposerConfig, folder: Path | None = None) -> None:  # noqa: ANN001
        self.model, self.config, self.folder = model, config, folder

    @classmethod
    def load(cls, folder: Path) -> Proposer:
        from core.backend import keras

        model_path, config_path = folder / MODEL_FILE, folder / CONFIG_FILE
        for p in (model_path, config_path):
            if not p.exists():
                raise FileNotFoundError(f"{p}: no such file (train one with `toon proposer train`)")
        try:
            raw = json.loads(config_path.read_text())
            config = ProposerConfig(
                characters=tuple(raw["characters"]),
                input_wh=tuple(raw["input_wh"]),
                width=int(raw["width"]),
                threshold=float(raw["threshold"]),
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{config_path}: not a proposer's settings ({exc})") from None
        try:
            model = keras.models.load_model(model_path, compile=False, safe_mode=True)
        except (OSError, ValueError) as exc:
            raise ValueError(f"{model_path}: Keras cannot load it ({exc})") from None
        return cls(model, config, folder)

    def save(self, folder: Path, **extra: object) -> None:
        """Write the weights and `proposer.json` (with `extra` keys) into `folder`, each
        through a temporary file and a rename."""
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / (MODEL_FILE + ".part.keras")
        self.model.save(tmp)
        os.replace(tmp, folder / MODEL_FILE)
        doc = asdict(self.config) | extra
        part = folder / (CONFIG_FILE + ".part")
        part.write_text(json.dumps(doc, indent=2) + "\n")
        os.replace(part, folder / CONFIG_FILE)

    def raw(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        """The network's output for frames of any size: (N, gh, gw, C + 4)."""
        x = resize(frames, self.config.input_wh)
        return self.model.predict_on_batch(x)

    def propose(
        self, frames: Sequence[np.ndarray], threshold: float | None = None
    ) -> list[Detections]:
        if not len(frames):
            return []
        out = self.raw(frames)
        t = self.config.threshold if threshold is None else threshold
        return [
            decode(o, self.config, (f.shape[1], f.shape[0]), t)
            for o, f in zip(out, frames, strict=True)
        ]
