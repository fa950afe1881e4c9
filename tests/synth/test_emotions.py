from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from synth import EMOTIONS
from synth.emotions import INTENSITY_RANGE, NEUTRAL, TARGETS, expression, sample_intensity


def test_intensity_interpolates_from_neutral() -> None:
    assert expression("sad", 0.0) == dataclasses.replace(
        NEUTRAL, flush_rgb=TARGETS["sad"].flush_rgb
    )
    assert expression("sad", 1.0).brow_tilt == pytest.approx(TARGETS["sad"].brow_tilt)
    assert expression("sad", 0.5).brow_tilt == pytest.approx(TARGETS["sad"].brow_tilt / 2)


@pytest.mark.parametrize("emotion", [e for e in EMOTIONS if e != "neutral"])
def test_every_emotion_differs_from_neutral_even_when_subtle(emotion: str) -> None:
    subtle = expression(emotion, INTENSITY_RANGE[0])
    moved = [
        f.name
        for f in dataclasses.fields(subtle)
        if f.name != "flush_rgb" and getattr(subtle, f.name) != getattr(NEUTRAL, f.name)
    ]
    assert len(moved) >= 3


def test_unknown_emotion() -> None:
    with pytest.raises(ValueError, match="Choose one of: happy, angry"):
        expression("bored", 1.0)


def test_sample_intensity() -> None:
    rng = np.random.default_rng(0)
    assert sample_intensity("neutral", rng) == 0.0
    values = [sample_intensity("fear", rng) for _ in range(200)]
    assert INTENSITY_RANGE[0] <= min(values) and max(values) <= INTENSITY_RANGE[1]
