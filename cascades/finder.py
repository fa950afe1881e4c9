"""Finding faces in a frame: every character's cascade with its own settings and, where the
folder holds one, the learned proposer (`cascades.proposer`) over the whole frame; then one box per
face where their boxes overlap."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cascades import DEFAULT
from cascades.detect import Detector, settings_path
from cascades.proposer import CONFIG_FILE, MODEL_FILE, Proposer
from core.detections import Detections, iou

SHIPPED = DEFAULT
# Boxes overlapping this much are one face, even when different characters' cascades found it:
# the model's character head decides whose it is.
MERGE_IOU = 0.4


@dataclass(frozen=True)
class CascadeSet:
    """One detector per character, loaded from `NAME.xml` (+ `NAME.json`) files in a folder,
    and the proposer trained beside them (`proposer.keras` + `proposer.json`), if there is one.
    A folder may hold a proposer alone: a finder of any face (`cascades.proposer.ANY_FACE`)
    needs no cascade."""

    folder: Path
    detectors: tuple[Detector, ...]
    sha256: str  # of every file that finds faces, so a warehouse knows what found its faces
    proposer: Proposer | None = None
    # The frames of a batch are searched side by side, a thread each with cascades of its own
    # (a CascadeClassifier is not safe to share; OpenCV releases the GIL). On 2 cores a thread
    # per frame took 15-20% less time a frame than one after the other, and a thread per
    # character nothing (bench/cascade_threads.py, BENCHMARKS.md).
    threads: int = 1
    _copies: tuple[tuple[Detector, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.threads < 1:
            raise ValueError(f"threads must be at least 1, got {self.threads}")
        copies = [
            tuple(Detector(d.path, d.settings) for d in self.detectors)
            for _ in range(self.threads - 1)
        ]
        object.__setattr__(self, "_copies", (self.detectors, *copies))

    @property
    def characters(self) -> tuple[str, ...]:
        """The characters its cascades find (a finder's faces are no one's until named)."""
        return tuple(d.path.stem for d in self.detectors)

    @property
    def finds_any_face(self) -> bool:
        return self.proposer is not None and self.proposer.config.any_face

    @classmethod
    def load(cls, folder: Path = SHIPPED, threads: int | None = None) -> CascadeSet:
        """The folder's cascades (and proposer), searching `threads` frames at once (one a
        core unless told)."""
        if not folder.is_dir():
            raise NotADirectoryError(f"{folder}: not a folder of cascades")
        xmls = sorted(folder.glob("*.xml"))
        has_proposer = (folder / MODEL_FILE).exists() or (folder / CONFIG_FILE).exists()
        if not xmls and not has_proposer:
            raise ValueError(
                f"{folder}: no cascade XML files (NAME.xml, one per character) and no finder "
                f"({MODEL_FILE})"
            )
        h = hashlib.sha256()
        for xml in xmls:
            h.update(xml.name.encode() + b"\0" + xml.read_bytes())
            js = settings_path(xml)
            if js.exists():
                h.update(js.read_bytes())
        proposer = None
        if has_proposer:
            proposer = Proposer.load(folder)
            for name in (MODEL_FILE, CONFIG_FILE):
                h.update(name.encode() + b"\0" + (folder / name).read_bytes())
        detectors = tuple(Detector(x) for x in xmls)
        threads = (os.cpu_count() or 1) if threads is None else threads
        return cls(folder, detectors, h.hexdigest(), proposer, threads)

    def detect(self, bgr: np.ndarray, propose: bool = True) -> Detections:
        """Every character's boxes in a (H, W, 3) BGR frame, overlaps merged."""
        return self.detect_many([bgr], propose)[0]

    def detect_many(self, frames: Sequence[np.ndarray], propose: bool = True) -> list[Detections]:
        """`detect` for several frames, the proposer (unless `propose` is off) in one batch."""
        proposed = (
            self.proposer.propose(frames) if propose and self.proposer else [None] * len(frames)
        )
        n = max(1, min(self.threads, len(frames)))
        shares = np.array_split(np.arange(len(frames)), n)

        def search(k: int) -> list[list[Detections]]:  # thread k with cascades of its own
            return [self._cascades_on(self._copies[k], frames[i]) for i in shares[k]]

        if n == 1:
            found = search(0)
        else:
            with ThreadPoolExecutor(n) as pool:
                found = [parts for share in pool.map(search, range(n)) for parts in share]
        out = []
        for parts, p in zip(found, proposed, strict=True):
            if p is not None:
                parts.append(p)
            out.append(merge_overlaps(Detections.concat(parts)))
        return out

    @staticmethod
    def _cascades_on(detectors: tuple[Detector, ...], bgr: np.ndarray) -> list[Detections]:
        return [Detections.of(d.detect(bgr), d.path.stem) for d in detectors]


def merge_overlaps(dets: Detections, min_iou: float = MERGE_IOU) -> Detections:
    """One box per face: boxes overlapping by `min_iou` or more become their mean box.

    The merged box's character is the one most of its boxes came from (the first found on a
    tie) and its score is how many boxes it merged.

    Example:
        >>> d = Detections.of([[0, 0, 10, 10], [1, 0, 11, 10]], "tom")
        >>> merge_overlaps(d).xyxy
        array([[ 0.5,  0. , 10.5, 10. ]])
    """
    if len(dets) < 2:
        return dets
    overlap = iou(dets.xyxy, dets.xyxy) >= min_iou
    cluster = -np.ones(len(dets), int)
    for i in range(len(dets)):
        if cluster[i] < 0:
            members = np.flatnonzero(overlap[i] & (cluster < 0))
            cluster[members] = i
    boxes, names, scores = [], [], []
    for c in np.unique(cluster):
        members = np.flatnonzero(cluster == c)
        boxes.append(dets.xyxy[members].mean(0))
        chars, counts = np.unique(dets.character[members], return_counts=True)
        firsts = [np.flatnonzero(dets.character[members] == ch)[0] for ch in chars]
        best = max(range(len(chars)), key=lambda j: (counts[j], -firsts[j]))
        names.append(chars[best])
        scores.append(float(len(members)))
    return Detections(np.array(boxes), np.array(names, dtype=object), np.array(scores))
