from __future__ import annotations

from pathlib import Path

import pytest

from core.outputs import check_output_folder, staged_folder


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_a_persons_folder_is_refused_and_kept(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    (out / "sub").mkdir(parents=True)
    (out / "notes.md").write_text("mine")
    (out / "sub" / "x.txt").write_text("also mine")
    before = _tree(tmp_path)
    with pytest.raises(FileExistsError, match="not a references folder"):
        check_output_folder(out, marker="contact_sheet.png", what="references")
    assert _tree(tmp_path) == before


@pytest.mark.parametrize("where", ["same", "inside"])
def test_an_output_in_its_input_is_refused(tmp_path: Path, where: str) -> None:
    data = tmp_path / "faces"
    data.mkdir()
    out = data if where == "same" else data / "model"
    with pytest.raises(ValueError, match="input"):
        check_output_folder(out, marker="model.sha256", what="model", inputs=[data])


def test_an_output_holding_its_input_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out" / "faces").mkdir(parents=True)
    with pytest.raises(ValueError, match="input"):
        check_output_folder(
            tmp_path / "out", marker="m", what="model", inputs=[tmp_path / "out" / "faces"]
        )


def test_own_output_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "refs"
    with staged_folder(out) as tmp:
        (tmp / "contact_sheet.png").write_bytes(b"1")
        (tmp / "old.jpg").write_bytes(b"o")
    check_output_folder(out, marker="contact_sheet.png", what="references")
    with staged_folder(out) as tmp:
        (tmp / "contact_sheet.png").write_bytes(b"2")
    assert _tree(out) == {"contact_sheet.png": b"2"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["refs"]  # no .part or .old left


def test_a_failure_leaves_the_old_output(tmp_path: Path) -> None:
    out = tmp_path / "refs"
    with staged_folder(out) as tmp:
        (tmp / "contact_sheet.png").write_bytes(b"1")
    with pytest.raises(RuntimeError), staged_folder(out) as tmp:
        (tmp / "contact_sheet.png").write_bytes(b"2")
        raise RuntimeError("disk full")
    assert _tree(out) == {"contact_sheet.png": b"1"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["refs"]


def test_a_sibling_named_part_survives(tmp_path: Path) -> None:
    (tmp_path / "refs.part").mkdir()
    (tmp_path / "refs.part" / "keep.txt").write_text("mine")
    with staged_folder(tmp_path / "refs") as tmp:
        (tmp / "contact_sheet.png").write_bytes(b"1")
    assert (tmp_path / "refs.part" / "keep.txt").read_text() == "mine"
