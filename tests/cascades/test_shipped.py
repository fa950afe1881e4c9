"""The cascades the project ships: plain OpenCV loads them, and they find faces.

Their real figures come from bench/cascades.py (BENCHMARKS.md); these floors only catch a broken
file or pipeline.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from cascades.detect import Detector
from cascades.evaluate import eval_frames, score

CASCADES = Path(__file__).resolve().parents[2] / "cascades" / "weights" / "default"


@pytest.fixture(scope="module")
def episode(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from toon.cli import main

    out = tmp_path_factory.mktemp("shipped")
    assert (
        main(["synth", "episodes", str(out), "--count", "1", "--seconds", "10", "--seed", "987654"])
        == 0
    )
    return out


@pytest.mark.parametrize("character", ["tom", "jerry"])
def test_plain_opencv_loads_it(character: str) -> None:
    classifier = cv2.CascadeClassifier(str(CASCADES / f"{character}.xml"))
    assert not classifier.empty()
    assert tuple(classifier.getOriginalWindowSize()) == (24, 24)
    settings = json.loads((CASCADES / f"{character}.json").read_text())
    assert settings["character"] == character and "tuned" in settings


@pytest.mark.parametrize("character", ["tom", "jerry"])
def test_it_finds_its_character(character: str, episode: Path) -> None:
    cv2.setNumThreads(1)
    result = score(Detector(CASCADES / f"{character}.xml"), eval_frames(episode, character, 2))
    assert result.owed > 10
    assert result.recall > 0.6 and result.precision > 0.5, result
