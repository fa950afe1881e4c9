"""The cascade set over a batch of frames: side by side in threads, the same faces as one by one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cascades.finder import CascadeSet
from core.video import read_frames


def _rows(boxes: np.ndarray) -> list[tuple[float, ...]]:
    return sorted(tuple(np.round(b, 6)) for b in boxes)


def test_threads_find_what_one_after_the_other_finds(tiny_episodes: Path) -> None:
    frames = [
        f.bgr for v in sorted(tiny_episodes.glob("*.mp4")) for f in read_frames(v, frame_step=6)
    ]
    one = CascadeSet.load(threads=1)
    three = CascadeSet.load(threads=3)
    alone = one.detect_many(frames)
    side_by_side = three.detect_many(frames)
    assert sum(len(d) for d in alone) > 0  # frames with faces, or the check says nothing
    assert len(side_by_side) == len(frames)
    for a, b in zip(alone, side_by_side, strict=True):
        assert _rows(a.xyxy) == _rows(b.xyxy)
        assert sorted(a.character) == sorted(b.character)


def test_every_thread_has_classifiers_of_its_own() -> None:
    cascades = CascadeSet.load(threads=2)
    classifiers = [d.classifier for copy in cascades._copies for d in copy]
    assert len({id(c) for c in classifiers}) == 2 * len(cascades.detectors)
    with pytest.raises(ValueError, match="threads"):
        CascadeSet.load(threads=0)


def test_the_shipped_proposer_finds_the_cast(episodes_640: Path) -> None:
    """The shipped proposer on its own, on episodes it never saw: most faces, named right."""
    from core.detections import iou
    from core.truth import DONT_CARE_VISIBLE, read_truth

    proposer = CascadeSet.load().proposer
    assert proposer is not None and set(proposer.config.characters) == {"tom", "jerry"}
    owed = found = 0
    for video in sorted(episodes_640.glob("*.mp4")):
        truth = list(read_truth(video.with_name(video.stem + ".truth.csv")))
        frames = list(read_frames(video, frame_step=3))
        for frame, got in zip(frames, proposer.propose([f.bgr for f in frames]), strict=True):
            for r in truth:
                if r.frame != frame.index or r.visible < DONT_CARE_VISIBLE:
                    continue
                if r.character not in ("tom", "jerry"):
                    continue
                owed += 1
                mine = got.character == r.character
                if mine.any() and iou(np.array([r.xyxy]), got.xyxy[mine]).max() >= 0.5:
                    found += 1
    assert owed >= 30 and found / owed >= 0.7, (found, owed)
