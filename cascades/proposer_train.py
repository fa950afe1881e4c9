"""Training the learned proposer from the boxes the cascades learn from, into their folder.

The boxes come as `toon cascade train --truth` reads them: a folder of synthetic episodes with
truth (every `frame_step`-th frame), a COCO file or an `opencv_annotation` list (whose images lie
under its folder unless `allow_outside_images`). Every frame is shrunk to the proposer's input
once and kept in memory (256x144x3 bytes, 110 KB a frame).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from cascades.annotations import boxes_by_character
from cascades.proposer import Proposer, ProposerConfig, TrainSettings, resize, train
from cascades.samples import truth_frames

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


def boxed_frames(
    sources: list[Path],
    characters: tuple[str, ...],
    input_wh: tuple[int, int],
    frame_step: int,
    *,
    allow_outside_images: bool = False,
) -> BoxedFrames:
    """Every boxed frame of `sources`, shrunk to `input_wh`. Faces of characters outside
    `characters` are "don't care": the proposer is neither taught nor punished on them."""
    images, boxes, ignore = [], [], []
    for source in sources:
        for bgr, faces, hidden in _boxed(source, frame_step, allow_outside_images):
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
    epochs: int
    steps: int
    train_seconds: float

    def as_json(self) -> dict:
        """The `trained` object proposer.json records."""
        return asdict(self) | {"sources": [str(s) for s in self.sources]}

    def as_row(self) -> dict:
        return {k: v for k, v in self.as_json().items() if k != "sources"}


def train_proposer(
    sources: list[Path],
    out: Path,
    characters: tuple[str, ...],
    frame_step: int = FRAME_STEP,
    settings: TrainSettings | None = None,
    say: Callable[[str], None] = lambda _: None,
    *,
    allow_outside_images: bool = False,
) -> ProposerTraining:
    """Train a proposer on the boxes of `sources` and write it into the cascade folder `out`
    (`proposer.keras`, `proposer.json`); what it learned from."""
    config = ProposerConfig(characters)
    settings = settings or TrainSettings()
    t = time.perf_counter()
    data = boxed_frames(
        sources,
        characters,
        config.input_wh,
        frame_step,
        allow_outside_images=allow_outside_images,
    )
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
        epochs=epochs,
        steps=epochs * settings.steps_per_epoch(len(data.images)),
        train_seconds=round(time.perf_counter() - t, 1),
    )
    Proposer(made.model, config).save(out, trained=trained.as_json())
    return trained
