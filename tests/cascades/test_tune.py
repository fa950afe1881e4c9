from __future__ import annotations

from pathlib import Path

import pytest

from cascades import tune
from cascades.detect import Detector

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def frames(truth_dir: Path) -> list:
    return tune.validation_frames(truth_dir, "tom", frame_step=8)


def test_search_abandons_passes_far_over_budget(frames: list, monkeypatch) -> None:
    monkeypatch.setattr(tune, "PROBE_FRAMES", 5)
    detector = Detector(ROOT / "cascades" / "weights" / "default" / "tom.xml")
    # No pass fits a budget this small: only the first (coarsest) one runs to the end ...
    trials = tune.search(detector, frames, max_ms=1e-6)
    first = trials[0].settings
    assert len(trials) == len(tune.MIN_NEIGHBORS)
    assert first.scale_factor == max(tune.SCALE_FACTORS)
    assert first.downscale == min(tune.DOWNSCALES)
    # ... and it is still a pick.
    assert tune.pick(trials, 1e-6, 0.9).settings.scale_factor == first.scale_factor


def test_search_keeps_every_pass_within_budget(frames: list, monkeypatch) -> None:
    monkeypatch.setattr(tune, "SCALE_FACTORS", (1.3, 1.2))
    monkeypatch.setattr(tune, "DOWNSCALES", (0.5,))
    detector = Detector(ROOT / "cascades" / "weights" / "default" / "tom.xml")
    trials = tune.search(detector, frames, max_ms=1e6)
    passes = {(t.settings.scale_factor, t.settings.min_size_px, t.settings.pad) for t in trials}
    assert len(trials) == len(passes) * len(tune.MIN_NEIGHBORS)
    assert {p[0] for p in passes} == {1.3, 1.2}


def test_the_frames_held_are_bounded(truth_dir: Path, monkeypatch) -> None:
    monkeypatch.setattr(tune, "TUNE_FRAMES_MB", 2)  # three 640x360 frames
    assert len(tune.validation_frames(truth_dir, "tom", frame_step=192)) == 2
    with pytest.raises(ValueError, match="more than 2 MB, the most tuning holds in memory"):
        tune.validation_frames(truth_dir, "tom", frame_step=64)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_ms": 0}, "max_ms must be a positive number"),
        ({"max_ms": float("inf")}, "max_ms must be a positive number"),
        ({"min_precision": -0.1}, "min_precision must be in"),
    ],
)
def test_bad_goals(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tune.TuneGoals(**kwargs)
