"""Ground-truth rows: one per face on screen, written as `<episode_id>.truth.csv`."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

TRUTH_HEADER = (
    "frame",
    "time_s",
    "character",
    "emotion",
    "intensity",
    "x1",
    "y1",
    "x2",
    "y2",
    "visible",
)
# Faces less visible than this are "don't care" in every evaluation: not owed a detection,
# and a detection on them is not a false positive.
DONT_CARE_VISIBLE = 0.5


@dataclass(frozen=True)
class TruthRow:
    """One face in one frame. The box is xyxy in pixels, clipped to the frame."""

    frame: int
    time_s: float
    character: str
    emotion: str
    intensity: float
    x1: int
    y1: int
    x2: int
    y2: int
    visible: float

    @property
    def xyxy(self) -> tuple[int, int, int, int]:
        return (self.x1, self.y1, self.x2, self.y2)

    def to_row(self) -> tuple[str, ...]:
        """Text cells with fixed precision, so equal inputs give byte-identical files."""
        return (
            str(self.frame),
            f"{self.time_s:.4f}",
            self.character,
            self.emotion,
            f"{self.intensity:.3f}",
            str(self.x1),
            str(self.y1),
            str(self.x2),
            str(self.y2),
            f"{self.visible:.3f}",
        )


def write_truth(path: Path, rows: Iterable[TruthRow]) -> None:
    """Write rows to `path` atomically: a reader never sees a half-written file."""
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(TRUTH_HEADER)
        writer.writerows(row.to_row() for row in rows)
    os.replace(tmp, path)


def read_truth(path: Path) -> Iterator[TruthRow]:
    """Read a truth CSV, checking its header; raises ValueError naming the file on bad content."""
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or tuple(header) != TRUTH_HEADER:
            raise ValueError(f"{path}: not a truth file (expected header {','.join(TRUTH_HEADER)})")
        for line_no, cells in enumerate(reader, start=2):
            try:
                yield TruthRow(
                    int(cells[0]),
                    float(cells[1]),
                    cells[2],
                    cells[3],
                    float(cells[4]),
                    int(cells[5]),
                    int(cells[6]),
                    int(cells[7]),
                    int(cells[8]),
                    float(cells[9]),
                )
            except (ValueError, IndexError) as exc:
                raise ValueError(f"{path}:{line_no}: bad truth row {cells!r} ({exc})") from None


def truth_path(video_path: Path) -> Path:
    """`OUT/ep.mp4` -> `OUT/ep.truth.csv`."""
    return video_path.with_name(video_path.stem + ".truth.csv")
