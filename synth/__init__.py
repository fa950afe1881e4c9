"""Procedural cartoon episodes with per-frame ground truth.

`synth` draws its own characters (tom, jerry, spike), emotions and scenery with OpenCV and
imports nothing else of this project: it is the yardstick every later stage is measured against.
"""

from __future__ import annotations

CHARACTERS: tuple[str, ...] = ("tom", "jerry", "spike")
EMOTIONS: tuple[str, ...] = ("happy", "angry", "surprise", "sad", "fear", "disgust", "neutral")
