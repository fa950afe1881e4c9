"""Art styles: per-episode colour, palette and line jitter, as if another studio drew it."""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import numpy as np

from synth.shapes import RGB

# Outline colours studios use: black, sepia, navy, charcoal.
OUTLINES: tuple[RGB, ...] = ((15, 15, 20), (60, 35, 20), (25, 30, 70), (55, 55, 60))


@dataclass(frozen=True)
class ArtStyle:
    """How one episode (or one face crop) is drawn.

    Attributes:
        hue_shift: added to every character colour's hue (fraction of the colour wheel); kept
            small so tom stays grey-blue and jerry brown.
        saturation: multiplier on character colours' saturation.
        value: multiplier on their brightness.
        outline: outline colour.
        line_scale: multiplier on every outline width (thin ink to thick marker).
        scenery_hue: base hue of walls and furniture.
    """

    hue_shift: float = 0.0
    saturation: float = 1.0
    value: float = 1.0
    outline: RGB = OUTLINES[0]
    line_scale: float = 1.0
    scenery_hue: float = 0.1

    @classmethod
    def random(cls, rng: np.random.Generator) -> ArtStyle:
        """A style of the classic show."""
        return cls.ranged(rng)

    @classmethod
    def ranged(
        cls,
        rng: np.random.Generator,
        hue_shift: tuple[float, float] = (-0.03, 0.03),
        saturation: tuple[float, float] = (0.7, 1.3),
        value: tuple[float, float] = (0.8, 1.12),
        outlines: tuple[RGB, ...] = OUTLINES,
        line_scale: tuple[float, float] = (0.5, 2.0),
        scenery_hue: tuple[float, float] = (0.0, 1.0),
    ) -> ArtStyle:
        """A style drawn uniformly from these ranges (and one of the outline colours)."""
        return cls(
            hue_shift=float(rng.uniform(*hue_shift)),
            saturation=float(rng.uniform(*saturation)),
            value=float(rng.uniform(*value)),
            outline=outlines[int(rng.integers(len(outlines)))],
            line_scale=float(rng.uniform(*line_scale)),
            scenery_hue=float(rng.uniform(*scenery_hue)),
        )

    def colour(self, rgb: RGB) -> RGB:
        """A character colour under this style."""
        h, s, v = colorsys.rgb_to_hsv(*(c / 255.0 for c in rgb))
        h = (h + self.hue_shift) % 1.0
        s = min(s * self.saturation, 1.0)
        v = min(v * self.value, 1.0)
        return tuple(int(round(255 * c)) for c in colorsys.hsv_to_rgb(h, s, v))  # type: ignore[return-value]


def hsv_colour(h: float, s: float, v: float) -> RGB:
    """RGB 0..255 from HSV in 0..1."""
    return tuple(int(round(255 * c)) for c in colorsys.hsv_to_rgb(h % 1.0, s, v))  # type: ignore[return-value]
