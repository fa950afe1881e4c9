"""The warehouse on a full disk and on a read-only one: `toon index` stops with one line and exit
3, what was published before stays byte for byte and readable, no temporary file is left, and
once there is room again a rerun finishes the job with every episode stored once.

The filesystems are real: a small tmpfs mounted for the test (root can mount; CI runs as root).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_toon
from warehouse import reader, vectors

SIZE_MB = 32  # room for a few tiny episodes: the work database, its snapshot, a copy in flight


def _mount(point: Path, *options: str) -> None:
    subprocess.run(["mount", *options, str(point)], check=True, capture_output=True, timeout=30)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    point = tmp_path / "disk"
    point.mkdir()
    try:
        _mount(point, "-t", "tmpfs", "-o", f"size={SIZE_MB}m", "tmpfs")
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        pytest.fail(f"cannot mount a tmpfs (the test needs root): {exc}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False, timeout=30)


def fill(disk: Path, leave_kb: int) -> Path:
    """Write a file that leaves `leave_kb` KiB free on `disk`."""
    st = os.statvfs(disk)
    filler = disk / "filler"
    with filler.open("wb") as f:
        f.truncate(0)
        left = st.f_bavail * st.f_frsize - leave_kb * 1024
        block = b"\0" * (1 << 20)
        while left > 0:
            left -= f.write(block[: min(left, len(block))])
    return filler


def published(wh: Path) -> dict:
    """The bytes of every published file, and what a reader reads from them."""
    with reader.connect(wh) as con:
        episodes = con.execute(
            "SELECT episode_id, status, faces FROM episodes ORDER BY 1"
        ).fetchall()
        face_ids = [r[0] for r in con.execute("SELECT face_id FROM faces ORDER BY 1").fetchall()]
    return {
        "files": {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(wh.iterdir())
            if p.is_file()
        },
        "episodes": episodes,
        "face_ids": face_ids,
        "faiss_ids": sorted(vectors.ids_of(reader.face_index(wh)).tolist()),
    }


def index(episodes: list[Path], wh: Path) -> tuple[int, dict | None, str]:
    rc, out, err = run_toon(["index", *map(str, episodes), "--warehouse", str(wh), "--json"])
    return rc, json.loads(out) if out.strip() else None, err


@pytest.mark.parametrize("leave_kb", [0, 256, 2048, 5000])
def test_a_full_disk_stops_the_run_and_loses_nothing(
    small_disk: Path, tiny_episodes: Path, leave_kb: int
) -> None:
    """0 KiB left: the work database's log cannot grow; 256 KiB to 5 MB: the episode commits,
    the snapshot's copy does not fit."""
    episodes = sorted(tiny_episodes.glob("*.mp4"))
    wh = small_disk / "wh"
    rc, summary, err = index(episodes[:1], wh)
    assert (rc, summary["indexed"], summary["stopped"]) == (0, 1, None), err
    before = published(wh)
    filler = fill(small_disk, leave_kb)

    rc, summary, err = index(episodes, wh)
    assert rc == 3, err
    assert err.count("\n") == 1
    assert err.startswith("toon: error: stopped: ")
    assert err.rstrip().endswith("(No space left on device)")
    assert summary["stopped"] == err.removeprefix("toon: error: stopped: ").rstrip()
    assert published(wh) == before  # the same bytes, readable
    assert not [p for p in wh.rglob("*.part")]

    filler.unlink()
    rc, summary, err = index(episodes, wh)
    assert (rc, summary["stopped"], summary["failed"]) == (0, None, 0), err
    after = published(wh)
    assert [e[0] for e in after["episodes"]] == [p.stem for p in episodes]
    assert after["faiss_ids"] == after["face_ids"]
    assert set(before["face_ids"]) <= set(after["face_ids"])
    assert len(after["face_ids"]) > len(before["face_ids"])


def test_a_read_only_warehouse_is_refused_and_still_read(
    small_disk: Path, tiny_episodes: Path
) -> None:
    episodes = sorted(tiny_episodes.glob("*.mp4"))
    wh = small_disk / "wh"
    assert index(episodes[:1], wh)[0] == 0
    before = published(wh)
    _mount(small_disk, "-o", "remount,ro")

    rc, summary, err = index(episodes, wh)
    assert (rc, summary) == (3, None)
    assert err == f"toon: error: {wh}: cannot write here (Read-only file system)\n"
    rc, _, err = run_toon(["index", "--rebuild-faiss", "--warehouse", str(wh)])
    assert (rc, err) == (3, f"toon: error: {wh}: cannot write here (Read-only file system)\n")
    assert published(wh) == before
    rc, out, err = run_toon(
        ["sql", "--warehouse", str(wh), "--json", "SELECT count(*) AS n FROM faces"]
    )
    assert (rc, json.loads(out)) == (0, [{"n": len(before["face_ids"])}]), err
