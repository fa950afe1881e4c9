"""The words every floor shares: the emotions a warehouse has columns for, and the class names the
model, the cascades' training folders and the warehouse read alike.

Plain constants, imported by `warehouse/` and the dashboard as well as by the network code, so
this module imports nothing.
"""

from __future__ import annotations

# The emotions, in the order of the warehouse's probability columns and of `toon synth`'s faces.
# A model that names fewer leaves the others at 0; one that names others cannot write a warehouse.
EMOTIONS: tuple[str, ...] = ("happy", "angry", "surprise", "sad", "fear", "disgust", "neutral")

# The character head's class for a window that is no face of the cast.
OTHER = "other"
# The folder of crops that are no face at all (a cascade's false positives, scenery): read as
# OTHER, with no emotion.
NONFACE = "nonface"
# The folder of faces whose emotion nobody named yet: they teach the character, not the emotion.
UNLABELLED = "unlabelled"

# Names no character, category or label folder may take: each already means something above.
RESERVED: tuple[str, ...] = (OTHER, NONFACE, UNLABELLED)
