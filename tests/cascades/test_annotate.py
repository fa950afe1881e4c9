from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import pytest

from cascades.annotate import MANIFEST, pick_frames
from synth.plan import EpisodeConfig, plan_episode
from tests.conftest import run_toon

SEED, SECONDS = 61, 12  # a seed the cut threshold was not chosen on


@pytest.fixture(scope="module")
def episode(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("annotate")
    args = ["synth", "episodes", str(out), "--count", "1", "--seconds", str(SECONDS)]
    assert run_toon([*args, "--seed", str(SEED), "--json"])[0] == 0
    return out / "s61-e01.mp4"


def planned_shots() -> list[range]:
    shots = plan_episode(SEED, 0, EpisodeConfig(seconds=SECONDS)).shots
    return [range(s.start_frame, s.start_frame + s.n_frames) for s in shots]


@pytest.mark.parametrize("every_s", [0.4, 1.0, 3.0, 100.0])
def test_every_shot_is_found_and_picked(episode: Path, every_s: float) -> None:
    shots = planned_shots()
    picks = list(pick_frames(episode, every_s))
    assert sorted({p.shot for p in picks}) == list(range(len(shots)))
    for p in picks:
        assert p.frame.index in shots[p.shot]
    for k, shot in enumerate(shots):
        times = [p.frame.time_s for p in picks if p.shot == k]
        if len(shot) / 24 > min(0.5, every_s / 2):  # long enough for its first pick
            start = shot.start / 24
            assert times[0] == pytest.approx(start + min(0.5, every_s / 2), abs=1 / 24)
            assert all(
                b - a == pytest.approx(every_s, abs=1 / 24)
                for a, b in zip(times, times[1:], strict=False)
            )
        else:
            assert [p.frame.index for p in picks if p.shot == k] == [shot[-1]]


def test_toon_frames_writes_the_frames_and_their_list(episode: Path, tmp_path: Path) -> None:
    rc, out, err = run_toon(
        ["frames", str(episode.parent), "--out", str(tmp_path), "--every", "2", "--json"]
    )
    assert rc == 0, err
    summary = json.loads(out)
    with (tmp_path / MANIFEST).open() as f:
        rows = list(csv.DictReader(f))
    assert summary == {
        "out": str(tmp_path),
        "episodes": 1,
        "shots": len(planned_shots()),
        "frames": len(rows),
    }
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(r["image"] for r in rows)
    picks = list(pick_frames(episode, 2.0))
    assert [(int(r["frame"]), int(r["shot"])) for r in rows] == [
        (p.frame.index, p.shot) for p in picks
    ]
    image = cv2.imread(str(tmp_path / rows[0]["image"]))
    assert image.shape == (360, 640, 3)


@pytest.mark.parametrize(
    ("make", "args", "message"),
    [
        (
            None,
            ["--every", "0"],
            "toon frames: error: argument --every: must be at least 0.05, got 0",
        ),
        (
            None,
            ["--every", "soon"],
            "toon frames: error: argument --every: must be a number, got 'soon'",
        ),
        ("empty", [], "toon: error: no videos given"),
        ("text", [], "toon: error: {path}: "),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    episode: Path, tmp_path: Path, make, args: list[str], message: str
) -> None:
    source = episode
    if make == "empty":
        source = tmp_path / "nothing"
        source.mkdir()
    elif make == "text":
        source = tmp_path / "notes.mp4"
        source.write_text("not a video\n")
    out = tmp_path / "frames"
    sources = [source] if make == "empty" else [episode, source]  # a good episode first
    rc, _, err = run_toon(["frames", *map(str, sources), "--out", str(out), *args])
    assert rc == 2 and err.count("\n") == 1
    assert err.startswith(message.format(path=source))
    assert not out.exists()  # not even the good episode's frames


def test_an_out_folder_in_use_and_clashing_names_are_refused(episode: Path, tmp_path: Path) -> None:
    used = tmp_path / "used"
    used.mkdir()
    (used / "boxes.txt").write_text("mine\n")
    rc, _, err = run_toon(["frames", str(episode), "--out", str(used)])
    assert (rc, err) == (2, f"toon: error: {used}: exists and is not an empty folder\n")
    assert [p.name for p in used.iterdir()] == ["boxes.txt"]
    twin = tmp_path / "other" / episode.name
    twin.parent.mkdir()
    twin.write_bytes(episode.read_bytes())
    rc, _, err = run_toon(["frames", str(episode), str(twin), "--out", str(tmp_path / "f")])
    assert (rc, err) == (
        2,
        "toon: error: two episodes are named s61-e01: their frames would collide\n",
    )
    assert not (tmp_path / "f").exists()
