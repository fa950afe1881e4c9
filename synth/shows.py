"""Shows: a cast and a drawing style. Episodes, face sets and sheets are drawn from one show.

`classic` (tom, jerry, spike) is the default and the show the shipped cascades and model learned;
`meadow` (bunny, frog) is another cartoon altogether, for teaching the tool a new cast: other head
shapes and colours, bean eyes, plum mouths, heavy outlines, cel shading and pastel scenery.
`emoji` (smiley) draws the expressions on a round yellow face, as face emoji do: faces of that
kind to learn emotions from beside the cartoon ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from synth import CHARACTERS
from synth.style import ArtStyle

# Meadow inks: aubergine, forest, brown.
MEADOW_OUTLINES = ((50, 25, 60), (25, 55, 35), (70, 40, 25))
# Emoji edges: amber, brown, near black.
EMOJI_OUTLINES = ((200, 130, 20), (110, 60, 15), (40, 30, 20))


@dataclass(frozen=True)
class Show:
    name: str
    cast: tuple[str, ...]  # every character the show draws
    weights: dict[str, float]  # how often each is cast in a shot, relative
    style: Callable[[np.random.Generator], ArtStyle]  # one episode's (or crop's) colours and ink
    id_prefix: str  # before `s<seed>-e<nn>` in episode ids
    sheet_style: ArtStyle  # the contact sheet's


_emoji_style = partial(
    ArtStyle.ranged,
    hue_shift=(-0.02, 0.02),
    saturation=(0.8, 1.15),
    value=(0.9, 1.1),
    outlines=EMOJI_OUTLINES,
    line_scale=(0.3, 1.2),
)
_meadow_style = partial(
    ArtStyle.ranged,
    hue_shift=(-0.04, 0.04),
    saturation=(0.8, 1.2),
    value=(0.92, 1.08),
    outlines=MEADOW_OUTLINES,
    line_scale=(1.8, 3.0),
    scenery_hue=(0.2, 0.5),  # greens, teals and sky blues
)


SHOWS: dict[str, Show] = {
    "classic": Show(
        "classic",
        CHARACTERS,
        {"tom": 0.4, "jerry": 0.4, "spike": 0.2},  # spike, a distractor, is not the star
        ArtStyle.random,
        "",
        ArtStyle(outline=(20, 20, 25), line_scale=1.2),
    ),
    "meadow": Show(
        "meadow",
        ("bunny", "frog"),
        {"bunny": 0.5, "frog": 0.5},
        _meadow_style,
        "meadow-",
        ArtStyle(outline=MEADOW_OUTLINES[0], line_scale=2.2, scenery_hue=0.3),
    ),
    "emoji": Show(
        "emoji",
        ("smiley",),
        {"smiley": 1.0},
        _emoji_style,
        "emoji-",
        ArtStyle(outline=EMOJI_OUTLINES[0], line_scale=0.8),
    ),
}
DEFAULT_SHOW = "classic"


def show_of(character: str) -> Show:
    """The show `character` belongs to."""
    for candidate in SHOWS.values():
        if character in candidate.cast:
            return candidate
    raise ValueError(f"{character!r} is in no show")


def show(name: str) -> Show:
    """The show called `name`; ValueError naming the shows there are otherwise."""
    try:
        return SHOWS[name]
    except KeyError:
        raise ValueError(f"unknown show {name!r}; choose one of: {', '.join(SHOWS)}") from None
