"""`toon index` over a library folder holding every kind of entry it cannot read beside a good
episode: links in a loop, a link to nothing, a device, a pipe and a folder named like videos, a
sparse 4 GB file of zeros named `.mp4`. Each is a failed row with its reason, the good episode
(named in another alphabet) is indexed under a readable id, and the exit code says some failed.
Run with its output in files, as a scheduled job runs it, each entry's line is in the log; and
what a user can mistype is refused before TensorFlow is loaded."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from core.video import probe, read_frames
from indexer import commands
from indexer.pipeline import PassSettings
from tests.conftest import ROOT, TOON, run_toon

SPARSE_BYTES = 4 * 2**30  # no video: hashing it whole is what the decoder's look first spares


@pytest.fixture(scope="module")
def library(tiny_episodes: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of one good episode and every entry that only looks like one."""
    lib = tmp_path_factory.mktemp("library").resolve() / "lib"
    lib.mkdir()
    shutil.copy(sorted(tiny_episodes.glob("*.mp4"))[0], lib / "é1.mp4")
    os.symlink("b.mp4", lib / "a.mp4")  # a.mp4 -> b.mp4 -> a.mp4
    os.symlink("a.mp4", lib / "b.mp4")
    os.symlink("gone.mp4", lib / "dangling.mp4")
    os.symlink(os.devnull, lib / "device.mp4")
    os.mkfifo(lib / "pipe.mp4")
    (lib / "folder.mp4").mkdir()
    with (lib / "zeros.mp4").open("wb") as f:
        f.truncate(SPARSE_BYTES)  # sparse: instant, and no disk used
    os.symlink(".", lib / "again")  # a folder link back to the library: walked once, not twice
    return lib


def expected_rows(lib: Path) -> dict[str, tuple[str, str, str | None]]:
    """{file name: (status, episode id, reason)} for the `library` fixture."""
    return {
        "é1.mp4": ("indexed", "é1", None),
        "a.mp4": ("failed", "a", f"{lib / 'a.mp4'}: not a video file (a loop of symbolic links)"),
        "b.mp4": ("failed", "b", f"{lib / 'b.mp4'}: not a video file (a loop of symbolic links)"),
        "dangling.mp4": (
            "failed",
            "dangling",
            f"{lib / 'dangling.mp4'}: a link to a missing file (gone.mp4)",
        ),
        "device.mp4": ("failed", "device", f"{lib / 'device.mp4'}: not a video file (a device)"),
        "pipe.mp4": ("failed", "pipe", f"{lib / 'pipe.mp4'}: not a video file (a pipe)"),
        "folder.mp4": ("failed", "folder", f"{lib / 'folder.mp4'}: not a video file (a folder)"),
        "zeros.mp4": (
            "failed",
            "zeros",
            f"{lib / 'zeros.mp4'}: cannot open video (not a video, or a codec the decoder lacks)",
        ),
    }


def test_every_entry_it_cannot_read_fails_alone(library: Path, tmp_path: Path) -> None:
    wh = tmp_path / "wh"
    rc, out, err = run_toon(["index", str(library), "--warehouse", str(wh), "--json"])
    assert rc == 1, err  # some failed
    assert err == ""  # --json: nothing but errors on stderr, and none came
    report = json.loads(out)
    # an entry is reported under its own name, a link too
    got = {
        Path(e["path"]).name: (e["status"], e["episode_id"], e["reason"])
        for e in report["episodes"]
    }
    assert got == expected_rows(library)
    assert (report["indexed"], report["skipped"], report["failed"]) == (1, 0, 7)
    with duckdb.connect(str(wh / "toon.duckdb"), read_only=True) as con:
        stored = dict(con.execute("SELECT episode_id, status FROM episodes").fetchall())
    assert stored == {episode_id: status for status, episode_id, _ in got.values()}
    # a rerun: the good episode is skipped, every bad entry fails again under the same id
    rc, out, _ = run_toon(["index", str(library), "--warehouse", str(wh), "--json"])
    again = json.loads(out)
    assert rc == 1 and (again["indexed"], again["skipped"], again["failed"]) == (0, 1, 7)
    assert {e["episode_id"] for e in again["episodes"]} == set(stored)
    with duckdb.connect(str(wh / "toon.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM episodes").fetchone()[0] == len(stored)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_a_file_it_may_not_read_fails_alone(tiny_episodes: Path, tmp_path: Path) -> None:
    lib = tmp_path.resolve() / "lib"
    lib.mkdir()
    good = sorted(tiny_episodes.glob("*.mp4"))
    shutil.copy(good[0], lib / "ok.mp4")
    shutil.copy(good[1], lib / "locked.mp4")
    (lib / "locked.mp4").chmod(0)
    rc, out, _ = run_toon(["index", str(lib), "--warehouse", str(tmp_path / "wh"), "--json"])
    rows = {e["episode_id"]: (e["status"], e["reason"]) for e in json.loads(out)["episodes"]}
    assert rc == 1
    assert rows == {
        "ok": ("indexed", None),
        "locked": ("failed", f"{lib / 'locked.mp4'}: cannot read (Permission denied)"),
    }


def test_a_redirected_log_holds_each_entry_as_a_line(library: Path, tmp_path: Path) -> None:
    """As `toon index LIB --warehouse W > out.log 2> err.log` runs it: no terminal anywhere."""
    wh = tmp_path / "wh"
    with (tmp_path / "out.log").open("w") as out, (tmp_path / "err.log").open("w") as err:
        rc = subprocess.run(
            [*TOON, "index", str(library), "--warehouse", str(wh)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            timeout=300,
        ).returncode
    lines = (tmp_path / "out.log").read_text().splitlines()
    err_text = (tmp_path / "err.log").read_text()
    assert rc == 1, err_text
    rows = expected_rows(library)
    assert len(lines) == len(rows) + 1  # a line an entry, each once, then the summary
    by_id = {line.split()[1]: line for line in lines[:-1]}
    assert set(by_id) == {episode_id for _, episode_id, _ in rows.values()}
    assert by_id["é1"].startswith("indexed  é1 ")
    assert by_id["é1"].endswith(f"  ({library / 'é1.mp4'})")
    for status, episode_id, reason in rows.values():
        if reason:
            assert by_id[episode_id] == (
                f"{status:8s} {episode_id:24s} {reason}  ({reason.split(': ')[0]})"
            )
    assert lines[-1].startswith("1 indexed, 0 skipped, 7 failed; ")
    assert lines[-1].endswith(f" -> {wh}")
    # stderr: plain progress lines, no bars redrawn with carriage returns
    assert err_text.splitlines()[0] == "episodes 0/8"
    assert "\r" not in err_text and "it/s" not in err_text and "frame/s" not in err_text


def test_the_plain_progress_line_says_where_the_run_is(
    library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a terminal, stderr gets "episodes DONE/ALL, FILE frame N/FRAMES" lines (one at
    every sampled frame here, where a run writes one every PROGRESS_EVERY_S)."""
    monkeypatch.setattr(commands, "PROGRESS_EVERY_S", 0.0)
    rc, _, err = run_toon(["index", str(library), "--warehouse", str(tmp_path / "wh")])
    assert rc == 1
    episode = library / "é1.mp4"
    frames = probe(episode).frames
    sampled = [f.index for f in read_frames(episode, sample_fps=PassSettings().sample_fps)]
    assert err.splitlines() == [
        "episodes 0/8",
        f"episodes 7/8, é1.mp4 frame 0/{frames}",  # its pass begins: the 7 others failed
        *(f"episodes 7/8, é1.mp4 frame {i + 1}/{frames}" for i in sampled),
    ]


CHECK_BEFORE_TENSORFLOW = """
import sys
from tests.conftest import run_toon
rc, _, err = run_toon(sys.argv[1:])
print(rc, "tensorflow" in sys.modules, err.strip())
"""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{tmp}/missing"], "{tmp}/missing: no such file or folder"),
        (["{tmp}/empty"], "{tmp}/empty: no video files (.mp4, .mkv, .avi, .mov, .webm)"),
        (["{lib}", "--model", "{tmp}/empty"], "{tmp}/empty: not a model folder (no model.keras)"),
        (["{lib}", "--cascades", "{tmp}/missing"], "{tmp}/missing: not a folder of cascades"),
        (
            ["{lib}", "--cascades", "{tmp}/empty"],
            "{tmp}/empty: no cascade XML files (NAME.xml, one per character) and no finder "
            "(proposer.keras)",
        ),
        (["{lib}", "--warehouse", "{lib}/é1.mp4"], "{lib}/é1.mp4: exists and is not a folder"),
    ],
)
def test_what_a_user_mistyped_is_refused_before_tensorflow_loads(
    library: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "empty").mkdir()
    fill = {"tmp": tmp_path, "lib": library}
    argv = ["index", *[a.format(**fill) for a in args]]
    if "--warehouse" not in args:
        argv += ["--warehouse", str(tmp_path / "wh")]
    done = subprocess.run(
        [sys.executable, "-c", CHECK_BEFORE_TENSORFLOW, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout == f"2 False toon: error: {message.format(**fill)}\n", done.stderr
    assert not (tmp_path / "wh").exists()
