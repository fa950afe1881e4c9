"""A batch of episodes with every kind of bad file among good ones: each bad one fails alone with
its reason in the summary and in `episodes`, the good ones are indexed, and the exit code says
that some failed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import cv2
import duckdb
import imageio_ffmpeg
import numpy as np
import pytest

from core.video import read_frames
from tests.conftest import run_toon
from warehouse import vectors

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-v", "error", "-y", *args], check=True, timeout=120)


def vfr_episode(path: Path) -> list[float]:
    """A clip at 10, then 25, then 5 frames a second; returns each frame's true time (s)."""
    times = [n / 10 for n in range(10)]
    times += [1 + n / 25 for n in range(10)]
    times += [1.4 + n / 5 for n in range(6)]
    expr = "if(lt(N,10),N*5,if(lt(N,20),50+(N-10)*2,70+(N-20)*10))"  # in ticks of 1/50 s
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=320x180:r=50", "-frames:v", str(len(times)),
        "-vf", f"setpts='{expr}'", "-fps_mode", "passthrough", "-video_track_timescale", "1000",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path),
    )  # fmt: skip
    return times


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], dict]:
    """A folder of good and bad files, the extra paths named on the command line, and what
    each must come to: {file name: (status, words of its reason)}."""
    root = tmp_path_factory.mktemp("batch")
    made = root / "made"
    rc, _, err = run_toon(
        ["synth", "episodes", str(made), "--count", "4", "--seconds", "2", "--seed", "31",
         "--width", "320", "--height", "180"]
    )  # fmt: skip
    assert rc == 0, err
    good = sorted(made.glob("*.mp4"))
    lib = root / "lib"
    lib.mkdir()
    shutil.copy(good[0], lib / "with space.mp4")
    shutil.copy(good[1], lib / "ünïcödé-épisode.mp4")
    shutil.copy(good[2], lib / "100% frame%02d.mp4")
    (lib / "zero.mp4").write_bytes(b"")
    (lib / "text.mp4").write_text("this is not a video\n" * 20)
    plain = root / "plain.mp4"  # the index (moov) after the frames, FFmpeg's default
    ffmpeg("-i", str(good[3]), "-c", "copy", str(plain))
    data = plain.read_bytes()
    (lib / "half.mp4").write_bytes(data[: len(data) // 2])
    fast = root / "fast.mp4"
    ffmpeg("-i", str(good[3]), "-c", "copy", "-movflags", "+faststart", str(fast))
    data = fast.read_bytes()
    (lib / "faststart-half.mp4").write_bytes(data[: len(data) // 2])
    (lib / "folder.mp4").mkdir()
    os.mkfifo(lib / "pipe.mp4")
    ffmpeg(
        "-f", "lavfi", "-i", "color=c=red:s=8192x8192:r=25", "-frames:v", "2",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(lib / "huge.mp4"),
    )  # fmt: skip
    vfr_episode(lib / "vfr.mp4")
    # an image pattern FFmpeg would expand: frames beside a text file named like the pattern
    for n in (1, 2, 3):
        cv2.imwrite(str(root / f"frame{n:02d}.png"), np.full((48, 64, 3), 40 * n, np.uint8))
    (root / "frame%02d.png").write_text("not a picture\n")
    named = [
        str(lib),
        "http://127.0.0.1:9/episode.mp4",
        str(root / "frame%02d.png"),
        str(root / "shot%03d.png"),
        f"concat:{good[0]}|{good[1]}",
    ]
    expected = {
        "with space.mp4": ("indexed", ""),
        "ünïcödé-épisode.mp4": ("indexed", ""),
        "100% frame%02d.mp4": ("indexed", ""),
        "vfr.mp4": ("indexed", ""),
        "zero.mp4": ("failed", "cannot open video"),
        "text.mp4": ("failed", "cannot open video"),
        "half.mp4": ("failed", "cannot open video"),
        "faststart-half.mp4": ("failed", "cut short (its header promises 48 frames"),
        "folder.mp4": ("failed", "not a video file (a folder)"),
        "pipe.mp4": ("failed", "not a video file (a pipe)"),
        "huge.mp4": ("failed", "8192x8192 frames are over the limit of 16.8 million pixels"),
        "episode.mp4": ("failed", "no such file"),
        "frame%02d.png": ("failed", "cannot open video"),
        "shot%03d.png": ("failed", "no such file"),
        f"{good[1].name}": ("failed", "no such file"),  # the concat: string, read as a path
    }
    return root, named, expected


def test_each_bad_file_fails_alone_and_the_rest_is_indexed(batch) -> None:  # noqa: ANN001
    root, named, expected = batch
    wh = root / "wh"
    rc, out, err = run_toon(["index", *named, "--warehouse", str(wh), "--json"])
    assert rc == 1, err  # some failed
    report = json.loads(out)
    got = {Path(e["path"]).name: (e["status"], e["reason"] or "") for e in report["episodes"]}
    assert set(got) == set(expected)
    for name, (status, words) in expected.items():
        assert got[name][0] == status and words in got[name][1], (name, got[name])
        assert "\n" not in got[name][1]
    with duckdb.connect(str(wh / "toon.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT path, status, error, faces FROM episodes").fetchall()
        face_ids = [
            r[0] for r in con.execute("SELECT face_id FROM faces ORDER BY face_id").fetchall()
        ]
    stored = {Path(p).name: (s, e or "") for p, s, e, _ in rows}
    assert stored == got  # the same reason in the warehouse as in the summary
    assert report["faces"] == len(face_ids) == sum(f or 0 for *_, f in rows)
    assert sorted(vectors.ids_of(vectors.read(wh / "faces.faiss")).tolist()) == face_ids
    # a rerun reads nothing twice: the good files are skipped, the bad ones fail again
    rc, out, _ = run_toon(["index", *named, "--warehouse", str(wh), "--json"])
    again = json.loads(out)
    assert rc == 1 and (again["indexed"], again["skipped"]) == (0, 4)
    with duckdb.connect(str(wh / "toon.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM episodes").fetchone()[0] == len(expected)


def test_variable_frame_rate_timestamps_are_within_a_millisecond(tmp_path: Path) -> None:
    truth = vfr_episode(tmp_path / "vfr.mp4")
    got = [f.time_s for f in read_frames(tmp_path / "vfr.mp4")]
    assert len(got) == len(truth)
    assert max(abs(a - b) for a, b in zip(got, truth, strict=True)) < 0.001


def test_a_pipe_named_directly_does_not_block(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.mp4")
    rc, out, err = run_toon(
        ["index", str(tmp_path / "pipe.mp4"), "--warehouse", str(tmp_path / "wh"), "--json"]
    )
    report = json.loads(out)
    assert rc == 1 and report["episodes"][0]["reason"].endswith("not a video file (a pipe)")
