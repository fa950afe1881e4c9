"""The sentences the dashboard says about a ranking's trust."""

from __future__ import annotations

from dashboard.ui import confidence


def _row(character: str, share: float, low: float | None, high: float | None) -> dict:
    return {
        "character": character,
        "share": share,
        "share_low": low,
        "share_high": high,
        "total_seconds": 120.0,
    }


def test_rivals_whose_intervals_reach_the_top_are_too_close_to_call() -> None:
    rows = [
        _row("tom", 0.5, 0.4, 0.6),
        _row("jerry", 0.45, 0.35, 0.55),
        _row("spike", 0.1, 0.05, 0.2),
    ]
    said = confidence(rows)
    assert said.startswith("That share rests on 120 s on screen; its 95% interval is 40%-60%.")
    assert "Too close to call against jerry:" in said
    assert "spike" not in said


def test_a_rival_with_too_few_tracks_is_close_when_its_share_reaches_the_interval() -> None:
    rows = [
        _row("tom", 0.5, 0.4, 0.6),
        _row("jerry", 0.45, None, None),
        _row("spike", 0.3, None, None),
    ]
    said = confidence(rows)
    assert "Too close to call against jerry:" in said
    assert "spike" not in said


def test_a_leader_without_an_interval_says_so() -> None:
    said = confidence([_row("tom", 0.5, None, None)])
    assert said == "That share rests on 120 s on screen, too few tracks to give it an interval."
