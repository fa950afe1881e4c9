"""Emotions as facial parameters: what the eyebrows, eyes and mouth do, and how strongly.

Every emotion is a target `FaceParams` at full intensity; a face of intensity `k` moves the
neutral face `k` of the way towards it, then a little per-face jitter blurs the class borders,
as different animators draw the same feeling differently.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from synth import EMOTIONS

# Intensities are drawn from this range: 0.35 is a subtle expression that still differs from
# neutral in brows, eyes and mouth together; 1.0 is the strongest a cartoon draws.
INTENSITY_RANGE = (0.35, 1.0)
# Accessories (teeth, tears, sweat, tongue) appear only once their parameter passes this,
# so subtle faces carry no give-away prop.
ACCESSORY_THRESHOLD = 0.5


@dataclass(frozen=True)
class FaceParams:
    """The expression of one face. Lengths are in face units (the head is about 2 units tall)."""

    brow_tilt: float = 0.0  # radians; + lowers the inner ends (anger), - raises them (sadness)
    brow_raise: float = 0.0  # + moves both brows up
    brow_arch: float = 0.05  # + bends the brows into an arch (surprise)
    brow_asym: float = 0.0  # + raises one brow and lowers the other (disgust, scepticism)
    eye_open: float = 1.0  # eye height multiplier: <1 narrowed, >1 wide
    eye_smile: float = 0.0  # lower lid pushed up into an arch ("^" eyes at 1)
    pupil: float = 1.0  # pupil radius multiplier: small pupils read as shock and fear
    mouth_curve: float = 0.0  # + lifts the corners (smile), - drops them (frown)
    mouth_open: float = 0.0  # 0 closed .. 1 wide open
    mouth_width: float = 1.0
    mouth_round: float = 0.0  # 1 turns the open mouth into an "O"
    mouth_wave: float = 0.0  # zigzag of the lips (fear's trembling, disgust's grimace)
    mouth_skew: float = 0.0  # one corner raised: disgust's sneer
    teeth: float = 0.0  # >0.5 shows the upper row, >0.85 both rows clenched
    tongue: float = 0.0
    tears: float = 0.0
    sweat: float = 0.0
    flush: float = 0.0  # how far the cheeks move to `flush_rgb`
    flush_rgb: tuple[int, int, int] = (235, 110, 120)


NEUTRAL = FaceParams()

TARGETS: dict[str, FaceParams] = {
    "neutral": NEUTRAL,
    "happy": FaceParams(
        brow_raise=0.08,
        brow_arch=0.12,
        eye_open=0.85,
        eye_smile=0.85,
        mouth_curve=0.32,
        mouth_open=0.55,
        mouth_width=1.3,
        teeth=0.7,
        flush=0.45,
    ),
    "angry": FaceParams(
        brow_tilt=0.6,
        brow_raise=-0.1,
        brow_arch=-0.02,
        eye_open=0.6,
        pupil=0.8,
        mouth_curve=-0.2,
        mouth_open=0.4,
        mouth_width=1.15,
        teeth=1.0,
        flush=0.7,
        flush_rgb=(225, 60, 50),
    ),
    "surprise": FaceParams(
        brow_raise=0.3,
        brow_arch=0.2,
        eye_open=1.5,
        pupil=0.5,
        mouth_open=0.95,
        mouth_width=0.65,
        mouth_round=1.0,
    ),
    "sad": FaceParams(
        brow_tilt=-0.55,
        brow_raise=0.04,
        eye_open=0.6,
        pupil=1.15,
        mouth_curve=-0.3,
        mouth_width=0.9,
        tears=1.0,
    ),
    "fear": FaceParams(
        brow_tilt=-0.45,
        brow_raise=0.26,
        eye_open=1.4,
        pupil=0.4,
        mouth_curve=-0.12,
        mouth_open=0.55,
        mouth_width=1.2,
        mouth_wave=0.06,
        teeth=0.9,
        sweat=1.0,
    ),
    "disgust": FaceParams(
        brow_tilt=0.25,
        brow_asym=0.16,
        eye_open=0.65,
        eye_smile=0.3,
        mouth_curve=-0.16,
        mouth_skew=0.2,
        mouth_wave=0.04,
        mouth_open=0.2,
        tongue=1.0,
        flush=0.55,
        flush_rgb=(130, 185, 80),
    ),
}
assert set(TARGETS) == set(EMOTIONS)  # a developer invariant, not input validation

_NUMERIC = [f.name for f in dataclasses.fields(FaceParams) if f.name != "flush_rgb"]
# Per-face jitter (standard deviation, face units or multipliers): enough that two faces of one
# emotion differ, small enough that a subtle face still leans the right way.
_JITTER = {
    "brow_tilt": 0.05,
    "brow_raise": 0.02,
    "brow_arch": 0.02,
    "eye_open": 0.05,
    "pupil": 0.06,
    "mouth_curve": 0.025,
    "mouth_width": 0.06,
    "mouth_open": 0.03,
}


def expression(
    emotion: str, intensity: float, rng: np.random.Generator | None = None
) -> FaceParams:
    """The face for `emotion` at `intensity` in [0, 1], jittered when `rng` is given.

    Example:
        >>> expression("happy", 1.0).mouth_curve
        0.32
    """
    if emotion not in TARGETS:
        raise ValueError(f"Unknown emotion {emotion!r}. Choose one of: {', '.join(EMOTIONS)}")
    target = TARGETS[emotion]
    values = {}
    for name in _NUMERIC:
        start, end = getattr(NEUTRAL, name), getattr(target, name)
        value = start + intensity * (end - start)
        if rng is not None and name in _JITTER:
            value += rng.normal(0.0, _JITTER[name])
        values[name] = float(value)
    values["eye_open"] = max(values["eye_open"], 0.25)
    values["pupil"] = max(values["pupil"], 0.25)
    values["mouth_open"] = max(values["mouth_open"], 0.0)
    return FaceParams(**values, flush_rgb=target.flush_rgb)


def sample_intensity(emotion: str, rng: np.random.Generator) -> float:
    """A random intensity; neutral has none."""
    if emotion == "neutral":
        return 0.0
    return float(rng.uniform(*INTENSITY_RANGE))
