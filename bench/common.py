"""What the indexer benchmarks share: running `toon` as a user does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def toon(*args: object) -> str:
    """Run `toon ARGS` in a child process from the repository root; its stdout."""
    cmd = [sys.executable, "-m", "toon", *map(str, args)]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
