"""Finding faces in a frame: every character's cascade with its own settings, then one box per
face where cascades overlap."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cascades.detect import Detector, settings_path
from synth.detections import Detections, iou

SHIPPED = Path(__file__).resolve().parents[1] / "cascades"
# Boxes overlapping this much are one face, even when different characters' cascades found it:
# the model's character head decides whose it is.
MERGE_IOU = 0.4


@dataclass(frozen=True)
class CascadeSet:
    """One detector per character, loaded from `NAME.xml` (+ `NAME.json`) files in a folder."""

    folder: Path
    detectors: tuple[Detector, ...]
    sha256: str  # of every cascade's XML and settings, so a warehouse knows what found its faces

    @property
    def characters(self) -> tuple[str, ...]:
        return tuple(d.path.stem for d in self.detectors)

    @classmethod
    def load(cls, folder: Path = SHIPPED) -> CascadeSet:
        if not folder.is_dir():
            raise NotADirectoryError(f"{folder}: not a folder of cascades")
        xmls = sorted(folder.glob("*.xml"))
        if not xmls:
            raise ValueError(f"{folder}: no cascade XML files (NAME.xml, one per character)")
        h = hashlib.sha256()
        for xml in xmls:
            h.update(xml.name.encode() + b"\0" + xml.read_bytes())
            js = settings_path(xml)
            if js.exists():
                h.update(js.read_bytes())
        return cls(folder, tuple(Detector(x) for x in xmls), h.hexdigest())

    def detect(self, bgr: np.ndarray) -> Detections:
        """Every character's boxes in a (H, W, 3) BGR frame, overlaps merged."""
        found = Detections.concat(
            [Detections.of(d.detect(bgr), d.path.stem) for d in self.detectors]
        )
        return merge_overlaps(found)


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
