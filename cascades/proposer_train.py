"""Training the learned proposer from the boxes the cascades learn from, into their folder.

The boxes come as `toon cascade train --truth` reads them: a folder of synthetic episodes with
truth (every `frame_step`-th frame), a COCO file or an `opencv_annotation` list (whose images lie
under its folder unless `allow_outside_images`). Every frame is shrunk to the proposer's input
once and kept in memory (256x144x3 bytes, 110 KB a frame).

A finder (`any_face`) learns one class, `face`, from every character's boxes: a detector of
cartoon faces of any cast and drawing style, whose faces the model's character head names.
Pictures with no face at all (`negatives`, real scenery) teach it what is no face.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from cascades.annotations import boxes_by_character
from cascades.proposer import ANY_FACE, Proposer, ProposerConfig, TrainSettings, resize, train
from cascades.samples import background_paths, read_image, truth_frames

FRAME_STEP = 8  # every 8th frame of an episode: neighbours repeat each other


@dataclass(frozen=True)
class BoxedFrames:
    """Frames at the proposer's input size and their boxes in its pixels."""

    images: np.ndarray  # (N, H, W, 3) uint8 BGR
    boxes: list[dict[str, np.ndarray]]  # per frame: character -> (K, 4) xyxy faces owed
    ignore: list[np.ndarray]  # per frame: (M, 4) xyxy "don't care" faces of any character

    @property
    def faces(self) -> int:
        return sum(len(b) for d in self.boxes for b in d.values())


def _boxed(
    source: Path, frame_step: int, allow_outside_images: bool
) -> Iterator[tuple[np.ndarray, dict, np.ndarray]]:
    """(BGR frame, {character: owed boxes}, don't-care boxes) from one source of boxes."""
    if source.is_dir():
        for tf in truth_frames(source, frame_step):
            names = sorted({r.character for r in tf.rows})
            faces = {c: tf.faces_of(c) for c in names}
            hidden = [ignore for _, ignore in faces.values()]
            yield tf.frame.bgr, {c: owed for c, (owed, _) in faces.items()}, _stack(hidden)
    elif source.exists():
        boxed = boxes_by_character(source, allow_outside_images=allow_outside_images)
        for _, bgr, boxes, hidden in boxed:
            yield bgr, boxes, hidden
    else:
        raise FileNotFoundError(f"{source}: no such file or folder")


def _stack(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.zeros((0, 4)), *parts]).reshape(-1, 4)


def _as_any_face(faces: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {ANY_FACE: _stack([np.asarray(b).reshape(-1, 4) for b in faces.values()])}


def boxed_frames(
    sources: list[Path],
    characters: tuple[str, ...],
    input_wh: tuple[int, int],
    frame_step: int,
    *,
    allow_outside_images: bool = False,
    negatives: tuple[Path, ...] = (),
) -> BoxedFrames:
    """Every boxed frame of `sources`, shrunk to `input_wh`. Faces of characters outside
    `characters` are "don't care": the proposer is neither taught nor punished on them;
    `characters` of (ANY_FACE,) takes every character's faces as one class. The pictures in the
    `negatives` folders come as frames with no face."""
    any_face = characters == (ANY_FACE,)
    images, boxes, ignore = [], [], []
    pictures = (
        (read_image(p), {}, _stack([])) for folder in negatives for p in background_paths(folder)
    )
    boxed = [_boxed(source, frame_step, allow_outside_images) for source in sources]
    for found in (*boxed, pictures):
        for bgr, faces, hidden in found:
            if any_face:
                faces = _as_any_face(faces)
            h, w = bgr.shape[:2]
            scale = np.array([input_wh[0] / w, input_wh[1] / h] * 2)
            images.append(resize([bgr], input_wh)[0])
            boxes.append({c: b * scale for c, b in faces.items() if c in characters})
            others = [b for c, b in faces.items() if c not in characters]
            ignore.append(_stack([hidden, *others]) * scale)
    if not images:
        raise ValueError(f"{', '.join(map(str, sources))}: no boxed frames")
    return BoxedFrames(np.stack(images), boxes, ignore)


@dataclass(frozen=True)
class ProposerTraining:
    """What a proposer learned from, and how long it took: `toon proposer train`'s report."""

    sources: tuple[Path, ...]
    frame_step: int
    frames: int
    faces: int
    negatives: tuple[Path, ...]
    negative_frames: int
    epochs: int
    steps: int
    train_seconds: float

    def as_json(self) -> dict:
        """The `trained` object proposer.json records."""
        return asdict(self) | {
            "sources": [str(s) for s in self.sources],
            "negatives": [str(s) for s in self.negatives],
        }

    def as_row(self) -> dict:
        return {k: v for k, v in self.as_json().items() if k not in ("sources", "negatives")}


def train_proposer(
    sources: list[Path],
    out: Path,
    characters: tuple[str, ...],
    frame_step: int = FRAME_STEP,
    settings: TrainSettings | None = None,
    say: Callable[[str], None] = lambda _: None,
    *,
    allow_outside_images: bool = False,
    negatives: tuple[Path, ...] = (),
) -> ProposerTraining:
    """Train a proposer on the boxes of `sources` (and the face-free pictures of `negatives`)
    and write it into the cascade folder `out` (`proposer.keras`, `proposer.json`); what it
    learned from. `characters` of (ANY_FACE,) makes a finder of every character's faces."""
    config = ProposerConfig(characters)
    settings = settings or TrainSettings()
    t = time.perf_counter()
    data = boxed_frames(
        sources,
        characters,
        config.input_wh,
        frame_step,
        allow_outside_images=allow_outside_images,
        negatives=negatives,
    )
    negative_frames = sum(len(p) for p in map(background_paths, negatives))
    read_s = time.perf_counter() - t
    missing = [c for c in characters if not any(len(d.get(c, ())) for d in data.boxes)]
    if missing:
        raise ValueError(f"{', '.join(map(str, sources))}: no boxes of {', '.join(missing)}")
    say(f"{len(data.images)} frames, {data.faces} faces read in {read_s:.0f} s")
    epochs = settings.epochs_for(len(data.images))
    t = time.perf_counter()
    made = train(
        data.images,
        data.boxes,
        data.ignore,
        config,
        settings,
        on_epoch=lambda e, value: say(f"epoch {e + 1}/{epochs}: loss {value:.4f}"),
    )
    trained = ProposerTraining(
        sources=tuple(sources),
        frame_step=frame_step,
        frames=len(data.images),
        faces=data.faces,
        negatives=tuple(negatives),
        negative_frames=negative_frames,
        epochs=epochs,
        steps=epochs * settings.steps_per_epoch(len(data.images)),
        train_seconds=round(time.perf_counter() - t, 1),
    )
    Proposer(made.model, config).save(out, trained=trained.as_json())
    return trained
