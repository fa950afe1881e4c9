"""Argument types every package's `commands.py` shares: a bad number is a one-line usage error
(exit 2) before any work starts, never a traceback or a silently used default."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def at_least(low: float, kind: type = int) -> Callable[[str], float]:
    """An argparse type: a finite number of `kind` (int or float) that is >= `low`.

    Example:
        >>> parser.add_argument("--epochs", type=at_least(1))
    """

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
        if not (math.isfinite(value) and value >= low):
            raise argparse.ArgumentTypeError(f"must be at least {low:g}, got {text}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse
