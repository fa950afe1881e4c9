from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.labels import label_path, labelled, save_label, train_command


@pytest.mark.parametrize(
    ("character", "emotion", "expected"),
    [("tom", "happy", "tom/happy/7.jpg"), ("jerry", None, "nonface/7.jpg")],
)
def test_label_path(tmp_path: Path, character: str, emotion, expected: str) -> None:
    assert label_path(tmp_path, 7, character, emotion) == tmp_path / expected


def test_unknown_emotion_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="^Unknown emotion 'joy'. Choose one of: happy, "):
        save_label(tmp_path, 7, "tom", "joy", b"x")
    assert not any(tmp_path.iterdir())


def test_a_face_labelled_again_moves(tmp_path: Path) -> None:
    save_label(tmp_path, 7, "tom", "happy", b"seven")
    save_label(tmp_path, 8, "tom", "happy", b"eight")
    save_label(tmp_path, 7, "tom", None, b"seven")
    assert labelled(tmp_path) == {
        7: [tmp_path / "nonface" / "7.jpg"],
        8: [tmp_path / "tom" / "happy" / "8.jpg"],
    }
    assert (tmp_path / "nonface" / "7.jpg").read_bytes() == b"seven"
    # nothing else is left behind: no temporary files, no emptied label
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["7.jpg", "8.jpg"]


def test_labelled_of_a_missing_folder_is_empty(tmp_path: Path) -> None:
    assert labelled(tmp_path / "none") == {}


def test_train_command_names_every_folder() -> None:
    got = train_command(Path("/w/labels"), Path("/m/default"), Path("/w"))
    assert got == (
        "toon train /w/labels --init /m/default --out /w-model --epochs 6\n"
        "toon index EPISODES --warehouse /w --model /w-model --reindex"
    )
