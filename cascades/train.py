"""Training an attentional cascade: stages of boosted stumps, each on fresh hard negatives.

Stage k trains on the positives the cascade so far still accepts and on background windows it
still (wrongly) accepts, found by running the partial cascade through OpenCV on the negative
frames: bootstrapping, as Viola and Jones and `opencv_traincascade` do.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from cascades.boost import Stage, StageConfig, Stump, train_stage
from cascades.cascade import Cascade, write_xml
from cascades.channel import Channel, fit_channel
from cascades.haar import HaarFeatures, feature_pool, prepare, values
from cascades.samples import AnnotatedFrame
from core.detections import covered, crop_resized, iou, square_around, xywh_to_xyxy


@dataclass(frozen=True)
class TrainConfig:
    window_wh: tuple[int, int] = (24, 24)  # Viola-Jones' window; OpenCV's default too
    max_stages: int = 20
    positives: int = 2500  # positive windows per stage, at most
    neg_ratio: float = 2.0  # negatives per positive in each stage
    features_per_stage: int = 6000  # random subset of the ~170k pool (memory and time bound)
    stage: StageConfig = field(default_factory=StageConfig)
    min_positives: int = 100  # fewer is an error: a cascade cannot be trained on so few
    jitter: float = 0.04  # positives shift and scale by up to this fraction of their side
    mine_scale_factor: float = 1.2  # pyramid step when scanning negatives for false alarms
    seed: int = 0

    def __post_init__(self) -> None:
        at_least_one = {
            "max_stages": self.max_stages,
            "positives": self.positives,
            "features_per_stage": self.features_per_stage,
            "min_positives": self.min_positives,
        }
        for name, value in at_least_one.items():
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if self.seed < 0:
            raise ValueError(f"seed must be 0 or more, got {self.seed}")
        if min(self.window_wh) < 1:
            raise ValueError(f"window_wh must be positive, got {self.window_wh}")
        if not self.neg_ratio > 0:
            raise ValueError(f"neg_ratio must be above 0, got {self.neg_ratio}")
        if not 0 <= self.jitter < 0.5:
            raise ValueError(f"jitter must be in [0, 0.5), got {self.jitter}")
        if not 1 < self.mine_scale_factor <= 2:
            raise ValueError(f"mine_scale_factor must be in (1, 2], got {self.mine_scale_factor}")


# The columns a training run prints, one row per stage (`StageReport.row`).
STAGE_HEADER = "stage  weak  hit_rate  false_alarm  positives  negatives  seconds"


@dataclass(frozen=True)
class StageReport:
    stage: int
    weak: int
    hit_rate: float
    false_alarm: float
    positives: int
    negatives: int
    seconds: float

    def row(self) -> str:
        """This stage as a line under `STAGE_HEADER`."""
        return (
            f"{self.stage:5d} {self.weak:5d}  {self.hit_rate:8.4f}  {self.false_alarm:11.4f}  "
            f"{self.positives:9d}  {self.negatives:9d}  {self.seconds:7.1f}"
        )


@dataclass
class TrainingData:
    """Positive windows and the frames to mine negatives from, all seen through `channel`."""

    channel: Channel
    positives: np.ndarray  # (N, h, w) uint8
    negative_frames: list[AnnotatedFrame]
    box_aspect: float  # median width / height of the positive boxes
    faces: int  # face boxes the positives came from (before flips and jitter)
    smallest_face_px: float  # detection settings must still see faces this small


# Settings may give up the smallest 1% of the character's faces for speed, no more.
SMALLEST_FACE_PERCENTILE = 1.0


def smallest_face_px(heights: list[float] | np.ndarray) -> float:
    """The face height (px) that detection settings must still reach."""
    return float(np.percentile(np.asarray(heights, np.float64), SMALLEST_FACE_PERCENTILE))


def learn_channel(frames: Iterable[AnnotatedFrame], seed: int = 0) -> Channel:
    """Fit the character's colour channel on (a sample of) annotated colour frames."""
    rng = np.random.default_rng(seed)
    samples = [(f.image, f.boxes_xyxy, f.others_xyxy) for f in frames if len(f.boxes_xyxy)]
    if not samples or samples[0][0].ndim != 3:
        return Channel.grey()  # grey sources: nothing to learn
    return fit_channel(samples, rng)


def collect(
    frames: Iterable[AnnotatedFrame], config: TrainConfig, channel: Channel, negative_every: int = 4
) -> TrainingData:
    """Positive windows from every frame; every `negative_every`-th frame kept for negatives."""
    rng = np.random.default_rng(config.seed)
    pos, aspects, negs, heights = [], [], [], []
    faces = 0
    for i, colour_frame in enumerate(frames):
        frame = colour_frame.projected(channel)
        if len(frame.boxes_xyxy):
            boxes = frame.boxes_xyxy
            aspects += list((boxes[:, 2] - boxes[:, 0]) / np.maximum(boxes[:, 3] - boxes[:, 1], 1))
            faces += len(boxes)
            heights += list(boxes[:, 3] - boxes[:, 1])
            for _ in range(2):  # two jittered views of each face
                sq = square_around(boxes, rng.uniform(1 - config.jitter, 1 + config.jitter))
                sq += rng.uniform(-config.jitter, config.jitter, (len(sq), 1)) * (
                    sq[:, 2:3] - sq[:, 0:1]
                )
                pos.append(crop_resized(frame.image, sq, config.window_wh))
        if i % negative_every == 0:
            negs.append(frame)
    if faces < config.min_positives:
        raise ValueError(
            f"only {faces} faces to learn from (need at least "
            f"{config.min_positives}): give more episodes or annotations, or lower --min-faces"
        )
    positives = np.concatenate(pos)
    positives = np.concatenate([positives, positives[:, :, ::-1]])  # mirror images
    positives = positives[prepare(positives).valid]  # OpenCV skips flat windows anyway
    if not negs:
        raise ValueError("no frames to take negative windows from")
    return TrainingData(
        channel, positives, negs, float(np.median(aspects)), faces, smallest_face_px(heights)
    )


def _free_windows(frame: AnnotatedFrame, windows: np.ndarray) -> np.ndarray:
    """Windows that do not overlap any of the character's faces (masked out as negatives)."""
    faces = frame.all_faces_xyxy
    if not len(faces) or not len(windows):
        return windows
    clash = (iou(windows, faces) > 0.2) | (covered(windows, faces) > 0.4)
    return windows[~clash.any(axis=1)]


def mine_negatives(
    cascade: Cascade | None,
    frames: list[AnnotatedFrame],
    count: int,
    config: TrainConfig,
    rng: np.random.Generator,
    survivors: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """Up to `count` background windows the cascade accepts, and the rate at which it accepts
    background windows (false alarms per window scanned).

    `survivors` are last stage's negatives: those the cascade still accepts are kept first
    (they are hard and already found), so only the rest is searched for in the frames.
    """
    w, h = config.window_wh
    per_frame = max(8, 10 * count // max(len(frames), 1))  # speed against variety
    found: list[np.ndarray] = []
    total, scanned = 0, 0
    if survivors is not None and cascade is not None and len(survivors):
        kept = survivors[cascade.passes(survivors)][: count // 2]
        found.append(kept)
        total = len(kept)
    with tempfile.TemporaryDirectory() as tmp:
        classifier = None
        if cascade is not None:
            write_xml(cascade, Path(tmp) / "partial.xml")
            classifier = cv2.CascadeClassifier(str(Path(tmp) / "partial.xml"))
        for k in rng.permutation(len(frames)):
            frame = frames[k]
            fh, fw = frame.image.shape
            if classifier is None:
                side = rng.uniform(w, min(fw, fh), per_frame * 2)
                x = rng.uniform(0, fw - side)
                y = rng.uniform(0, fh - side)
                windows = np.stack([x, y, x + side, y + side], axis=1)
                scanned += len(windows)
            else:
                rects = classifier.detectMultiScale(
                    frame.image,
                    scaleFactor=config.mine_scale_factor,
                    minNeighbors=0,
                    minSize=(w, h),
                )
                scanned += _windows_scanned(frame.image.shape, (w, h), config.mine_scale_factor)
                if len(rects) == 0:
                    continue
                windows = xywh_to_xyxy(rects)
            windows = _free_windows(frame, windows)
            if len(windows) > per_frame:
                windows = windows[rng.choice(len(windows), per_frame, replace=False)]
            if not len(windows):
                continue
            crops = crop_resized(frame.image, windows, (w, h))
            keep = cascade.passes(crops) if cascade is not None else prepare(crops).valid
            found.append(crops[keep])
            total += int(keep.sum())
            if total >= count:
                break
    negatives = np.concatenate(found)[:count] if found else np.zeros((0, h, w), np.uint8)
    return negatives, total / max(scanned, 1)


def _windows_scanned(shape_hw: tuple[int, int], window_wh: tuple[int, int], factor: float) -> int:
    """Windows `detectMultiScale` evaluates on an image (step 2 below scale 2, then 1)."""
    n, s = 0, 1.0
    while True:
        iw, ih = round(shape_hw[1] / s), round(shape_hw[0] / s)
        if iw < window_wh[0] or ih < window_wh[1]:
            return n
        step = 1 if s > 2 else 2
        n += -(-(iw - window_wh[0] + 1) // step) * -(-(ih - window_wh[1] + 1) // step)
        s *= factor


def train_cascade(
    data: TrainingData, config: TrainConfig, on_stage: Callable[[StageReport], None] | None = None
) -> Cascade:
    """Train stages until `max_stages`, or until no background window fools the cascade."""
    rng = np.random.default_rng(config.seed)
    pool = feature_pool(config.window_wh)
    stages: list[Stage] = []
    cascade: Cascade | None = None
    negatives = None
    for k in range(config.max_stages):
        t0 = time.perf_counter()
        alive = (
            data.positives if cascade is None else data.positives[cascade.passes(data.positives)]
        )
        if len(alive) > config.positives:
            alive = alive[rng.choice(len(alive), config.positives, replace=False)]
        want = int(len(alive) * config.neg_ratio)
        negatives, _ = mine_negatives(
            cascade, data.negative_frames, want, config, rng, survivors=negatives
        )
        if len(negatives) < max(10, want // 20):
            break  # the cascade already rejects (nearly) all background
        feats = rng.choice(len(pool), min(config.features_per_stage, len(pool)), replace=False)
        windows = prepare(np.concatenate([alive, negatives]))
        y = np.r_[np.ones(len(alive)), -np.ones(len(negatives))]
        stage, hit, fa = train_stage(values(windows, pool.subset(feats)), y, config.stage, feats)
        stages.append(stage)
        cascade = _compact(pool, stages, config.stage)
        if on_stage:
            on_stage(
                StageReport(
                    k,
                    len(stage.stumps),
                    hit,
                    fa,
                    len(alive),
                    len(negatives),
                    time.perf_counter() - t0,
                )
            )
    if cascade is None:
        raise ValueError("no stage could be trained: no negative windows were found")
    return cascade


def _compact(pool: HaarFeatures, stages: list[Stage], config: StageConfig) -> Cascade:
    """Keep only the features the stumps use, renumbered in order of first use."""
    used: dict[int, int] = {}
    for st in stages:
        for s in st.stumps:
            used.setdefault(s.feature, len(used))
    renumbered = tuple(
        Stage(
            tuple(Stump(used[s.feature], s.threshold, s.left, s.right) for s in st.stumps),
            st.threshold,
        )
        for st in stages
    )
    return Cascade(pool.subset(np.array(list(used), np.int64)), renumbered, config)
