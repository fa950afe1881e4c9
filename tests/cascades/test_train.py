from __future__ import annotations

from contextlib import nullcontext as does_not_raise

import pytest

from cascades.train import STAGE_HEADER, StageReport, TrainConfig


@pytest.mark.parametrize(
    ("kwargs", "expectation"),
    [
        ({}, does_not_raise()),
        ({"max_stages": 0}, pytest.raises(ValueError, match="max_stages must be at least 1")),
        ({"positives": 0}, pytest.raises(ValueError, match="positives must be at least 1")),
        ({"features_per_stage": -5}, pytest.raises(ValueError, match="features_per_stage")),
        ({"min_positives": 0}, pytest.raises(ValueError, match="min_positives must be")),
        ({"neg_ratio": 0.0}, pytest.raises(ValueError, match="neg_ratio must be above 0")),
        ({"jitter": 0.5}, pytest.raises(ValueError, match="jitter must be in")),
        ({"mine_scale_factor": 1.0}, pytest.raises(ValueError, match="mine_scale_factor")),
        ({"seed": -1}, pytest.raises(ValueError, match="seed must be 0 or more")),
    ],
)
def test_train_config(kwargs: dict, expectation) -> None:
    with expectation:
        TrainConfig(**kwargs)


def test_stage_rows_line_up_with_the_header() -> None:
    row = StageReport(3, 17, 0.9975, 0.48125, 2500, 5000, 12.34).row()
    assert row == "    3    17    0.9975       0.4813       2500       5000     12.3"
    assert len(row) == len(STAGE_HEADER)  # each number ends under its column's name
