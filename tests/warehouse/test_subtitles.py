"""Tests for warehouse/subtitles.py: cues from timeline rows, and their WebVTT / SubRip text."""

from __future__ import annotations

from contextlib import nullcontext as does_not_raise

import pytest

from warehouse.subtitles import Cue, cues, render, subtitles

FORMAT_ERROR = "^Unknown format 'ass'. Choose one of: vtt, srt$"
TWO_CUES = [Cue(0.0, 1.5, ("Jerry: sad", "Tom: happy")), Cue(3661.5, 3723.25, ("Tom: angry",))]


def row(time_s: float, character: str, emotion: str, seconds: float = 0.5) -> dict:
    return {"time_s": time_s, "seconds": seconds, "character": character, "emotion": emotion}


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([], []),
        ([row(1.0, "tom", "happy")], [Cue(1.0, 1.5, ("Tom: happy",))]),
        (  # the same emotion in consecutive samples: one cue
            [row(0.0, "tom", "happy"), row(0.5, "tom", "happy"), row(1.0, "tom", "happy")],
            [Cue(0.0, 1.5, ("Tom: happy",))],
        ),
        (  # in any order
            [row(1.0, "tom", "happy"), row(0.0, "tom", "happy"), row(0.5, "tom", "happy")],
            [Cue(0.0, 1.5, ("Tom: happy",))],
        ),
        (  # a change of emotion splits
            [row(0.0, "tom", "happy"), row(0.5, "tom", "happy"), row(1.0, "tom", "angry")],
            [Cue(0.0, 1.0, ("Tom: happy",)), Cue(1.0, 1.5, ("Tom: angry",))],
        ),
        (  # two characters on screen: two lines in one cue, by name
            [row(0.0, "tom", "happy", 1.0), row(0.0, "jerry", "sad", 1.0)],
            [Cue(0.0, 1.0, ("Jerry: sad", "Tom: happy"))],
        ),
        (  # overlapping stretches: a cue for each change of who is on screen
            [row(0.0, "tom", "happy", 2.0), row(1.0, "jerry", "angry", 2.0)],
            [
                Cue(0.0, 1.0, ("Tom: happy",)),
                Cue(1.0, 2.0, ("Jerry: angry", "Tom: happy")),
                Cue(2.0, 3.0, ("Jerry: angry",)),
            ],
        ),
        (  # a gap: no cue for it
            [row(0.0, "tom", "happy"), row(2.0, "tom", "happy")],
            [Cue(0.0, 0.5, ("Tom: happy",)), Cue(2.0, 2.5, ("Tom: happy",))],
        ),
        (  # a gap within JOIN_TOLERANCE_S is no gap
            [row(0.0, "tom", "happy"), row(0.54, "tom", "happy")],
            [Cue(0.0, 0.54 + 0.5, ("Tom: happy",))],
        ),
        (
            [row(0.0, "tom", "happy"), row(0.56, "tom", "happy")],
            [Cue(0.0, 0.5, ("Tom: happy",)), Cue(0.56, 0.56 + 0.5, ("Tom: happy",))],
        ),
        (  # one character leaves, the other stays: the cue splits, then the rest merges
            [
                row(0.0, "tom", "happy"),
                row(0.0, "jerry", "sad"),
                row(0.5, "jerry", "sad"),
                row(1.0, "jerry", "sad"),
            ],
            [Cue(0.0, 0.5, ("Jerry: sad", "Tom: happy")), Cue(0.5, 1.5, ("Jerry: sad",))],
        ),
    ],
)
def test_cues(rows: list[dict], expected: list[Cue]) -> None:
    assert cues(rows) == expected


@pytest.mark.parametrize(
    ("cue_list", "fmt", "expected", "expectation"),
    [
        ([], "vtt", "WEBVTT\n", does_not_raise()),
        ([], "srt", "", does_not_raise()),
        (
            TWO_CUES,
            "vtt",
            "WEBVTT\n"
            "\n"
            "1\n"
            "00:00:00.000 --> 00:00:01.500\n"
            "Jerry: sad\n"
            "Tom: happy\n"
            "\n"
            "2\n"
            "01:01:01.500 --> 01:02:03.250\n"
            "Tom: angry\n",
            does_not_raise(),
        ),
        (
            TWO_CUES,
            "srt",
            "1\n"
            "00:00:00,000 --> 00:00:01,500\n"
            "Jerry: sad\n"
            "Tom: happy\n"
            "\n"
            "2\n"
            "01:01:01,500 --> 01:02:03,250\n"
            "Tom: angry\n",
            does_not_raise(),
        ),
        (  # milliseconds are rounded, and carry into the seconds
            [Cue(0.0004, 59.9996, ("Tom: sad",))],
            "srt",
            "1\n00:00:00,000 --> 00:01:00,000\nTom: sad\n",
            does_not_raise(),
        ),
        ([], "ass", None, pytest.raises(ValueError, match=FORMAT_ERROR)),
    ],
)
def test_render(cue_list: list[Cue], fmt: str, expected: str, expectation) -> None:
    with expectation:
        assert render(cue_list, fmt) == expected


@pytest.mark.parametrize(
    ("folder", "episode_id", "fmt", "expected", "expectation"),
    [
        ("world", "ep1", "srt", "1\n00:00:00,000 --> 00:00:03,000\nJerry: happy\nTom: angry\n\n"
         "2\n00:00:03,000 --> 00:00:04,000\nJerry: happy\nTom: happy\n", does_not_raise()),
        ("world", "ep3", "vtt", "WEBVTT\n\n1\n00:00:00.000 --> 00:00:08.000\nJerry: sad\n",
         does_not_raise()),
        ("world", "ep1", "ass", None, pytest.raises(ValueError, match=FORMAT_ERROR)),
        ("world", "ep9", "vtt", None, pytest.raises(ValueError, match="'ep9' failed to index")),
        ("empty", "ep1", "vtt", None, pytest.raises(ValueError, match=r"\(has: none\)$")),
    ],
)  # fmt: skip
def test_subtitles_of_an_episode(
    connect, folder: str, episode_id: str, fmt: str, expected: str, expectation
) -> None:
    with expectation:
        assert subtitles(connect(folder), episode_id, fmt) == expected
