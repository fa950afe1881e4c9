"""Output folders: no command empties, replaces or writes beside a folder it did not write.

Each case lists the whole file system under the test's folder before and after the command: a
refusal is one line naming the folder, exit 2, and not a byte changed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_toon
from tests.warehouse.conftest import WORLD, WORLD_FAILED, build


def listing(root: Path) -> dict[str, bytes | None]:
    """Every path under `root`: a file's bytes, None for a folder or a link."""
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() and not p.is_symlink() else None
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("world"), WORLD, WORLD_FAILED)


def _a_persons_folder(root: Path) -> Path:
    folder = root / "X"
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.md").write_text("my notes")
    (folder / "sub" / "face.png").write_bytes(b"not really a png")
    (root / "X.part").mkdir()
    (root / "X.part" / "keep.txt").write_text("mine too")
    return folder


def test_references_refuses_a_persons_folder(world: Path, tmp_path: Path) -> None:
    folder = _a_persons_folder(tmp_path)
    before = listing(tmp_path)
    rc, out, err = run_toon(["references", "--warehouse", str(world), "--out", str(folder)])
    assert rc == 2 and out == ""
    assert err == (
        f"toon: error: {folder}: exists and is not a references folder this command wrote "
        "(no contact_sheet.png); name a new folder, or empty this one yourself\n"
    )
    assert listing(tmp_path) == before


def test_references_replaces_its_own_folder_and_nothing_beside_it(
    world: Path, tmp_path: Path
) -> None:
    _a_persons_folder(tmp_path)
    refs = tmp_path / "refs"
    assert run_toon(["references", "--warehouse", str(world), "--out", str(refs)])[0] == 0
    before = {k: v for k, v in listing(tmp_path).items() if not k.startswith("refs")}
    rc, _, err = run_toon(["references", "--warehouse", str(world), "--out", str(refs)])
    assert rc == 0, err
    after = listing(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith("refs")} == before
    assert "refs/contact_sheet.png" in after


@pytest.mark.parametrize(
    ("out", "expected"),
    [
        ("faces", "the output may not be, lie inside or hold the input"),
        ("faces/model", "the output may not be, lie inside or hold the input"),
        ("X", "exists and is not a model folder this command wrote (no model.sha256)"),
        ("faces/happy/a.png", "the output may not be, lie inside or hold the input"),
    ],
)
def test_train_refuses_its_input_and_a_persons_folder(
    tmp_path: Path, out: str, expected: str
) -> None:
    _a_persons_folder(tmp_path)
    for emotion in ("happy", "sad"):
        (tmp_path / "faces" / emotion).mkdir(parents=True)
        (tmp_path / "faces" / emotion / "a.png").write_bytes(b"a face")
    before = listing(tmp_path)
    target = tmp_path / out
    rc, stdout, err = run_toon(["train", str(tmp_path / "faces"), "--out", str(target)])
    assert rc == 2 and stdout == ""
    assert err.startswith(f"toon: error: {target}: ") and expected in err
    assert err.count("\n") == 1
    assert listing(tmp_path) == before
