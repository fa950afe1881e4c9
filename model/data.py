"""Labelled face images from an ImageFolder, and the split the method used.

The emotion of an image is the name of its parent folder, at any depth: `happy/x.png`,
`tom/happy/x.png` and `google/happy/x.png` all say "happy". The character is the nearest folder
above that names one of the model's characters (`tom/happy/x.png` is tom's); anything else is
"other". Images under a folder called `nonface` are crops that are not faces at all (a cascade's
false positives): they teach the character head "other" and carry no emotion.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from core.vocabulary import NONFACE, OTHER, UNLABELLED

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
DEFAULT_CAST = ("tom", "jerry")  # the cast when neither --characters nor a start names one
SPLIT_SEED = 12379231  # the method's seed
TEST_SHARE = 0.2


@dataclass(frozen=True)
class Item:
    path: Path
    emotion: str | None  # None for a non-face or an unlabelled face
    character: str  # one of the model's characters, or OTHER
    face: bool = True  # False for a non-face


@dataclass(frozen=True)
class Faces:
    """Images (N, S, S, 3) RGB uint8 with their labels as indices into `classes`/`characters`."""

    images: np.ndarray
    emotion: np.ndarray  # int32, -1 for non-faces and unlabelled faces
    character: np.ndarray  # int32 into `characters`
    classes: tuple[str, ...]
    characters: tuple[str, ...]
    paths: tuple[Path, ...]

    def __len__(self) -> int:
        return len(self.images)

    def subset(self, index: np.ndarray) -> Faces:
        return Faces(
            self.images[index],
            self.emotion[index],
            self.character[index],
            self.classes,
            self.characters,
            tuple(self.paths[i] for i in index),
        )


def _images(root: Path) -> list[Path]:
    """Image files under `root`, through linked folders too (a set assembled from links to
    others), each real folder once, so a link loop ends."""
    seen: set[str] = set()
    found = []
    for folder, subfolders, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            subfolders.clear()
            continue
        seen.add(real)
        subfolders.sort()  # where two links reach one folder, the first in path order reads it
        found += [Path(folder) / f for f in files if Path(f).suffix.lower() in IMAGE_SUFFIXES]
    return sorted(found)


def scan(root: Path, characters: tuple[str, ...] = DEFAULT_CAST) -> list[Item]:
    """Every image under `root`, labelled by its folders; sorted by path."""
    if not root.is_dir():
        raise NotADirectoryError(f"{root}: not a folder")
    items = []
    for path in _images(root):
        folders = path.relative_to(root).parts[:-1]
        if not folders:
            raise ValueError(f"{path}: an image must sit in a folder named after its emotion")
        nonface = NONFACE in folders
        above = folders if nonface else folders[:-1]
        who = next((f for f in reversed(above) if f in characters), OTHER)
        unknown = nonface or folders[-1] == UNLABELLED
        items.append(Item(path, None if unknown else folders[-1], who, not nonface))
    if not items:
        raise ValueError(f"{root}: no images (expected <emotion>/<image>.png at any depth)")
    return items


def emotions_of(items: list[Item]) -> tuple[str, ...]:
    """The emotion folder names, sorted."""
    return tuple(sorted({i.emotion for i in items if i.emotion is not None}))


def kept(items: list[Item], classes: tuple[str, ...]) -> list[Item]:
    """The items `load` keeps: every one whose emotion is in `classes`, every non-face and
    every unlabelled face."""
    return [i for i in items if i.emotion is None or i.emotion in classes]


def labels(items: list[Item], classes: tuple[str, ...]) -> np.ndarray:
    """Each item's emotion as an index into `classes`, -1 for a non-face."""
    return np.array(
        [-1 if i.emotion is None else classes.index(i.emotion) for i in items], np.int32
    )


def load(
    items: list[Item], classes: tuple[str, ...], characters: tuple[str, ...], size: int
) -> Faces:
    """Decode and resize every item whose emotion is in `classes` (and every non-face)."""
    keep = kept(items, classes)
    if not any(i.emotion is not None for i in keep):
        raise ValueError(f"no images of the classes {', '.join(classes)}")
    images = np.zeros((len(keep), size, size, 3), np.uint8)
    for n, item in enumerate(keep):
        images[n] = read_rgb(item.path, size)
    names = (*characters, OTHER)
    index = {name: k for k, name in enumerate(names)}  # characters the model doesn't name: other
    return Faces(
        images,
        labels(keep, classes),
        np.array(
            [index.get(i.character, index[OTHER]) for i in keep],
            np.int32,
        ),
        classes,
        names,
        tuple(i.path for i in keep),
    )


def read_rgb(path: Path, size: int) -> np.ndarray:
    """One image as (size, size, 3) RGB uint8; transparency is laid on white, as drawn on paper."""
    data = np.fromfile(path, np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if len(data) else None
    if image is None:
        raise ValueError(f"{path}: not an image OpenCV can read")
    return fit_rgb(image, size)


def fit_rgb(image: np.ndarray, size: int) -> np.ndarray:
    """A decoded image as OpenCV gives it ((H, W) grey, (H, W, 3) BGR or (H, W, 4) BGRA, 8 or 16
    bits, or floats) -> (size, size, 3) RGB uint8, transparency laid on white.

    16-bit samples keep their high byte; floats are scaled so their largest value is white.
    Transparency is laid on a band of rows at a time, so a large picture needs no more than
    a few copies of one band beside it.

    Example:
        >>> fit_rgb(np.zeros((120, 80, 4), np.uint8), 60).shape  # fully transparent: white
        (60, 60, 3)
    """
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        image = cv2.convertScaleAbs(image, alpha=255.0 / max(float(image.max()), 1.0))
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.shape[2] == 4:
        image = _on_white(image)
    interp = cv2.INTER_AREA if max(image.shape[:2]) > size else cv2.INTER_LINEAR
    return cv2.cvtColor(cv2.resize(image, (size, size), interpolation=interp), cv2.COLOR_BGR2RGB)


def _on_white(bgra: np.ndarray, band: int = 256) -> np.ndarray:
    """(H, W, 4) uint8 BGRA -> (H, W, 3) BGR over white, `band` rows at a time."""
    out = np.empty((*bgra.shape[:2], 3), np.uint8)
    for y in range(0, len(bgra), band):
        part = bgra[y : y + band]
        alpha = part[:, :, 3:4].astype(np.float32) / 255.0
        out[y : y + band] = (part[:, :, :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    return out


def repeats(faces: Faces, root: Path, oversample: tuple[tuple[str, int], ...]) -> np.ndarray:
    """How many times each image is shown per training epoch: `(folder, n)` shows every image
    with a folder of that name between `root` and itself n times (the largest n if several)."""
    times = np.ones(len(faces), np.int64)
    for name, n in oversample:
        mine = np.array([name in p.relative_to(root).parts[:-1] for p in faces.paths], bool)
        if not mine.any():
            raise ValueError(f"{root}: --oversample {name}: no images under a folder of that name")
        times[mine] = np.maximum(times[mine], n)
    return times


def split(faces: Faces, seed: int = SPLIT_SEED, test_share: float = TEST_SHARE) -> tuple:
    """Stratified (train, test) index arrays: each emotion, and the non-faces, split alike."""
    return split_labels(faces.emotion, seed, test_share)


def split_labels(
    emotion: np.ndarray, seed: int = SPLIT_SEED, test_share: float = TEST_SHARE
) -> tuple[np.ndarray, np.ndarray]:
    """`split` of a label array (-1 for non-faces), so a split can be remade without images."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in np.unique(emotion):
        index = rng.permutation(np.flatnonzero(emotion == label))
        n_test = int(round(test_share * len(index)))
        test.append(index[:n_test])
        train.append(index[n_test:])
    if not train:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


@dataclass(frozen=True)
class Split:
    """The images a model trained on and held out, by content (`content_key`), so that they are
    known again through links, copies and moves."""

    train: frozenset[str]
    test: frozenset[str]


def content_key(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


def split_keeping(
    paths: list[Path], emotion: np.ndarray, before: Split, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """`split` for data that another model was trained on in part: an image it trained on stays
    in training, one it held out stays held out, and the images new to it are split among
    themselves. So a fine-tuned model's held-out scores are on images neither model trained on."""
    keys = [content_key(p) for p in paths]
    was_test = np.array([k in before.test for k in keys], bool)
    was_train = np.array([k in before.train for k in keys], bool) & ~was_test
    new = np.flatnonzero(~was_train & ~was_test)
    new_train, new_test = split_labels(emotion[new], seed)
    train = np.concatenate([np.flatnonzero(was_train), new[new_train]])
    test = np.concatenate([np.flatnonzero(was_test), new[new_test]])
    return np.sort(train), np.sort(test)


def image_counts(emotion: np.ndarray, classes: tuple[str, ...]) -> dict[str, int]:
    """Images per emotion, and non-faces, as config.json records them."""
    counts = {c: int((emotion == k).sum()) for k, c in enumerate(classes)}
    counts["nonface"] = int((emotion < 0).sum())
    return counts


def fingerprint(paths: tuple[Path, ...], emotion: np.ndarray, root: Path) -> str:
    """The images and their labels, by path under `root`: same data, same fingerprint."""
    h = hashlib.sha1()
    for path, label in zip(paths, emotion, strict=True):
        h.update(f"{path.relative_to(root).as_posix()}\t{label}\n".encode())
    return h.hexdigest()
