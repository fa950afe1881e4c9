"""`toon`: parse arguments, call the stage's typed function, turn bad input into one line.

Each package that offers commands has a `commands.py` with `register(subparsers)`; every
subcommand sets `func(args) -> int`. Errors a user can fix (ValueError, OSError) print as
`toon: error: <message>` and exit 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cascades import commands as cascade_commands
from dashboard import commands as dashboard_commands
from indexer import commands as indexer_commands
from model import commands as model_commands
from synth import commands as synth_commands
from warehouse import commands as warehouse_commands


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are a single line on stderr."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="toon",
        description="Toon Emotion Index: measure emotions in cartoons.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    sub.required = True
    synth_commands.register(sub)
    cascade_commands.register(sub)
    model_commands.register(sub)
    indexer_commands.register(sub)
    warehouse_commands.register(sub)
    dashboard_commands.register(sub)
    parser.epilog = (
        "commands:\n"
        + "\n".join(f"  toon {name:<22} {text}" for name, text in _leaf_commands(sub))
        + "\n\nRun `toon COMMAND --help` for a command's options."
    )
    return parser


def _leaf_commands(action: argparse._SubParsersAction, prefix: str = "") -> list[tuple[str, str]]:
    """(full name, one-line help) of every runnable subcommand, depth first."""
    helps = {a.dest: a.help or "" for a in action._choices_actions}
    out = []
    for name, sub in action.choices.items():
        nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
        if nested:
            out += _leaf_commands(nested[0], f"{prefix}{name} ")
        else:
            out.append((prefix + name, helps.get(name, "")))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, OSError) as exc:
        print(f"toon: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("toon: interrupted", file=sys.stderr)
        return 130
