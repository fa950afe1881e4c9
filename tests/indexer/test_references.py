from __future__ import annotations

import io
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from indexer.references import SHEET, reference_files, write_references, zip_references
from tests.warehouse.conftest import WORLD, WORLD_FAILED, build
from warehouse import picks, reader


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("world"), WORLD, WORLD_FAILED)


def test_the_folder_and_the_zip_hold_the_same_files(world: Path, tmp_path: Path) -> None:
    out = tmp_path / "refs"
    with reader.connect(world) as con:
        summary = write_references(con, out, per=3)
        files = reference_files(picks.reference_faces(con, 3), 3)
    written = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert written == files
    with zipfile.ZipFile(io.BytesIO(zip_references(files))) as archive:
        assert {name: archive.read(name) for name in archive.namelist()} == files
    assert summary["faces"] == {
        "jerry/angry": 1,
        "jerry/happy": 2,
        "jerry/sad": 1,
        "tom/angry": 1,
        "tom/happy": 1,
    }
    sheet = cv2.imdecode(np.frombuffer(files[SHEET], np.uint8), cv2.IMREAD_COLOR)
    assert sheet.shape == (5 * 64, 140 + 3 * 64, 3)


def test_writing_again_replaces_the_folder(world: Path, tmp_path: Path) -> None:
    out = tmp_path / "refs"
    with reader.connect(world) as con:
        write_references(con, out, per=3)
        (out / "tom" / "stale").mkdir()
        write_references(con, out, per=1)
    assert not (out / "tom" / "stale").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["refs"]  # no staging folder left
    assert sorted(p.name for p in out.iterdir()) == ["contact_sheet.png", "jerry", "tom"]
