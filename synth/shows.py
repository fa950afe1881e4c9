"""Shows: a cast and a drawing style. Episodes, face sets and sheets are drawn from one show.

`classic` (tom, jerry, spike) is the default and the show the shipped cascades and model learned;
`meadow` (bunny, frog) is another cartoon altogether, for teaching the tool a new cast: other head
shapes and colours, bean eyes, plum mouths, heavy outlines, cel shading and pastel scenery.
`emoji` (smiley) draws the expressions on a round yellow face, as face emoji do: faces of that
kind to learn emotions from beside the cartoon ones.
`artists-<seed>` (characters `a<seed>-1`, `a<seed>-2`) is a show of two characters drawn by the
random artists of `synth.artists` with that seed: a cast and a drawing style of any convention
the generator has, as many shows as there are seeds, for learning and judging what must work on
a cartoon nobody here drew.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from synth import CHARACTERS
from synth.artists import ArtistDesign, draw_artists
from synth.characters import DESIGNS, Design
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
    # how each of the cast is drawn; the shows' own designs unless given
    designs: Mapping[str, Design | ArtistDesign] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.designs:
            object.__setattr__(self, "designs", {c: DESIGNS[c] for c in self.cast})


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

ARTIST_SHOW = re.compile(r"artists-(\d{1,9})")
ARTIST_CHARACTER = re.compile(r"a(\d{1,9})-(\d)")
ARTIST_CAST = 2
# An artist show's episodes vary a little in colour and line, as a show's episodes do.
_artist_style = partial(
    ArtStyle.ranged,
    hue_shift=(-0.02, 0.02),
    saturation=(0.85, 1.15),
    value=(0.9, 1.1),
    line_scale=(0.8, 1.25),
)


def artist_show(seed: int) -> Show:
    """The show `artists-<seed>`: two characters, `a<seed>-1` and `a<seed>-2`, drawn by the
    first two random artists of `seed` (those `toon synth artists --seed SEED` draws)."""
    cast = tuple(f"a{seed}-{k + 1}" for k in range(ARTIST_CAST))
    drawn = draw_artists(ARTIST_CAST, seed)
    return Show(
        f"artists-{seed}",
        cast,
        {c: 1.0 / ARTIST_CAST for c in cast},
        _artist_style,
        f"artists-{seed}-",
        ArtStyle(line_scale=1.0),
        {c: ArtistDesign(c, a) for c, a in zip(cast, drawn, strict=True)},
    )


def show_of(character: str) -> Show:
    """The show `character` belongs to."""
    m = ARTIST_CHARACTER.fullmatch(character)
    if m and 1 <= int(m.group(2)) <= ARTIST_CAST:
        return artist_show(int(m.group(1)))
    for candidate in SHOWS.values():
        if character in candidate.cast:
            return candidate
    raise ValueError(f"{character!r} is in no show")


def show(name: str) -> Show:
    """The show called `name`; ValueError naming the shows there are otherwise."""
    m = ARTIST_SHOW.fullmatch(name)
    if m:
        return artist_show(int(m.group(1)))
    try:
        return SHOWS[name]
    except KeyError:
        raise ValueError(
            f"unknown show {name!r}; choose one of: {', '.join(SHOWS)}, artists-<seed>"
        ) from None
