from __future__ import annotations

import contextlib
import dataclasses
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.video import count_frames, probe, read_frames
from synth.degrade import (
    MAX_WEAVE_PX,
    STRENGTH_RANGES,
    STRENGTHS,
    Degradation,
    degrade_frame,
    draw_degradation,
)
from tests.conftest import run_toon as _run

EPISODES = ("s11-e01", "s11-e02")
SEED = 3


@pytest.fixture(scope="module")
def degraded(tiny_episodes: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The tiny episodes degraded at medium strength, and the command's JSON summary."""
    out = tmp_path_factory.mktemp("degraded") / "out"
    rc, stdout, stderr = _run(
        ["synth", "degrade", str(tiny_episodes), str(out), "--seed", str(SEED), "--json"]
    )
    assert rc == 0, stderr
    assert len(stdout.strip().splitlines()) == 1
    return out, json.loads(stdout)


def _grey_frames(path: Path) -> list[np.ndarray]:
    return [cv2.cvtColor(f.bgr, cv2.COLOR_BGR2GRAY) for f in read_frames(path)]


def test_writes_every_episode_file(tiny_episodes: Path, degraded: tuple[Path, dict]) -> None:
    out, summary = degraded
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in tiny_episodes.iterdir())
    assert summary["strength"] == "medium" and summary["seed"] == SEED
    assert [(e["episode_id"], e["frames"]) for e in summary["episodes"]] == [
        (ep, 72) for ep in EPISODES
    ]


@pytest.mark.parametrize("episode", EPISODES)
def test_video_keeps_size_rate_and_every_frame(
    tiny_episodes: Path, degraded: tuple[Path, dict], episode: str
) -> None:
    clean, worn = tiny_episodes / f"{episode}.mp4", degraded[0] / f"{episode}.mp4"
    assert count_frames(worn) == count_frames(clean)
    assert count_frames(worn)[0] == 72
    assert (probe(worn).resolution_wh, probe(worn).fps) == ((320, 180), 24.0)


@pytest.mark.parametrize("episode", EPISODES)
def test_truth_is_copied_and_json_gains_the_settings(
    tiny_episodes: Path, degraded: tuple[Path, dict], episode: str
) -> None:
    out = degraded[0]
    truth = f"{episode}.truth.csv"
    assert (out / truth).read_bytes() == (tiny_episodes / truth).read_bytes()
    clean = json.loads((tiny_episodes / f"{episode}.json").read_text())
    worn = json.loads((out / f"{episode}.json").read_text())
    settings = worn.pop("degrade")
    assert worn == clean
    index = EPISODES.index(episode)
    assert (settings["strength"], settings["seed"], settings["index"]) == ("medium", SEED, index)
    params = settings["params"]
    drawn = draw_degradation(np.random.default_rng([SEED, index]), "medium")
    assert Degradation(**params | {"cast_rgb": tuple(params["cast_rgb"])}) == drawn


@pytest.mark.parametrize("episode", EPISODES)
def test_frames_look_worn(tiny_episodes: Path, degraded: tuple[Path, dict], episode: str) -> None:
    clean = _grey_frames(tiny_episodes / f"{episode}.mp4")
    worn = _grey_frames(degraded[0] / f"{episode}.mp4")
    assert max(cv2.PSNR(a, b) for a, b in zip(clean, worn, strict=True)) < 30.0

    def mean(stat, frames: list[np.ndarray]) -> float:
        return float(np.mean([stat(g) for g in frames]))

    # faded contrast, lifted blacks, and softer (a lower variance of the Laplacian)
    assert mean(np.std, worn) < 0.9 * mean(np.std, clean)
    assert (
        mean(lambda g: np.percentile(g, 1), worn) > mean(lambda g: np.percentile(g, 1), clean) + 5
    )

    def sharpness(g: np.ndarray) -> float:
        return cv2.Laplacian(g, cv2.CV_64F).var()

    assert mean(sharpness, worn) < 0.5 * mean(sharpness, clean)


def test_same_seed_same_video(
    tiny_episodes: Path, degraded: tuple[Path, dict], tmp_path: Path
) -> None:
    rc, _, stderr = _run(
        ["synth", "degrade", str(tiny_episodes), str(tmp_path / "again"), "--seed", str(SEED)]
    )
    assert rc == 0, stderr
    for episode in EPISODES:
        again = (tmp_path / "again" / f"{episode}.mp4").read_bytes()
        assert again == (degraded[0] / f"{episode}.mp4").read_bytes()


def _picture(h: int, w: int) -> np.ndarray:
    """A cartoon-like test card: flat colours, black outlines, a white disc."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = (40, 160, 230)
    cv2.rectangle(img, (w // 8, h // 8), (w // 2, h // 2), (200, 60, 90), -1)
    cv2.circle(img, (2 * w // 3, 2 * h // 3), max(1, min(h, w) // 5), (255, 255, 255), -1)
    cv2.circle(img, (2 * w // 3, 2 * h // 3), max(1, min(h, w) // 5), (0, 0, 0), 2)
    return img


@pytest.mark.parametrize("strength", STRENGTHS)
@pytest.mark.parametrize("hw", [(64, 64), (37, 51), (180, 320), (1, 1)])
def test_degrade_frame_is_deterministic_for_a_seed(strength: str, hw: tuple[int, int]) -> None:
    img = _picture(*hw)
    params = draw_degradation(np.random.default_rng(5), strength)
    first = degrade_frame(img, params, np.random.default_rng(9))
    again = degrade_frame(img, params, np.random.default_rng(9))
    assert first.shape == img.shape and first.dtype == np.uint8
    np.testing.assert_array_equal(first, again)
    if hw != (1, 1):
        other = degrade_frame(img, params, np.random.default_rng(10))
        assert not np.array_equal(first, other)  # grain and weave are new every time
        assert cv2.PSNR(img, first) < 35.0


def test_degrade_frame_rgb_matches_bgr() -> None:
    bgr = _picture(64, 64)
    params = draw_degradation(np.random.default_rng(2), "heavy")
    from_bgr = degrade_frame(bgr, params, np.random.default_rng(4), channels="bgr")
    rgb = np.ascontiguousarray(bgr[:, :, ::-1])
    from_rgb = degrade_frame(rgb, params, np.random.default_rng(4), channels="rgb")
    diff = np.abs(from_rgb[:, :, ::-1].astype(int) - from_bgr.astype(int))
    assert diff.max() <= 1


def test_default_degradation_changes_nothing() -> None:
    img = _picture(37, 51)
    out = degrade_frame(img, Degradation(), np.random.default_rng(0))
    np.testing.assert_array_equal(out, img)
    assert out is not img


@pytest.mark.parametrize(
    ("image", "channels"),
    [
        (np.zeros((64, 64), np.uint8), "bgr"),
        (np.zeros((64, 64, 4), np.uint8), "bgr"),
        (np.zeros((64, 64, 3), np.float32), "bgr"),
        (np.zeros((0, 64, 3), np.uint8), "bgr"),
        (np.zeros((64, 64, 3), np.uint8), "hsv"),
    ],
)
def test_degrade_frame_rejects_bad_input(image: np.ndarray, channels: str) -> None:
    with pytest.raises(ValueError):
        degrade_frame(image, Degradation(), np.random.default_rng(0), channels=channels)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "expectation"),
    [
        ({}, contextlib.nullcontext()),
        ({"black_level": 20.0, "white_level": 210.0}, contextlib.nullcontext()),
        ({"black_level": 200.0, "white_level": 100.0}, pytest.raises(ValueError)),
        ({"cast_rgb": (1.0, 0.0, 1.0)}, pytest.raises(ValueError)),
        ({"transfer_scale": 0.0}, pytest.raises(ValueError)),
        ({"transfer_scale": 1.5}, pytest.raises(ValueError)),
        ({"jpeg_quality": 0}, pytest.raises(ValueError)),
        ({"weave_px": MAX_WEAVE_PX + 0.1}, pytest.raises(ValueError)),
        ({"crf": 52}, pytest.raises(ValueError)),
    ],
)
def test_degradation_checks_its_fields(change: dict, expectation) -> None:
    with expectation:
        dataclasses.replace(Degradation(), **change)


@pytest.mark.parametrize("strength", STRENGTHS)
def test_drawn_looks_stay_in_their_ranges(strength: str) -> None:
    r = STRENGTH_RANGES[strength]
    for seed in range(50):
        p = draw_degradation(np.random.default_rng([seed, 0]), strength)
        assert p == draw_degradation(np.random.default_rng([seed, 0]), strength)
        assert r.transfer_scale[0] <= p.transfer_scale <= r.transfer_scale[1]
        assert r.grain_sigma[0] <= p.grain_sigma <= r.grain_sigma[1]
        assert r.crf[0] <= p.crf <= r.crf[1]
        assert p.weave_px <= 1.0  # truth boxes stay within a pixel
        assert p.jpeg_quality is None or r.jpeg_quality[0] <= p.jpeg_quality <= r.jpeg_quality[1]
    with pytest.raises(ValueError, match="Choose one of: light, medium, heavy"):
        draw_degradation(np.random.default_rng(0), "extreme")


def _make_input(tmp: Path, case: str) -> Path:
    """An IN_DIR that is wrong in the way `case` names."""
    path = tmp / "in"
    if case in ("empty", "no_truth"):
        path.mkdir()
    if case == "no_truth":
        (path / "ep.mp4").write_bytes(b"not really")
    if case == "a_file":
        path.write_text("keep me")
    return path


@pytest.mark.parametrize(
    ("case", "extra", "message"),
    [
        ("missing", [], "no such folder"),
        ("empty", [], "no episodes"),
        ("no_truth", [], "ep.truth.csv: missing"),
        ("a_file", [], "not a folder of episodes"),
        ("empty", ["--strength", "extreme"], "invalid choice: 'extreme'"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    tmp_path: Path, case: str, extra: list[str], message: str
) -> None:
    in_dir = _make_input(tmp_path, case)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    rc, stdout, stderr = _run(["synth", "degrade", str(in_dir), str(tmp_path / "out"), *extra])
    assert rc == 2 and stdout == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0] and message in lines[0], stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_refuses_to_write_over_its_input(tiny_episodes: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in tiny_episodes.iterdir()}
    rc, _, stderr = _run(["synth", "degrade", str(tiny_episodes), str(tiny_episodes)])
    assert rc == 2 and "must differ" in stderr
    assert {p.name: p.stat().st_mtime_ns for p in tiny_episodes.iterdir()} == before
