from __future__ import annotations

import numpy as np
import pytest

from cascades.boost import StageConfig, train_stage


def test_a_separating_feature_is_found_and_thresholded_exactly() -> None:
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(400, 5)).astype(np.float32)
    y = np.r_[np.ones(200), -np.ones(200)]
    noise[:, 3] = np.where(y > 0, 2.0, -2.0) + rng.normal(0, 0.1, 400)
    stage, hit, fa = train_stage(noise, y, StageConfig(max_weak=3), np.arange(10, 15))
    first = stage.stumps[0]
    assert first.feature == 13  # column 3, named by its feature id
    assert first.left < 0 < first.right  # below the threshold: background
    assert -2 < first.threshold < 2
    assert hit == 1.0 and fa == 0.0 and len(stage.stumps) == 1


def test_stage_threshold_keeps_the_hit_rate() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2000, 20)).astype(np.float32)
    y = np.r_[np.ones(1000), -np.ones(1000)]
    x[:1000, :3] += 0.7  # a weak signal: the stage cannot reach its false-alarm goal quickly
    stage, hit, fa = train_stage(
        x, y, StageConfig(min_hit_rate=0.99, max_false_alarm=0.05, max_weak=8), np.arange(20)
    )
    assert hit >= 0.99
    assert len(stage.stumps) == 8 and fa > 0.05


def test_needs_both_classes() -> None:
    with pytest.raises(ValueError, match="both positive and negative"):
        train_stage(np.zeros((3, 2), np.float32), np.ones(3), StageConfig(), np.arange(2))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_hit_rate": 0}, "min_hit_rate must be in"),
        ({"min_hit_rate": 1.01}, "min_hit_rate must be in"),
        ({"max_false_alarm": float("nan")}, "max_false_alarm must be in"),
        ({"max_weak": 0}, "max_weak must be at least 1"),
        ({"weight_trim": 0}, "weight_trim must be in"),
    ],
)
def test_bad_stage_config(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        StageConfig(**kwargs)
