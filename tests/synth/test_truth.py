from __future__ import annotations

from pathlib import Path

import pytest

from core.truth import TRUTH_HEADER, TruthRow, read_truth, truth_path, write_truth


def test_round_trip(tmp_path: Path) -> None:
    rows = [
        TruthRow(0, 0.0, "tom", "happy", 0.5, 1, 2, 30, 40, 1.0),
        TruthRow(3, 0.125, "jerry", "neutral", 0.0, 0, 0, 5, 6, 0.25),
    ]
    path = tmp_path / "ep.truth.csv"
    write_truth(path, rows)
    assert path.read_text().splitlines()[0] == ",".join(TRUTH_HEADER)
    assert list(read_truth(path)) == rows
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a truth file"),
        ("a,b,c\n", "not a truth file"),
        (",".join(TRUTH_HEADER) + "\n0,0.0,tom,happy,x,1,2,3,4,1.0\n", ":2: bad truth row"),
        (",".join(TRUTH_HEADER) + "\n0,0.0,tom\n", ":2: bad truth row"),
    ],
)
def test_bad_files_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.truth.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as info:
        list(read_truth(path))
    assert str(path) in str(info.value)


def test_truth_path() -> None:
    assert truth_path(Path("out/s1-e01.mp4")) == Path("out/s1-e01.truth.csv")
