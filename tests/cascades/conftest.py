from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from cascades.boost import StageConfig
from cascades.cascade import Cascade
from cascades.samples import AnnotatedFrame
from cascades.train import TrainConfig, collect, train_cascade
from synth.facesets import face_crop
from synth.scenery import background
from synth.style import ArtStyle


def grey_faces(n: int, character: str = "tom", seed: int = 0) -> np.ndarray:
    crops = [
        face_crop(character, "neutral", np.random.default_rng([seed, i]), "color", 24).rgb
        for i in range(n)
    ]
    return np.stack([cv2.cvtColor(c, cv2.COLOR_RGB2GRAY) for c in crops])


def scenery_frames(n: int, seed: int = 0) -> list[AnnotatedFrame]:
    frames = []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        rgb = background(rng, ArtStyle.random(rng), 320, 180)
        frames.append(
            AnnotatedFrame(
                f"bg{i}", cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), np.zeros((0, 4)), np.zeros((0, 4))
            )
        )
    return frames


@pytest.fixture(scope="session")
def small_cascade() -> Cascade:
    """Three small stages trained on synthetic tom faces against scenery, in a few seconds."""
    config = TrainConfig(
        max_stages=3, positives=300, features_per_stage=1500, stage=StageConfig(max_weak=6), seed=1
    )
    pos = grey_faces(300)
    from cascades.channel import Channel
    from cascades.train import TrainingData

    data = TrainingData(Channel.grey(), pos, scenery_frames(30), 1.0, len(pos), 24.0)
    return train_cascade(data, config)


@pytest.fixture()
def tiles(small_cascade: Cascade) -> np.ndarray:
    rng = np.random.default_rng(5)
    negatives = []
    for frame in scenery_frames(10, seed=9):
        for _ in range(20):
            s = int(rng.integers(24, 100))
            x, y = int(rng.integers(0, 320 - s)), int(rng.integers(0, 180 - s))
            negatives.append(
                cv2.resize(
                    frame.image[y : y + s, x : x + s], (24, 24), interpolation=cv2.INTER_AREA
                )
            )
    return np.concatenate([grey_faces(200, seed=3), np.stack(negatives)])


@pytest.fixture(scope="session")
def truth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two 8-second synthetic episodes with truth."""
    from toon.cli import main

    out = tmp_path_factory.mktemp("cascade_truth")
    assert (
        main(["synth", "episodes", str(out), "--count", "2", "--seconds", "8", "--seed", "21"]) == 0
    )
    return out


def episode_with_extra_face(truth_dir: Path, dest: Path, frame: int) -> Path:
    """Copy episode s21-e01 into `dest`, its truth with one more face (the last row again) at
    `frame`; returns the truth file."""
    for p in truth_dir.glob("s21-e01.*"):
        shutil.copy(p, dest / p.name)
    truth = dest / "s21-e01.truth.csv"
    cells = truth.read_text().splitlines()[-1].split(",")
    cells[0] = str(frame)
    with truth.open("a") as f:
        f.write(",".join(cells) + "\n")
    return truth


__all__ = ["collect", "episode_with_extra_face", "grey_faces", "scenery_frames"]
