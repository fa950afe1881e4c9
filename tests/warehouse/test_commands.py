"""Tests for warehouse/commands.py: its helpers in-process, and `toon rank|sql|subtitles|recommend`
as a user runs them, a real process each."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from contextlib import nullcontext as does_not_raise
from pathlib import Path

import pytest

from tests.conftest import ROOT, TOON
from warehouse.commands import at_least, print_rows, register

# Every `toon` process imports TensorFlow (seconds of CPU at start-up), so the processes are
# few, all start at once in the `runs` fixture, and each test reads its own result. Usage
# errors are checked on the parser in-process (test_usage_errors); that toon's parser prints
# them as one line is tests/test_cli.py's business.
COMMANDS = {
    "rank": ["rank", "--warehouse", "{world}", "--emotion", "happy", "--json"],
    "sql": [
        "sql",
        "--warehouse",
        "{world}",
        "--json",
        "SELECT character, emotion, share FROM character_emotions WHERE emotion <> 'sad' "
        "ORDER BY ALL",
    ],
    "subtitles": ["subtitles", "--warehouse", "{world}", "ep1", "--format", "srt"],
    "mood": ["recommend", "--warehouse", "{world}", "--mood", "happy:tom", "-k", "1", "--json"],
    "no-warehouse": ["rank", "--warehouse", "{missing}", "--emotion", "happy"],
    "no-episode": ["recommend", "--warehouse", "{world}", "--like", "nope", "--json"],
}


@pytest.fixture(scope="module")
def runs(world: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """name -> (returncode, stdout, stderr, the folders named) of every command in COMMANDS."""
    folders = {"world": world, "missing": tmp_path_factory.mktemp("cli") / "missing"}
    started = {
        name: subprocess.Popen(
            [*TOON, *(a.format(**folders) for a in args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for name, args in COMMANDS.items()
    }
    results = {}
    for name, process in started.items():
        stdout, stderr = process.communicate(timeout=300)
        results[name] = (process.returncode, stdout, stderr, folders)
    return results


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "rank",
            [
                {"character": "tom", "share": 0.5, "seconds": 4.0, "total_seconds": 8.0,
                 "faces": 4, "rank": 1, "emotion": "happy", "share_low": 0.25,
                 "share_high": 0.75, "tracks": 2},
                {"character": "jerry", "share": 0.375, "seconds": 6.0, "total_seconds": 16.0,
                 "faces": 4, "rank": 2, "emotion": "happy", "share_low": 0.0,
                 "share_high": 1.0, "tracks": 3},
            ],
        ),
        (
            "sql",
            [
                {"character": "jerry", "emotion": "angry", "share": 0.125},
                {"character": "jerry", "emotion": "happy", "share": 0.375},
                {"character": "tom", "emotion": "angry", "share": 0.375},
                {"character": "tom", "emotion": "happy", "share": 0.5},
            ],
        ),
        (
            "mood",
            [{"episode_id": "ep2", "title": "Episode 2", "share": 0.75, "seconds": 3.0,
              "rank": 1}],
        ),
    ],
)  # fmt: skip
def test_json_is_one_line_holding_an_array_of_objects(runs: dict, name: str, expected) -> None:
    returncode, stdout, stderr, _ = runs[name]
    assert (returncode, stderr) == (0, "")
    assert stdout.endswith("\n") and stdout.count("\n") == 1
    assert json.loads(stdout) == expected


def test_subtitles_print_subrip(runs: dict) -> None:
    assert runs["subtitles"][:3] == (
        0,
        "1\n00:00:00,000 --> 00:00:03,000\nJerry: happy\nTom: angry\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\nJerry: happy\nTom: happy\n",
        "",
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "no-warehouse",
            "toon: error: {missing}: no warehouse here (no toon.duckdb; build one with "
            "`toon index EPISODES --warehouse {missing}`)",
        ),
        (
            "no-episode",
            "toon: error: no episode 'nope' in the warehouse (has: ep1, ep2, ep3, ep9)",
        ),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_nothing_on_stdout(
    runs: dict, name: str, message: str
) -> None:
    returncode, stdout, stderr, folders = runs[name]
    assert (returncode, stdout, stderr) == (2, "", message.format(**folders) + "\n")
    assert not folders["missing"].exists()


class Refused(Exception):
    """What the parser would print as `toon SUBCOMMAND: error: ...`."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise Refused(message)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = Parser(prog="toon")
    register(parser.add_subparsers(dest="command", parser_class=Parser))
    return parser.parse_args(argv)


def refused(message: str):  # noqa: ANN201
    return pytest.raises(Refused, match=f"^{re.escape(message)}$")


EMOTIONS_LISTED = "happy, angry, surprise, sad, fear, disgust, neutral"


@pytest.mark.parametrize(
    ("argv", "expected", "expectation"),
    [
        (
            ["recommend", "--warehouse", "wh", "--mood", ""],
            None,
            refused(f"argument --mood: unknown emotion ''; choose one of: {EMOTIONS_LISTED}"),
        ),
        (
            ["recommend", "--warehouse", "wh", "--mood", "happy:tom"],
            {"mood": ("happy", "tom"), "like": None, "k": 10, "json": False},
            does_not_raise(),
        ),
        (
            ["recommend", "--warehouse", "wh", "--mood", "sad", "-k", "3"],
            {"mood": ("sad", None), "k": 3},
            does_not_raise(),
        ),
        (
            ["sql", "--warehouse", "wh", "SELECT 1", "--time-limit", "0.5"],
            {"query": "SELECT 1", "time_limit": 0.5, "max_rows": 10_000, "warehouse": Path("wh")},
            does_not_raise(),
        ),
        (
            ["recommend", "--warehouse", "wh", "--like", "ep1", "-k", "0"],
            None,
            refused("argument -k: must be at least 1, got 0"),
        ),
        (
            ["recommend", "--warehouse", "wh", "--mood", "joy:tom"],
            None,
            refused(f"argument --mood: unknown emotion 'joy'; choose one of: {EMOTIONS_LISTED}"),
        ),
        (
            ["recommend", "--warehouse", "wh", "--like", "ep1", "--mood", "sad"],
            None,
            refused("argument --mood: not allowed with argument --like"),
        ),
        (
            ["recommend", "--warehouse", "wh"],
            None,
            refused("one of the arguments --like --mood is required"),
        ),
        (
            ["rank", "--warehouse", "wh", "--emotion", "joy"],
            None,
            refused(
                "argument --emotion: invalid choice: 'joy' (choose from "
                + ", ".join(f"'{e}'" for e in EMOTIONS_LISTED.split(", "))
                + ")"
            ),
        ),
        (
            ["rank", "--emotion", "sad"],
            None,
            refused("the following arguments are required: --warehouse"),
        ),
        (
            ["sql", "--warehouse", "wh", "-"],
            {"query": "-", "file": None, "time_limit": 10.0, "memory_limit": "1GB"},
            does_not_raise(),
        ),
        (
            ["sql", "--warehouse", "wh", "--file", "q.sql"],
            {"query": None, "file": Path("q.sql")},
            does_not_raise(),
        ),
        (
            ["sql", "--warehouse", "wh"],
            None,
            refused("one of the arguments SQL --file is required"),
        ),
        (
            ["sql", "--warehouse", "wh", "--file", "q.sql", "SELECT 1"],
            None,
            refused("argument SQL: not allowed with argument --file"),
        ),
        (
            ["sql", "--warehouse", "wh", "SELECT 1", "--max-rows", "0"],
            None,
            refused("argument --max-rows: must be at least 1, got 0"),
        ),
        (
            ["subtitles", "--warehouse", "wh", "ep1", "--format", "ass"],
            None,
            refused("argument --format: invalid choice: 'ass' (choose from 'vtt', 'srt')"),
        ),
    ],
)
def test_usage_errors(argv: list[str], expected: dict | None, expectation) -> None:
    with expectation:
        args = vars(parse(argv))
        assert {key: args[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("text", "low", "kind", "expected", "expectation"),
    [
        ("", 1, int, None, pytest.raises(argparse.ArgumentTypeError, match="^expected a whole nu")),
        ("3", 1, int, 3, does_not_raise()),
        ("1", 1, int, 1, does_not_raise()),
        ("0", 1, int, None, pytest.raises(argparse.ArgumentTypeError, match="^must be at leas")),
        (
            "2.5",
            1,
            int,
            None,
            pytest.raises(argparse.ArgumentTypeError, match="^expected a whole number, got '2.5'$"),
        ),
        ("0.1", 0.1, float, 0.1, does_not_raise()),
        (
            "0.05",
            0.1,
            float,
            None,
            pytest.raises(argparse.ArgumentTypeError, match="^must be at least 0.1, got 0.05$"),
        ),
        (
            "nan",
            0.1,
            float,
            None,
            pytest.raises(argparse.ArgumentTypeError, match="^must be at least 0.1, got nan$"),
        ),
        (
            "x",
            0.1,
            float,
            None,
            pytest.raises(argparse.ArgumentTypeError, match="^expected a number, got 'x'$"),
        ),
    ],
)
def test_at_least(text: str, low: float, kind: type, expected, expectation) -> None:
    with expectation:
        assert at_least(low, kind)(text) == expected


@pytest.mark.parametrize(
    ("rows", "as_json", "columns", "expected"),
    [
        ([], False, None, "(no rows)\n"),
        ([], True, None, "[]\n"),
        (
            [{"name": "tom", "share": 0.5, "note": None}, {"name": "jerry", "share": 1 / 3}],
            False,
            None,
            "name   share   note\ntom    0.5000\njerry  0.3333\n",
        ),
        (
            [{"name": "tom", "share": 0.5, "rank": 1}],
            False,
            ["rank", "name"],
            "rank  name\n1     tom\n",
        ),
        (
            [{"name": "tom", "share": 0.5, "when": Path("/x")}],
            True,
            ["name"],
            '[{"name": "tom", "share": 0.5, "when": "/x"}]\n',
        ),
    ],
)
def test_print_rows(capsys, rows: list[dict], as_json: bool, columns, expected: str) -> None:
    print_rows(rows, as_json, columns)
    assert capsys.readouterr() == (expected, "")
