from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cascades.detect import Detector
from cascades.evaluate import eval_frames, match, score, score_windows

B = np.array
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("dets", "owed", "ignore", "expected"),
    [
        (np.zeros((0, 4)), np.zeros((0, 4)), np.zeros((0, 4)), (0, 0)),
        (np.zeros((0, 4)), B([[0, 0, 10, 10]]), np.zeros((0, 4)), (0, 0)),  # a miss
        (B([[0, 0, 10, 10]]), B([[0, 0, 10, 10]]), np.zeros((0, 4)), (1, 0)),
        (B([[0, 0, 10, 10]]), B([[5, 0, 15, 10]]), np.zeros((0, 4)), (0, 1)),  # IoU 1/3
        (B([[0, 0, 10, 10], [1, 0, 11, 10]]), B([[0, 0, 10, 10]]), np.zeros((0, 4)), (1, 1)),
        (B([[50, 50, 60, 60]]), np.zeros((0, 4)), B([[50, 50, 60, 61]]), (0, 0)),  # don't care
        (B([[50, 50, 60, 60]]), np.zeros((0, 4)), B([[0, 0, 10, 10]]), (0, 1)),
    ],
)
def test_match(dets, owed, ignore, expected) -> None:
    hits, fps, mask = match(dets.astype(float), owed.astype(float), ignore.astype(float))
    assert (hits, fps) == expected
    assert mask.sum() == fps


@pytest.mark.parametrize("character", ["tom", "jerry"])
def test_detecting_and_grouping_raw_windows_score_alike(truth_dir: Path, character: str) -> None:
    """The tuner's scores (raw windows, grouped afterwards) are evaluation's scores."""
    detector = Detector(ROOT / "cascades" / "weights" / "default" / f"{character}.xml")
    frames = list(eval_frames(truth_dir, character, frame_step=6))
    s = detector.settings
    raw = [detector.raw_windows(f.image, s, min_neighbors=0) for f in frames]
    detected = score(detector, iter(frames), s)
    grouped = score_windows(raw, frames, s, s.min_neighbors)
    assert detected.frames == grouped.frames == len(frames)
    assert detected.owed > 0
    assert (detected.hits, detected.false_positives, detected.owed) == (
        grouped.hits,
        grouped.false_positives,
        grouped.owed,
    )
    assert detected.confused_with == grouped.confused_with
    assert grouped.ms_per_frame == 0.0 < detected.ms_per_frame


def test_an_unreadable_video_is_named(truth_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "e.truth.csv").write_text((truth_dir / "s21-e01.truth.csv").read_text())
    (tmp_path / "e.mp4").write_bytes(b"not a video")
    with pytest.raises(ValueError, match="e.mp4: cannot open video"):
        list(eval_frames(tmp_path, "tom"))
