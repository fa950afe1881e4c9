"""Training crops cut the way the indexer meets faces: from footage, through the cascades.

Three kinds of source:
- face boxes drawn by a person, a COCO JSON file or an `opencv_annotation` list (`bunny.txt`:
  its name is the character's): every box becomes `OUT/<character>/unlabelled/<id>.png`, a face
  whose emotion nobody has named yet (it teaches the model's character head), and, from COCO
  (which boxes every character), every cascade detection that overlaps no box a `nonface`
  window;
- a folder of episodes with truth (`<id>.mp4` + `<id>.truth.csv`, e.g. `toon synth episodes`,
  or `toon synth degrade` output): every face at least half visible becomes a labelled crop,
  `OUT/<character>/<emotion>/<id>.png`, jittered like a detector's window; every cascade
  detection that overlaps no face becomes `OUT/nonface/<id>.png`;
- a folder of pictures with none of the cast (real scenery, say): every cascade detection is a
  `nonface` window.

`nonface` windows are exactly the boxes the character head must learn to call `other`: the
cascades' own false positives, not random windows.

Character and emotion names come from the source's files, so each passes
`core.names.check_name` before it names a folder, and every crop is checked to land under `OUT`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from cascades.annotations import boxes_by_character
from cascades.finder import CascadeSet
from cascades.samples import truth_episodes
from core.detections import intersection
from core.names import check_name
from core.outputs import is_inside
from core.truth import DONT_CARE_VISIBLE, read_truth
from core.video import read_frames
from core.vocabulary import NONFACE, UNLABELLED
from indexer.faces import CROP_SCALE, crops

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
# Detector windows are larger than the face and off centre (synth.facesets.CROP_SCALE/SHIFT).
JITTER_SCALE = (1.0 / CROP_SCALE, 1.3 / CROP_SCALE)
JITTER_SHIFT = 0.1
# A detection is a false positive when less than this share of it, and of every face (any
# visibility), is shared with a face: a window holding half a face is no clean "other".
# Every 12th frame: half a second at 24 fps, so neighbouring crops are not copies of each other.
FRAME_STEP = 12
NONFACE_MAX_SHARED = 0.15


def _jitter(xyxy: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    cx, cy = (xyxy[:, 0] + xyxy[:, 2]) / 2, (xyxy[:, 1] + xyxy[:, 3]) / 2
    side = np.maximum(xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1])
    side = side * rng.uniform(*JITTER_SCALE, len(side))
    cx = cx + rng.uniform(-JITTER_SHIFT, JITTER_SHIFT, len(side)) * side
    cy = cy + rng.uniform(-JITTER_SHIFT, JITTER_SHIFT, len(side)) * side
    return np.stack([cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2], 1)


def _apart(windows: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(N,) bool: the window shares little with every face, as a share of either."""
    shared = intersection(windows, faces)
    area_w = (windows[:, 2] - windows[:, 0]) * (windows[:, 3] - windows[:, 1])
    area_f = (faces[:, 2] - faces[:, 0]) * (faces[:, 3] - faces[:, 1])
    most = np.maximum(shared / np.maximum(area_w[:, None], 1e-9), shared / np.maximum(area_f, 1e-9))
    return most.max(1) < NONFACE_MAX_SHARED


def _write(root: Path, relative: str, rgb: np.ndarray) -> None:
    """`rgb` as the PNG `root/relative`, which must lie under `root`."""
    path = root / relative
    if not is_inside(path, root):  # the names were checked: this would be a bug
        raise ValueError(f"{path}: a crop would land outside {root}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise OSError(f"{path}: cannot write")


def mine_crops(
    source: Path,
    out: Path,
    cascades: CascadeSet,
    size: int = 64,
    frame_step: int = FRAME_STEP,
    seed: int = 0,
    on_item: Callable[[], None] | None = None,
    *,
    allow_outside_images: bool = False,
) -> dict[str, int]:
    """Write crops from `source` into the ImageFolder `out`; returns counts per folder.

    The crops are cut into a folder beside `out` and moved in once all are cut: a run that fails
    on a bad image, box or name adds nothing to `out`. The images a COCO file or annotation list
    names must lie under its folder unless `allow_outside_images`.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-mining-", dir=out.parent))
    try:
        counts = _mine(
            source, staging, cascades, size, frame_step, seed, on_item, allow_outside_images
        )
        for f in sorted(staging.rglob("*.png")):
            dest = out / f.relative_to(staging)
            if not is_inside(dest, out):
                raise ValueError(f"{dest}: a crop would land outside {out}")
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(f, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return counts


def _crop_stem(image: Path, root: Path) -> str:
    """A name for an annotated image's crops, one per image: its path under the annotation
    file's folder with `__` for `/` (train/001.png and val/001.png are two images), or, for an
    image outside it, its name and a hash of its path.

    Example:
        >>> _crop_stem(Path("/job/train/001.png"), Path("/job"))
        'train__001'
    """
    try:
        return "__".join(image.relative_to(root.resolve()).with_suffix("").parts)
    except ValueError:  # outside, read with --allow-outside-images
        return f"{image.stem}-{hashlib.sha256(str(image).encode()).hexdigest()[:8]}"


def _mine(
    source: Path,
    out: Path,
    cascades: CascadeSet,
    size: int,
    frame_step: int,
    seed: int,
    on_item: Callable[[], None] | None,
    allow_outside_images: bool,
) -> dict[str, int]:
    if source.is_file():
        return _from_boxes(source, out, cascades, size, seed, on_item, allow_outside_images)
    if not source.is_dir():
        raise NotADirectoryError(f"{source}: not a folder, a COCO .json or an annotation list")
    if frame_step < 1:
        raise ValueError(f"frame_step must be >= 1, got {frame_step}")
    counts: dict[str, int] = {}

    def save(folder: str, name: str, rgb: np.ndarray) -> None:
        _write(out, f"{folder}/{name}.png", rgb)
        counts[folder] = counts.get(folder, 0) + 1

    if list(source.glob("*.truth.csv")):
        for video, truth in truth_episodes(source):
            rng = np.random.default_rng([seed, *video.stem.encode()])
            by_frame: dict[int, list] = {}
            for r in read_truth(truth):
                check_name(r.character, what="character", source=truth)
                check_name(r.emotion, what="emotion", source=truth)
                by_frame.setdefault(r.frame, []).append(r)
            for frame in read_frames(video, frame_step=frame_step):
                rows = by_frame.get(frame.index, [])
                faces = [r for r in rows if r.visible >= DONT_CARE_VISIBLE]
                if faces:
                    boxes = _jitter(np.array([r.xyxy for r in faces], np.float64), rng)
                    for k, (r, rgb) in enumerate(
                        zip(faces, crops(frame.bgr, boxes, size, scale=1.0), strict=True)
                    ):
                        save(f"{r.character}/{r.emotion}", f"{video.stem}-{frame.index}-{k}", rgb)
                found = cascades.detect(frame.bgr).xyxy
                if len(found) and rows:
                    found = found[_apart(found, np.array([r.xyxy for r in rows], np.float64))]
                for k, rgb in enumerate(crops(frame.bgr, found, size)):
                    save(NONFACE, f"{video.stem}-{frame.index}-fp{k}", rgb)
                if on_item:
                    on_item()
    else:
        pictures = sorted(
            p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        )
        if not pictures:
            raise ValueError(
                f"{source}: no episodes with truth (*.truth.csv) and no pictures "
                f"({', '.join(IMAGE_SUFFIXES)})"
            )
        for p in pictures:
            bgr = cv2.imread(str(p), cv2.IMREAD_COLOR)
            if bgr is None:
                raise ValueError(f"{p}: cannot decode image")
            for k, rgb in enumerate(crops(bgr, cascades.detect(bgr).xyxy, size)):
                save(NONFACE, f"{p.stem}-fp{k}", rgb)
            if on_item:
                on_item()
    return dict(sorted(counts.items()))


def _from_boxes(
    annotations: Path,
    out: Path,
    cascades: CascadeSet,
    size: int,
    seed: int,
    on_item: Callable[[], None] | None,
    allow_outside_images: bool,
) -> dict[str, int]:
    """Crops of the faces a person boxed, and of the cascades' detections beside them."""
    counts: dict[str, int] = {}
    coco = annotations.suffix.lower() == ".json"
    rng = np.random.default_rng([seed, *annotations.name.encode()])
    boxed = boxes_by_character(annotations, allow_outside_images=allow_outside_images)
    for image, bgr, boxes, hidden in boxed:
        stem = _crop_stem(image, annotations.parent)
        every = np.concatenate([hidden, *boxes.values()])
        for character, xyxy in boxes.items():  # names `check_name` passed
            jittered = _jitter(xyxy, rng) if len(xyxy) else xyxy
            for k, rgb in enumerate(crops(bgr, jittered, size, scale=1.0)):
                _write(out, f"{character}/{UNLABELLED}/{stem}-{k}.png", rgb)
                key = f"{character}/{UNLABELLED}"
                counts[key] = counts.get(key, 0) + 1
        # a list boxes one character only: a detection beside its boxes may be another's face
        found = cascades.detect(bgr).xyxy if coco else np.zeros((0, 4))
        if len(found) and len(every):
            found = found[_apart(found, every)]
        for k, rgb in enumerate(crops(bgr, found, size)):
            _write(out, f"{NONFACE}/{stem}-fp{k}.png", rgb)
            counts[NONFACE] = counts.get(NONFACE, 0) + 1
        if on_item:
            on_item()
    if not counts:
        raise ValueError(f"{annotations}: no boxes and no detections in its images")
    return dict(sorted(counts.items()))
