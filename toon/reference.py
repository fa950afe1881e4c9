"""The `toon` command reference, written from the parsers themselves.

`python -m toon.reference [OUT]` writes docs/cli.md (by default): every subcommand, nested ones
such as `toon synth episodes` included, with its help exactly as `toon ... --help` prints it,
so the reference cannot drift from the command. The text does not depend on the terminal, the
Python executable's name or the folder it runs in: the width is fixed and the program is `toon`.
`tests/test_docs.py` regenerates it and compares it with the committed file.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from toon.cli import build_parser

# Wide enough for most usage lines on one line, narrow enough to read in a diff.
HELP_WIDTH = 100
DEFAULT_OUT = Path("docs/cli.md")
REGENERATE = "python -m toon.reference docs/cli.md"


def walk(
    parser: argparse.ArgumentParser, words: tuple[str, ...] = ("toon",)
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """(command words, parser) of `parser` and every subcommand below it, depth first, in the
    order `toon --help` lists them; an alias is not listed twice.

    Example:
        >>> [" ".join(words) for words, _ in walk(build_parser())][:2]
        ['toon', 'toon synth']
    """
    yield words, parser
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        seen: set[int] = set()
        for name, sub in action.choices.items():
            if id(sub) in seen:
                continue
            seen.add(id(sub))
            yield from walk(sub, (*words, name))


def fixed_help(parser: argparse.ArgumentParser, width: int = HELP_WIDTH) -> str:
    """`parser`'s `--help` text at a fixed width, without colour, whatever the terminal."""
    original = parser.formatter_class
    parser.formatter_class = functools.partial(original, width=width)
    had_color = hasattr(parser, "color")  # Python 3.14 colours help on a terminal
    color = getattr(parser, "color", None)
    try:
        if had_color:
            parser.color = False
        return parser.format_help()
    finally:
        parser.formatter_class = original
        if had_color:
            parser.color = color


def anchor(words: Sequence[str]) -> str:
    """The heading's anchor as GitHub makes it: `toon synth episodes` -> `toon-synth-episodes`."""
    return "-".join(words).lower()


def build_reference(parser: argparse.ArgumentParser | None = None) -> str:
    """The whole reference as Markdown: a contents list, then each command's help in a fenced
    block under a heading of its own."""
    parser = parser or build_parser()
    commands = list(walk(parser))
    lines = [
        "# `toon` command reference",
        "",
        "Every command's `--help`, as argparse prints it. Generated from the parsers by",
        f"`{REGENERATE}` (`make docs`); do not edit by hand. How the commands fit together",
        "is in [usage.md](usage.md) and the [README](../README.md).",
        "",
        "## Contents",
        "",
    ]
    for words, _ in commands:
        indent = "  " * (len(words) - 1)
        lines.append(f"{indent}- [`{' '.join(words)}`](#{anchor(words)})")
    for words, sub in commands:
        lines += ["", f"## {' '.join(words)}", "", "```text", fixed_help(sub).rstrip(), "```"]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1:
        print("usage: python -m toon.reference [OUT]  (default docs/cli.md)", file=sys.stderr)
        return 2
    out = Path(args[0]) if args else DEFAULT_OUT
    out.write_text(build_reference(), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
