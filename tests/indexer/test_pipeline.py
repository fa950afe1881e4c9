"""The pass on real rendered episodes with the shipped cascades and model."""

from __future__ import annotations

import dataclasses
import weakref
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.truth import read_truth
from indexer.evaluate import StoredFaces, score
from indexer.faces import crops
from indexer.pipeline import PassSettings, _named, _slots, run_pass
from indexer.tracks import Observation
from warehouse.schema import EMOTIONS


@pytest.fixture(scope="module")
def passes(episodes_640: Path, indexer) -> dict:  # noqa: ANN001
    return {
        v.stem: run_pass(v, indexer.cascades, indexer.classifier, indexer.settings)
        for v in sorted(episodes_640.glob("*.mp4"))
    }


def test_pass_finds_the_cast_with_their_emotions(episodes_640: Path, passes: dict) -> None:
    pairs = []
    for stem, result in passes.items():
        f = result.faces
        emotions = np.array([EMOTIONS[i] for i in f.probs.argmax(1)], dtype=object)
        stored = StoredFaces(
            stem, f.sample_frame, f.frame, f.character, f.xyxy, emotions, f.seconds
        )
        pairs.append((stored, list(read_truth(episodes_640 / f"{stem}.truth.csv"))))
    report = score(pairs, {"tom", "jerry"})
    # coarse floors that catch a broken pass; the real figures are in BENCHMARKS.md
    assert report.detection.precision >= 0.8
    assert report.detection.recall >= 0.6
    assert report.emotion.accuracy >= 0.7


def test_pass_output_is_consistent(passes: dict) -> None:
    for result in passes.values():
        f = result.faces
        assert result.frames_decoded == 8 * 24
        # 1.5 samples a second on the decoder's clock of a 24 fps video: frames 0, 16, 32, ...
        assert PassSettings().sample_fps == 1.5
        assert f.sample_frame.tolist() == list(range(0, 192, 16))
        assert set(f.frame) <= set(f.sample_frame)
        assert set(f.character) <= {"tom", "jerry"}
        np.testing.assert_allclose(f.probs.sum(1), 1.0, atol=1e-4)
        np.testing.assert_allclose(np.linalg.norm(f.embedding, axis=1), 1.0, atol=1e-4)
        np.testing.assert_allclose(f.seconds, 2 / 3)
        assert all(t[:2] == b"\xff\xd8" for t in f.thumbnails)  # JPEG
        assert set(result.seconds) == {"decode", "detect", "classify", "track"}


def test_stages_can_be_switched_off(episodes_640: Path, indexer) -> None:  # noqa: ANN001
    video = sorted(episodes_640.glob("*.mp4"))[0]
    bare = PassSettings(character_head=False, tracking=False, smoothing=False)
    result = run_pass(video, indexer.cascades, indexer.classifier, bare)
    assert not result.faces.filled.any()
    assert len(set(result.faces.track)) == len(result.faces)  # every face its own track
    with pytest.raises(ValueError, match="tracking"):
        dataclasses.replace(bare, smoothing=True)


@pytest.mark.parametrize("tracking", [True, False])
def test_the_pass_holds_no_frame_past_its_batch(
    episodes_640: Path,
    indexer,  # noqa: ANN001
    tracking: bool,
) -> None:
    """Memory must not grow with the episode: a frame's pixels are dropped once its batch (and
    the short gaps a track may still fill) are done."""
    video = sorted(episodes_640.glob("*.mp4"))[0]
    s = PassSettings(batch_frames=2, tracking=tracking, smoothing=tracking)
    frames: list[weakref.ref] = []
    most = 0

    def look(frame) -> None:  # noqa: ANN001
        nonlocal most
        frames.append(weakref.ref(frame))
        most = max(most, sum(f() is not None for f in frames))

    run_pass(video, indexer.cascades, indexer.classifier, s, on_frame=look)
    assert len(frames) >= 10  # 8 seconds at 1.5 a second: enough batches to see a leak
    assert most <= s.batch_frames + s.tracks.max_gap


def _face(sample: int, track: int, character: list[float]) -> Observation:
    emotion = np.zeros(len(EMOTIONS))
    emotion[0] = 1.0
    return Observation(
        sample=sample,
        frame=sample * 16,
        time_s=sample * 2 / 3,
        xyxy=np.array([0.0, 0.0, 40.0, 40.0]),
        cascade_character="tom",
        emotion=emotion,
        character=np.array(character),
        embedding=np.ones(128, np.float32) / np.sqrt(128),
        thumbnail=b"",
        track=track,
    )


@pytest.mark.parametrize("tracking", [True, False])
def test_unsure_faces_are_dropped_below_the_confidence_floor(tracking: bool) -> None:
    names = ("tom", "jerry", "other")
    faces = [
        _face(0, 0, [0.9, 0.05, 0.05]),  # a sure tom
        _face(1, 0, [0.8, 0.1, 0.1]),
        _face(0, 1, [0.4, 0.3, 0.3]),  # named jerry or tom, but barely
        _face(1, 1, [0.3, 0.45, 0.25]),
    ]

    def kept(floor: float) -> list[tuple[int, str]]:
        s = PassSettings(tracking=tracking, smoothing=False, min_character_confidence=floor)
        named = _named(faces, names, s)
        assert all(k.confidence >= floor for k in named)
        return sorted((k.face.frame, k.character) for k in named)

    assert len(kept(0.0)) == 4
    assert kept(0.6) == [(0, "tom"), (16, "tom")]
    with pytest.raises(ValueError, match="min_character_confidence"):
        PassSettings(min_character_confidence=1.0)


def test_slots_follow_the_decoder_clock() -> None:
    np.testing.assert_allclose(
        _slots(np.array([0.0, 0.5, 1.2, 1.5]), last_time_s=1.9, sample_fps=2.0),
        [0.5, 0.7, 0.3, 0.5],
    )
    np.testing.assert_allclose(_slots(np.array([0.0]), last_time_s=0.1, sample_fps=2.0), [0.5])
    assert _slots(np.zeros(0), 0.0, 2.0).shape == (0,)


def test_crops_are_square_rgb_and_pad_at_edges() -> None:
    frame = np.zeros((100, 200, 3), np.uint8)
    frame[:, :, 0] = 255  # blue in BGR
    out = crops(frame, np.array([[-10, -10, 30, 30], [50, 20, 90, 60]]), 32)
    assert out.shape == (2, 32, 32, 3)
    assert (out[..., 2] == 255).all() and (out[..., 0] == 0).all()  # now RGB
    assert crops(frame, np.zeros((0, 4)), 32).shape == (0, 32, 32, 3)


def test_unreadable_file_is_a_value_error(tmp_path: Path, indexer) -> None:  # noqa: ANN001
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 1000)
    with pytest.raises(ValueError, match="bad.mp4"):
        run_pass(bad, indexer.cascades, indexer.classifier, indexer.settings)
    assert cv2.imread(str(bad)) is None
