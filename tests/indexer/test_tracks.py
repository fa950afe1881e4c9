from __future__ import annotations

import numpy as np
import pytest

from cascades.finder import merge_overlaps
from core.detections import Detections
from indexer.tracks import Observation, Tracker, TrackSettings, smooth, vote_characters


def box(x: float, y: float, side: float = 40) -> list[float]:
    return [x, y, x + side, y + side]


def test_tracker_links_moving_faces_and_fills_gaps() -> None:
    t = Tracker(TrackSettings(max_gap=2))
    a, fills = t.step(0, np.array([box(100, 100), box(400, 100)]))
    assert a.tolist() == [0, 1] and fills == []
    b, fills = t.step(1, np.array([box(410, 102), box(108, 100)]))  # both moved a little
    assert b.tolist() == [1, 0] and fills == []
    c, fills = t.step(4, np.array([box(130, 100)]))  # track 0 unseen at samples 2 and 3
    assert c.tolist() == [0]
    assert [(f.track, f.sample) for f in fills] == [(0, 2), (0, 3)]
    np.testing.assert_allclose(fills[0].xyxy, box(108 + 22 / 3, 100))
    d, fills = t.step(8, np.array([box(130, 100)]))  # gap of 3 > max_gap: a new track
    assert d.tolist() == [2] and fills == []


def test_tracker_keeps_characters_apart() -> None:
    t = Tracker(TrackSettings())
    t.step(0, np.array([box(100, 100)]), np.array(["tom"], dtype=object))
    ids, _ = t.step(1, np.array([box(100, 100)]), np.array(["jerry"], dtype=object))
    assert ids.tolist() == [1]  # a cut to another character in the same place


def test_tracker_empty_frame() -> None:
    ids, fills = Tracker(TrackSettings()).step(0, np.zeros((0, 4)))
    assert ids.shape == (0,) and fills == []


def obs(sample: int, track: int, emotion: list[float], character: list[float], filled=False):
    return Observation(
        sample=sample,
        frame=sample * 12,
        time_s=sample / 2,
        xyxy=np.array(box(0, 0)),
        cascade_character="tom",
        emotion=np.array(emotion, np.float64),
        character=np.array(character, np.float64),
        embedding=np.zeros(4, np.float32),
        thumbnail=b"",
        filled=filled,
        track=track,
    )


def test_vote_names_whole_tracks_and_drops_other_and_flukes() -> None:
    names = ("tom", "jerry", "other")
    faces = [
        obs(0, 0, [1, 0], [0.6, 0.3, 0.1]),
        obs(1, 0, [1, 0], [0.2, 0.7, 0.1]),  # one doubtful look: the track still says tom
        obs(2, 0, [1, 0], [0.9, 0.05, 0.05]),
        obs(0, 1, [1, 0], [0.1, 0.1, 0.8]),  # the head says other
        obs(1, 1, [1, 0], [0.2, 0.1, 0.7]),
        obs(0, 2, [1, 0], [0.9, 0.05, 0.05]),  # a single detection, plus a gap fill
        obs(1, 2, [1, 0], [0.9, 0.05, 0.05], filled=True),
    ]
    kept = vote_characters(faces, names, TrackSettings(min_detections=2))
    assert [(k.face.track, k.face.sample, k.character) for k in kept] == [
        (0, 0, "tom"),
        (0, 1, "tom"),
        (0, 2, "tom"),
    ]
    assert kept[0].confidence == pytest.approx((0.6 + 0.2 + 0.9) / 3)
    assert len(vote_characters(faces, names, TrackSettings(min_detections=1))) == 5


def test_smooth_is_centred_per_track() -> None:
    faces = [obs(s, 0, [float(s == 1), float(s != 1)], [1.0]) for s in range(3)]
    faces.append(obs(1, 1, [1.0, 0.0], [1.0]))  # another track: untouched
    out = smooth(faces, (1.0, 2.0, 1.0))
    np.testing.assert_allclose(out[0], [1 / 3, 2 / 3])  # edge: weights 2, 1
    np.testing.assert_allclose(out[1], [0.5, 0.5])
    np.testing.assert_allclose(out[3], [1.0, 0.0])


@pytest.mark.parametrize(
    ("boxes", "names", "expected_boxes", "expected_names"),
    [
        ([], [], [], []),
        ([box(0, 0)], ["tom"], [box(0, 0)], ["tom"]),
        # two cascades on one face: one box, named by the majority
        (
            [box(0, 0), box(2, 0), box(4, 0), box(200, 0)],
            ["jerry", "tom", "tom", "jerry"],
            [box(2, 0), box(200, 0)],
            ["tom", "jerry"],
        ),
    ],
)
def test_merge_overlaps(boxes, names, expected_boxes, expected_names) -> None:  # noqa: ANN001
    d = Detections(
        np.array(boxes, np.float64).reshape(-1, 4),
        np.array(names, dtype=object),
        np.ones(len(boxes)),
    )
    m = merge_overlaps(d)
    np.testing.assert_allclose(m.xyxy, np.array(expected_boxes).reshape(-1, 4))
    assert list(m.character) == expected_names


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="odd"):
        TrackSettings(smooth_weights=(1.0, 1.0))
