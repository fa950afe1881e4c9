"""Training a model folder from an ImageFolder, the honest way: one stratified split, fixed seed,
scores on the held-out fifth only."""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from core.backend import keras
from core.outputs import staged_folder
from model import MODEL_MARKER, check_model_out
from model import arch as arches
from model.augment import line_arts, pipeline
from model.data import (
    DEFAULT_CAST,
    OTHER,
    UNLABELLED,
    Faces,
    Item,
    Split,
    content_key,
    emotions_of,
    fingerprint,
    image_counts,
    kept,
    labels,
    load,
    repeats,
    scan,
    split,
    split_keeping,
    split_labels,
)
from model.metrics import ClassReport, TrainingReport, report
from model.plots import curves
from model.settings import TrainSettings
from model.store import EmotionModel, sha256

FINE_TUNE_SHARE = 0.25  # --init starts at a quarter of the optimizer's rate: adjust, not relearn


class EpochBar(keras.callbacks.Callback):
    """A tqdm bar per epoch on stderr, with the epoch's scores when it ends."""

    def __init__(self, epochs: int, steps: int, enabled: bool) -> None:
        super().__init__()
        self.epochs, self.steps, self.enabled = epochs, steps, enabled
        self.bar: tqdm | None = None

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.enabled:
            self.bar = tqdm(
                total=self.steps,
                desc=f"epoch {epoch + 1}/{self.epochs}",
                unit="batch",
                file=sys.stderr,
                leave=True,
            )

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.bar is not None:
            shown = {k: v for k, v in (logs or {}).items() if "accuracy" in k or k.endswith("loss")}
            self.bar.set_postfix({k: f"{v:.3f}" for k, v in shown.items()})
            self.bar.close()


def load_data(data: Path, s: TrainSettings, start: EmotionModel | None = None) -> Faces:
    """The ImageFolder at `data`, restricted to `s.classes`, at the architecture's input size;
    a `start` model that does not fit the data is refused before any image is decoded."""
    toon = s.arch == "toon"
    cast = s.characters or (start.named_characters if start is not None else DEFAULT_CAST)
    items = scan(data, cast)
    found = emotions_of(items)
    # a fine-tune keeps its start's emotions: a few labels of some of them teach it those,
    # and it still knows the rest
    classes = s.classes or (start.classes if start is not None else found)
    missing = [c for c in classes if c not in found]
    if missing and (start is None or not set(classes) & set(found)):
        raise ValueError(f"{data}: no images of {', '.join(missing)} (found: {', '.join(found)})")
    if len(classes) < 2:
        raise ValueError(f"{data}: needs at least two emotions, found {', '.join(classes)}")
    items = _trainable(items, s.arch)
    stray = next((i for i in items if i.face and i.emotion is None and i.character == OTHER), None)
    if stray is not None:
        raise ValueError(
            f"{stray.path}: an {UNLABELLED} face needs a folder of the cast above it "
            f"({', '.join(cast)})"
        )
    if start is not None:
        # any cast may start from it: a start of another cast lends everything but its
        # character head's last layer, which starts afresh (see `fit`)
        _check_start(start, s.arch, tuple(classes), start.characters if toon else ())
    if toon and s.characters:  # a cast named on purpose must be in the data
        seen = {i.character for i in kept(items, tuple(classes)) if i.face}
        unseen = [c for c in cast if c not in seen]
        if unseen:
            raise ValueError(
                f"{data}: no images of {', '.join(unseen)} (a character's images sit under a "
                f"folder named after it, e.g. {unseen[0]}/happy/x.png)"
            )
    return load(items, tuple(classes), cast if toon else (), arches.INPUT_SIZE[s.arch])


def _trainable(items: list[Item], arch: str) -> list[Item]:
    """The items a network learns from: the seed network has no "other", so no non-faces."""
    return items if arch == "toon" else [i for i in items if i.emotion is not None]


@dataclass(frozen=True)
class Fitted:
    """What `fit` made: the model, its learning curves, and its scores on the held-out images."""

    model: keras.Model
    history: dict[str, list[float]]
    metrics: ClassReport  # on the held-out faces
    test: np.ndarray  # the held-out indices
    seconds: float  # fitting time
    train_images: int  # training samples an epoch, repeats counted


def remade_split(model_dir: Path, _seen: frozenset[str] = frozenset()) -> Split | None:
    """The images a model folder trained on and held out, remade from its config.json: its data
    folder (checked against the counts and the fingerprint it recorded), emotions and split seed,
    and, where it kept its own start's split, that split too (the start checked by sha256).
    None when any of that is gone or no longer what the model saw."""
    try:
        config = json.loads((model_dir / "config.json").read_text())
        classes = tuple(json.loads((model_dir / "classes.json").read_text())["emotions"])
        data, seed = Path(config["data"]), int(config["split"]["seed"])
        items = kept(_trainable(scan(data, ()), config["arch"]), classes)
        emotion = labels(items, classes)
        paths = tuple(i.path for i in items)
        mark = fingerprint(paths, emotion, data)
        if image_counts(emotion, classes) != config.get("images"):
            return None
        if config.get("images_sha1", mark) != mark:  # older folders recorded only the counts
            return None
        if config.get("held_out_unseen_by_init"):
            start = Path(config["init"]) / "model.keras"
            here = os.path.realpath(model_dir)
            if here in _seen or not start.is_file() or sha256(start) != config["init_sha256"]:
                return None  # the start changed since, or the starts go round in a loop
            before = remade_split(start.parent, _seen | {here})
            if before is None:
                return None
            train, test = split_keeping(list(paths), emotion, before, seed)
        else:
            train, test = split_labels(emotion, seed)
        keys = [content_key(p) for p in paths]
    except (OSError, ValueError, KeyError, TypeError):  # a folder or file changed or gone
        return None
    return Split(frozenset(keys[k] for k in train), frozenset(keys[k] for k in test))


def fit(
    faces: Faces,
    s: TrainSettings,
    progress: bool = True,
    times: np.ndarray | None = None,
    start: EmotionModel | None = None,
    index: tuple[np.ndarray, np.ndarray] | None = None,
) -> Fitted:
    """Train on the split's 80% and score the held-out 20%.

    `times[i]` shows training image i that many times an epoch (held-out images count once);
    `start` gives the first weights (a model that fits the data: see `load_data`); `index`
    is the (train, test) split to use instead of `split(faces, s.seed)`.
    """
    train_idx, test_idx = index if index is not None else split(faces, s.seed)
    if times is not None:
        train_idx = np.repeat(train_idx, times[train_idx])
    keras.utils.set_random_seed(s.seed + s.run)
    heads = s.arch == "toon"
    model = arches.build(s.arch, len(faces.classes), len(faces.characters) if heads else 0)
    rate = s.learning_rate
    if start is not None:
        same_cast = not heads or start.characters == faces.characters
        _transfer(start.keras, model, keep=None if same_cast else "character")
        rate = rate or FINE_TUNE_SHARE * arches.default_rate(s.optimizer, s.arch)
    steps = -(-len(train_idx) // s.batch_size)
    opt = arches.optimizer(s.optimizer, s.arch, steps * s.epochs, rate)

    def parts(index: np.ndarray) -> tuple:
        x = faces.images[index]
        emotion = faces.emotion[index]
        if not heads:
            return x, emotion, None
        y = {"emotion": np.maximum(emotion, 0), "character": faces.character[index]}
        w = {
            "emotion": (emotion >= 0).astype(np.float32),
            "character": np.ones(len(index), np.float32),
        }
        return x, y, w

    if heads:
        model.compile(
            optimizer=opt,
            loss={
                "emotion": "sparse_categorical_crossentropy",
                "character": "sparse_categorical_crossentropy",
            },
            loss_weights={"emotion": 1.0, "character": 0.3},
            metrics={"character": ["accuracy"]},
            # weighted, so non-faces (emotion weight 0) do not count as wrong emotions
            weighted_metrics={"emotion": ["accuracy"]},
        )
    else:
        model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y, w = parts(train_idx)
    sketches = line_arts(x, s.seed) if s.augment else None
    train_ds = pipeline(x, sketches, y, w, s.batch_size, s.seed + s.run, s.augment)
    vx, vy, vw = parts(test_idx)
    val_ds = pipeline(vx, None, vy, vw, 256, s.seed, augment=False)
    t0 = time.perf_counter()
    hist = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=s.epochs,
        shuffle=False,  # the dataset shuffles itself
        verbose=0,
        callbacks=[EpochBar(s.epochs, steps, progress)],
    )
    seconds = time.perf_counter() - t0
    history = {k.replace("emotion_", ""): [float(v) for v in vs] for k, vs in hist.history.items()}
    faces_test = test_idx[faces.emotion[test_idx] >= 0]
    probs = model.predict(faces.images[faces_test], batch_size=256, verbose=0)
    probs = probs["emotion"] if isinstance(probs, dict) else probs
    metrics = report(faces.emotion[faces_test], probs.argmax(1), faces.classes)
    return Fitted(model, history, metrics, test_idx, seconds, len(train_idx))


def _transfer(source: keras.Model, target: keras.Model, keep: str | None = None) -> None:
    """Every layer's weights from `source` into `target`, by layer name; the layer named `keep`
    keeps its fresh weights (a character head for another cast)."""
    for layer in target.layers:
        if layer.name != keep and layer.weights:
            layer.set_weights(source.get_layer(layer.name).get_weights())


def _check_start(start: EmotionModel, arch: str, classes: tuple, characters: tuple) -> None:
    def said(arch: str, emotions: tuple, characters: tuple) -> str:
        return f"{arch} for {','.join(emotions)} (characters: {','.join(characters) or 'none'})"

    theirs = (start.config.get("arch"), start.classes, start.characters)
    if theirs != (arch, classes, characters):
        raise ValueError(
            f"{start.folder}: cannot start from it: it is {said(*theirs)}, "
            f"the data needs {said(arch, classes, characters)}"
        )


def write_model_dir(
    out: Path, fitted: Fitted, faces: Faces, s: TrainSettings, data: Path, provenance: dict
) -> Path:
    """Write the whole folder beside `out`, then swap it in: a failure leaves `out` as it was.
    `provenance` joins config.json (where a fine-tuned model started from)."""
    check_model_out(out, data)
    with staged_folder(out) as tmp:
        fitted.model.save(tmp / "model.keras")
        (tmp / MODEL_MARKER).write_text(f"{sha256(tmp / 'model.keras')}  model.keras\n")
        names = {"emotions": list(faces.classes)}
        if s.arch == "toon":
            names["characters"] = list(faces.characters)
        (tmp / "classes.json").write_text(json.dumps(names, indent=2) + "\n")
        config = {
            "arch": s.arch,
            "input_size": arches.INPUT_SIZE[s.arch],
            "embedding_dim": arches.EMBEDDING_DIM[s.arch],
            **{k: v for k, v in asdict(s).items() if k not in ("arch", "classes")},
            "data": str(data.resolve()),
            "images": image_counts(faces.emotion, faces.classes),
            "images_sha1": fingerprint(faces.paths, faces.emotion, data),
            "split": {"test_share": 0.2, "seed": s.seed},
            "train_seconds": round(fitted.seconds, 1),
            "train_images_per_epoch": fitted.train_images,
            **provenance,
            "keras": keras.__version__,
        }
        (tmp / "config.json").write_text(json.dumps(config, indent=2) + "\n")
        (tmp / "metrics.json").write_text(json.dumps(fitted.metrics.as_json(), indent=2) + "\n")
        (tmp / "history.json").write_text(json.dumps(fitted.history, indent=2) + "\n")
        curves({s.arch: fitted.history}, "accuracy", tmp / "accuracy.png")
        curves({s.arch: fitted.history}, "loss", tmp / "loss.png")
    return out


def train(data: Path, out: Path, settings: TrainSettings, progress: bool = True) -> TrainingReport:
    """`toon train`: fit, score on the held-out split, write the model folder; its metrics."""
    check_model_out(out, data)  # before an hour of training, not after
    s = settings.resolved()
    if s.init:  # recorded whole, so that it is found again from anywhere
        s = replace(s, init=str(Path(s.init).resolve()))
    start = EmotionModel(Path(s.init)) if s.init else None  # a bad folder fails before loading
    faces = load_data(data, s, start)
    times = repeats(faces, data, s.oversample) if s.oversample else None
    index, provenance = None, {}
    if start is not None:
        before = remade_split(start.folder)
        if before is None:
            print(
                f"{start.folder}: note: the images it trained on ({start.config.get('data')}) "
                "are not there as it saw them, so the held-out fifth may hold some of them",
                file=sys.stderr,
            )
        else:
            index = split_keeping(list(faces.paths), faces.emotion, before, s.seed)
        provenance = {"init_sha256": start.sha256, "held_out_unseen_by_init": before is not None}
    fitted = fit(faces, s, progress, times=times, start=start, index=index)
    write_model_dir(out, fitted, faces, s, data, provenance)
    return TrainingReport(fitted.metrics, round(fitted.seconds, 1), out)
