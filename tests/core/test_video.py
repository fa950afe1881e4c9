"""Writing video: the file appears whole or not at all, and nothing beside it is touched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.video import VideoSink, probe


def test_a_failed_write_removes_its_own_part_and_nothing_else(tmp_path: Path) -> None:
    mine = tmp_path / "ep.part.mp4"  # a person's file, named like an unfinished write
    mine.write_bytes(b"my notes")
    with pytest.raises(RuntimeError), VideoSink(tmp_path / "ep.mp4", (64, 64), fps=24) as sink:
        sink.write(np.zeros((64, 64, 3), np.uint8))
        raise RuntimeError("stopped half-way")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ep.part.mp4"]
    assert mine.read_bytes() == b"my notes"


def test_a_finished_write_leaves_the_video_only(tmp_path: Path) -> None:
    (tmp_path / "ep.part.mp4").write_bytes(b"my notes")
    with VideoSink(tmp_path / "ep.mp4", (64, 64), fps=24) as sink:
        for _ in range(3):
            sink.write(np.zeros((64, 64, 3), np.uint8))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ep.mp4", "ep.part.mp4"]
    assert (tmp_path / "ep.part.mp4").read_bytes() == b"my notes"
    assert probe(tmp_path / "ep.mp4").width == 64
