from __future__ import annotations

from pathlib import Path

import pytest

from cascades import tune
from cascades.detect import Detector
from cascades.evaluate import eval_frames

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def frames(truth_dir: Path) -> list:
    return eval_frames(truth_dir, "tom", frame_step=8)


def test_search_abandons_passes_far_over_budget(frames: list, monkeypatch) -> None:
    monkeypatch.setattr(tune, "PROBE_FRAMES", 5)
    detector = Detector(ROOT / "cascades" / "tom.xml")
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
    detector = Detector(ROOT / "cascades" / "tom.xml")
    trials = tune.search(detector, frames, max_ms=1e6)
    passes = {(t.settings.scale_factor, t.settings.min_size_px, t.settings.pad) for t in trials}
    assert len(trials) == len(passes) * len(tune.MIN_NEIGHBORS)
    assert {p[0] for p in passes} == {1.3, 1.2}
