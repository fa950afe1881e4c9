"""What the benchmarks share: running `toon` as a user does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def toon(*args: object) -> str:
    """Run `toon ARGS` in a child process from the repository root; its stdout. A failure ends
    the benchmark with the command and the end of what it said."""
    cmd = [sys.executable, "-m", "toon", *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        sys.exit(f"toon {' '.join(map(str, args))}: {done.stderr.strip()[-2000:]}")
    return done.stdout
