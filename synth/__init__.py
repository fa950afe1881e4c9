"""Procedural cartoon episodes with per-frame ground truth.

`synth` draws its own shows (the classic one's cast is tom, jerry and spike; `synth.shows` has
the others), emotions and scenery with OpenCV, and imports nothing else of this project: it is the
yardstick every later stage is measured against.
"""

from __future__ import annotations

CHARACTERS: tuple[str, ...] = ("tom", "jerry", "spike")
EMOTIONS: tuple[str, ...] = ("happy", "angry", "surprise", "sad", "fear", "disgust", "neutral")
