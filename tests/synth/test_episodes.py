from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.truth import read_truth
from synth import CHARACTERS, EMOTIONS
from synth.episodes import plan_episodes, render_episode, render_shot
from synth.plan import EpisodeConfig, plan_episode


def _decode(path: Path) -> tuple[list[float], float, tuple[int, int]]:
    """Timestamps (s) of every decoded frame, the stream's fps and its size."""
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS)
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    stamps = []
    while cap.grab():
        stamps.append(cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0)
    cap.release()
    return stamps, fps, size


def test_written_files(tiny_episodes: Path) -> None:
    names = sorted(p.name for p in tiny_episodes.iterdir())
    assert names == [
        "s11-e01.json",
        "s11-e01.mp4",
        "s11-e01.truth.csv",
        "s11-e02.json",
        "s11-e02.mp4",
        "s11-e02.truth.csv",
    ]


@pytest.mark.parametrize("episode", ["s11-e01", "s11-e02"])
def test_video_decodes_to_the_frames_the_truth_covers(tiny_episodes: Path, episode: str) -> None:
    meta = json.loads((tiny_episodes / f"{episode}.json").read_text())
    stamps, fps, size = _decode(tiny_episodes / f"{episode}.mp4")
    frames = len(stamps)
    assert (
        (frames, fps, size)
        == (72, 24.0, (320, 180))
        == (meta["frames"], meta["fps"], (meta["width"], meta["height"]))
    )
    rows = list(read_truth(tiny_episodes / f"{episode}.truth.csv"))
    assert len(rows) == meta["faces"] > 0
    for row in rows:
        assert 0 <= row.frame < frames
        assert row.time_s == pytest.approx(stamps[row.frame], abs=1e-3)
        assert 0 <= row.x1 < row.x2 <= 320 and 0 <= row.y1 < row.y2 <= 180
        assert 0 < row.visible <= 1
        assert row.character in CHARACTERS and row.emotion in EMOTIONS
        assert (row.intensity == 0) == (row.emotion == "neutral")


def test_video_is_h264(tiny_episodes: Path) -> None:
    head = (tiny_episodes / "s11-e01.mp4").read_bytes()[:20000]
    assert b"avc1" in head  # the sample entry of H.264 video, which browsers play


def test_same_seed_same_truth_bytes(tiny_episodes: Path, tmp_path: Path) -> None:
    from toon.cli import main

    assert (
        main(
            [
                "synth",
                "episodes",
                str(tmp_path),
                "--count",
                "1",
                "--seconds",
                "3",
                "--seed",
                "11",
                "--width",
                "320",
                "--height",
                "180",
            ]
        )
        == 0
    )
    again = (tmp_path / "s11-e01.truth.csv").read_bytes()
    assert again == (tiny_episodes / "s11-e01.truth.csv").read_bytes()
    assert again != (tiny_episodes / "s11-e02.truth.csv").read_bytes()


def test_boxes_lie_on_the_drawn_faces() -> None:
    """Render each shot with and without its characters: truth boxes must sit on what changed."""
    episode = plan_episode(5, 0, EpisodeConfig(seconds=12))
    checked = 0
    for shot in episode.shots:
        if not shot.actors:
            continue
        clean = dataclasses.replace(shot, jpeg_quality=None, prop_seed=None, pan_px=(0.0, 0.0))
        empty = dataclasses.replace(clean, actors=())
        for drawn, bare in zip(
            render_shot(episode, clean), render_shot(episode, empty), strict=True
        ):
            changed = np.abs(drawn.rgb.astype(int) - bare.rgb.astype(int)).max(axis=2) > 12
            for row in drawn.faces:
                if row.visible < 0.95:
                    continue  # another character's head or body covers part of it
                box = changed[row.y1 : row.y2, row.x1 : row.x2]
                assert box.mean() > 0.5, row  # the face fills its box...
                h, w = box.shape
                # ...and reaches each side of it (the box is tight).
                for edge in (
                    box[: max(2, h // 20)],
                    box[-max(2, h // 20) :],
                    box[:, : max(2, w // 20)],
                    box[:, -max(2, w // 20) :],
                ):
                    if edge.size and row.x1 > 0 and row.y1 > 0 and row.x2 < 640 and row.y2 < 360:
                        assert edge.any(), row
                checked += 1
    assert checked > 50


def test_a_minute_shows_every_emotion_and_character() -> None:
    episode = plan_episode(7, 0, EpisodeConfig(seconds=60))
    rows = [row for frame in render_episode(episode) for row in frame.faces]
    assert set(Counter(r.emotion for r in rows)) == set(EMOTIONS)
    assert set(Counter(r.character for r in rows)) == set(CHARACTERS)
    assert any(r.visible < 0.5 for r in rows)  # occlusion and frame edges happen
    sizes = [r.y2 - r.y1 for r in rows if r.visible == 1.0]
    assert min(sizes) < 45 and max(sizes) > 150


def test_shots_are_one_to_five_seconds() -> None:
    episode = plan_episode(3, 0, EpisodeConfig(seconds=60))
    lengths = [s.n_frames / 24 for s in episode.shots[:-1]]  # the last one is cut by the end
    assert all(1.0 <= s <= 5.0 for s in lengths)
    assert sum(s.n_frames for s in episode.shots) == 1440
    emotions_per_actor = [len(a.segments) for s in episode.shots for a in s.actors]
    assert 1 in emotions_per_actor and 2 in emotions_per_actor  # held, and changing at a moment


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"count": 0, "seconds": 1, "seed": 1}, "--count"),
        ({"count": 1, "seconds": 0, "seed": 1}, "--seconds"),
        ({"count": 1, "seconds": 1, "seed": -1}, "--seed"),
        ({"count": 1, "seconds": 1, "seed": 1, "width": 641}, "even"),
        ({"count": 1, "seconds": 1, "seed": 1, "fps": 0}, "--fps"),
    ],
)
def test_bad_plans(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan_episodes(**kwargs)
