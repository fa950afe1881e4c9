"""The `toon` command as a user runs it: a real process, its exit code and its output."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import TOON


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*TOON, *args], capture_output=True, text=True, timeout=300)


def test_help_lists_every_command() -> None:
    out = run("--help")
    assert out.returncode == 0
    for command in ("synth episodes", "synth faces", "synth sheet"):
        assert command in out.stdout


def test_faces_json(tmp_path: Path) -> None:
    out = run("synth", "faces", str(tmp_path / "f"), "--count", "21", "--seed", "1", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["count"] == 21 and len(report["classes"]) == 21


@pytest.mark.parametrize(
    "args",
    [
        ["synth", "episodes", "{tmp}/out", "--count", "0"],
        ["synth", "episodes", "{tmp}/out", "--seconds", "abc"],
        ["synth", "episodes", "{tmp}/out", "--seconds", "1", "--width", "333"],
        ["synth", "episodes", "{tmp}/a_file", "--seconds", "1"],
        ["synth", "faces", "{tmp}/out", "--count", "3", "--style", "oil"],
        ["synth", "faces", "{tmp}/out"],
        ["synth", "sheet", "{tmp}/sheet.gif"],
        ["synth", "nonsense"],
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "a_file").write_text("keep me")
    out = run(*[a.format(tmp=tmp_path) for a in args])
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0], out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]
    assert (tmp_path / "a_file").read_text() == "keep me"
