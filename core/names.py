"""One rule for every name that comes from a file's contents and may become part of a path.

COCO categories, label folders, character names and episode ids are read from files a person or a
vendor wrote: untrusted input. A name that passes `check_name` is one plain path component (no
`/`, no `..`, no leading dot), so whatever is written under it stays under the folder the user
named. Episode ids follow the same rule, made from a file's name by `episode_slug`.

    >>> check_name("jerry", what="character")
    'jerry'
    >>> episode_slug("été 01")
    'été_01'
"""

from __future__ import annotations

import re
import unicodedata

from core.vocabulary import RESERVED  # names the model reads otherwise: no category's

# A character, category or class name: it names a folder, a cascade file and a model class.
# Lower case so two spellings of one character cannot be two folders on a case-blind disk.
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
NAME_RULE = (
    "a lower-case letter, then up to 31 lower-case letters, digits, '_' or '-', and not "
    + ", ".join(RESERVED)
)

# An episode id: made from a file's name, so it keeps any alphabet (`été` stays readable), but it
# is one path component all the same: letters or digits first, then letters, digits, '.', '_', '-'.
_EPISODE_ID = re.compile(r"^[^\W_][\w.-]{0,127}$")
_NOT_ID = re.compile(r"[^\w.-]+")


def check_name(name: object, *, what: str, source: object = None) -> str:
    """`name` when it is a safe name, else a ValueError naming `source` and the rule.

    Args:
        name: the text read from a file (anything: a COCO field may hold a number or null).
        what: what the name is, for the message ("category", "character").
        source: the file it came from, named first in the message.
    """
    where = f"{source}: " if source is not None else ""
    if not isinstance(name, str) or not NAME.fullmatch(name) or name in RESERVED:
        raise ValueError(f"{where}{what} name {name!r} is not allowed ({NAME_RULE})")
    return name


def episode_slug(stem: str, fallback: str = "episode") -> str:
    """A file's stem as an episode id: readable in any alphabet, one safe path component.

    Runs of anything but letters, digits, '.', '_' and '-' become one '_'; leading dots and
    underscores go (an id never hides or climbs a folder); an empty result is `fallback`.
    """
    slug = _NOT_ID.sub("_", unicodedata.normalize("NFC", stem)).lstrip("._-").rstrip("_")
    slug = slug[:128].rstrip("_")
    return slug if _EPISODE_ID.fullmatch(slug) else fallback


def check_episode_id(episode_id: object, *, source: object = None) -> str:
    """`episode_id` when it is one safe path component (what `episode_slug` makes), else a
    ValueError naming `source`."""
    if not isinstance(episode_id, str) or not _EPISODE_ID.fullmatch(episode_id):
        where = f"{source}: " if source is not None else ""
        raise ValueError(
            f"{where}episode id {episode_id!r} is not allowed (letters or digits first, then "
            "letters, digits, '.', '_' or '-')"
        )
    return episode_id
