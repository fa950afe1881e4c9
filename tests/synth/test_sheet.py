from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from synth.sheet import write_sheet


def test_sheet(tmp_path: Path) -> None:
    width, height = write_sheet(tmp_path / "sheet.png", seed=1)
    img = cv2.imread(str(tmp_path / "sheet.png"))
    assert img.shape == (height, width, 3)
    assert width > 7 * 128 and height > 7 * 128


def test_sheet_needs_png(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PNG"):
        write_sheet(tmp_path / "sheet.jpg", seed=1)
    assert not list(tmp_path.iterdir())
