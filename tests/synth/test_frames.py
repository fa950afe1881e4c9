from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from core.detections import Detections, iou, xywh_to_xyxy, xyxy_to_xywh
from core.video import count_frames, find_videos, probe, read_frames, sampled_indices


@pytest.fixture(scope="module")
def vfr_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 64x48 clip whose frames are not evenly spaced: 10 fps, then every other tick."""
    path = tmp_path_factory.mktemp("vfr") / "vfr.mkv"
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x48:rate=10:duration=1",
            "-vf",
            "setpts='if(lt(N,5),N,2*N-5)/10/TB'",
            "-fps_mode",
            "vfr",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        check=True,
    )
    return path


def test_timestamps_are_the_decoders(vfr_video: Path) -> None:
    frames = list(read_frames(vfr_video))
    stamps = np.array([f.time_s for f in frames])
    assert [f.index for f in frames] == list(range(10))
    gaps = np.diff(stamps).round(3)
    assert gaps.min() == pytest.approx(0.1) and gaps.max() >= 0.2  # variable, not index / fps
    assert frames[0].bgr.shape == (48, 64, 3)


def test_sampling_keeps_the_first_frame_at_or_after_each_tick(vfr_video: Path) -> None:
    every = [(f.index, f.time_s) for f in read_frames(vfr_video)]
    sampled = [(f.index, f.time_s) for f in read_frames(vfr_video, sample_fps=4)]
    expected, tick = [], 0.0
    for index, t in every:
        if t >= tick - 1e-6:
            expected.append((index, t))
            while tick <= t + 1e-6:
                tick += 0.25
    assert sampled == expected
    assert len(sampled) < len(every)
    # the grid the truth-only scorers use is the stream's own
    assert sampled_indices([t for _, t in every], 4) == [i for i, _ in sampled]


def test_frame_step_and_counts(tiny_episodes: Path) -> None:
    video = tiny_episodes / "s11-e01.mp4"
    info = probe(video)
    assert info.resolution_wh == (320, 180)
    n, last = count_frames(video)
    assert n == info.frames
    assert [f.index for f in read_frames(video, frame_step=10)] == list(range(0, n, 10))
    assert last == pytest.approx((n - 1) / info.fps, abs=1e-3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sample_fps": 0}, "sample_fps"),
        ({"sample_fps": float("nan")}, "sample_fps"),
        ({"frame_step": 0}, "frame_step"),
    ],
)
def test_bad_arguments(tiny_episodes: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        next(read_frames(tiny_episodes / "s11-e01.mp4", **kwargs))


def test_not_a_video(tmp_path: Path) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"this is not a video" * 100)
    with pytest.raises(ValueError, match="broken.mp4"):
        list(read_frames(bad))
    with pytest.raises(FileNotFoundError, match="nope.mp4"):
        probe(tmp_path / "nope.mp4")


def test_find_videos(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ("a/x.mp4", "a/b/y.MKV", "a/b/notes.txt", "z.webm"):
        (tmp_path / name).write_bytes(b"")
    found = find_videos([tmp_path / "a", tmp_path / "z.webm", tmp_path / "a" / "x.mp4"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a/b/y.MKV",
        "a/x.mp4",
        "z.webm",
    ]
    with pytest.raises(FileNotFoundError, match="missing"):
        find_videos([tmp_path / "missing"])


def test_box_conversions_round_trip() -> None:
    xyxy = xywh_to_xyxy([[10, 20, 30, 40], [0, 0, 1, 1]])
    assert xyxy.tolist() == [[10, 20, 40, 60], [0, 0, 1, 1]]
    assert xyxy_to_xywh(xyxy).tolist() == [[10, 20, 30, 40], [0, 0, 1, 1]]
    assert xywh_to_xyxy([]).shape == (0, 4)
    assert iou(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 10]])).round(3).tolist() == [
        [0.333]
    ]


def test_detections() -> None:
    d = Detections.concat(
        [
            Detections.of([[0, 0, 4, 4]], "tom"),
            Detections.empty(),
            Detections.of([[1, 1, 5, 5], [2, 2, 6, 6]], "jerry", [0.5, 0.9]),
        ]
    )
    assert len(d) == 3
    assert d.of_character("jerry").score.tolist() == [0.5, 0.9]
    assert len(Detections.concat([])) == 0
    with pytest.raises(ValueError, match="must be"):
        Detections(np.zeros((2, 4)), np.zeros(1, dtype=object), np.zeros(2))
