"""Procedural cartoon episodes with per-frame ground truth.

`synth` draws its own shows (the classic one's cast is tom, jerry and spike; `synth.shows` has
the others), emotions and scenery with OpenCV. It stands on `core/` (video out, the truth
format, the vocabulary) and on nothing else of this project: it is the yardstick every later
stage is measured against.
"""

from __future__ import annotations

from core.vocabulary import EMOTIONS

CHARACTERS: tuple[str, ...] = ("tom", "jerry", "spike")

__all__ = ["CHARACTERS", "EMOTIONS"]
