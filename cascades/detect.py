"""Detecting one character's faces with a cascade XML and the settings stored beside it."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from cascades.channel import Channel
from core.detections import xywh_to_xyxy, xyxy_to_xywh

GROUP_EPS = 0.2  # how far apart windows may lie and still group: detectMultiScale's own value


@dataclass(frozen=True)
class DetectSettings:
    """How to run one character's cascade; saved as `<cascade>.json` beside the XML.

    Attributes:
        scale_factor: pyramid step of `detectMultiScale`; larger is faster and coarser.
        min_neighbors: overlapping raw detections needed to keep a face; larger is stricter.
        min_size_px: smallest face window searched, in pixels of the original frame.
        downscale: frames are shrunk by this factor before detection (1.0 = full size); a
            character drawn large can be found in a smaller picture, much faster.
        box_aspect: width / height of the character's face box; the square detection window
            becomes a box of this shape with the same centre and longer side.
        channel: the colour projection the cascade was trained on (grey by default).
        pad: the picture is extended by this fraction of its height on every side (edge pixels
            repeated, as in training), so faces cut by the frame edge can still be found.
    """

    scale_factor: float = 1.1
    min_neighbors: int = 3
    min_size_px: int = 24
    downscale: float = 1.0
    box_aspect: float = 1.0
    channel: Channel = field(default_factory=Channel.grey)
    pad: float = 0.0

    def __post_init__(self) -> None:
        if not 1.0 < self.scale_factor <= 2.0:
            raise ValueError(f"scale_factor must be in (1, 2], got {self.scale_factor}")
        if self.min_neighbors < 0:
            raise ValueError(f"min_neighbors must be >= 0, got {self.min_neighbors}")
        if not 0.1 <= self.downscale <= 1.0:
            raise ValueError(f"downscale must be in [0.1, 1], got {self.downscale}")
        if not 0.0 <= self.pad <= 0.5:
            raise ValueError(f"pad must be in [0, 0.5], got {self.pad}")
        if self.box_aspect <= 0:
            raise ValueError(f"box_aspect must be positive, got {self.box_aspect}")


def settings_path(cascade_path: Path) -> Path:
    return cascade_path.with_suffix(".json")


def settings_from_json(detect: dict) -> DetectSettings:
    """`DetectSettings` from the `detect` object of a settings JSON (missing keys: defaults).

    Raises:
        ValueError: a value is out of range or of the wrong kind.
    """
    names = {f.name for f in dataclasses.fields(DetectSettings)} - {"channel"}
    try:
        channel = Channel.from_json(detect["channel"]) if "channel" in detect else Channel.grey()
        return DetectSettings(**{k: v for k, v in detect.items() if k in names}, channel=channel)
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"bad detection settings ({exc})") from None


def settings_document(settings: DetectSettings, **extra: object) -> dict:
    """The settings JSON as a dict: `extra`'s keys in order, with `detect` set from `settings`."""
    data = dict(extra)
    data["detect"] = dataclasses.asdict(settings) | {"channel": settings.channel.as_json()}
    return data


def settings_text(document: dict) -> str:
    """How a settings document is written to `<cascade>.json`."""
    return json.dumps(document, indent=2) + "\n"


def load_settings(cascade_path: Path) -> tuple[DetectSettings, dict]:
    """Settings beside the cascade (defaults when there is no JSON) and the JSON's other keys."""
    path = settings_path(cascade_path)
    if not path.exists():
        return DetectSettings(), {}
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a cascade's settings (a JSON object with `detect`)")
    try:
        settings = settings_from_json(data.get("detect", {}))
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    return settings, data


def save_settings(cascade_path: Path, settings: DetectSettings, **extra: object) -> Path:
    """Write `<cascade>.json` atomically, keeping keys already there that `extra` doesn't set."""
    path = settings_path(cascade_path)
    _, data = load_settings(cascade_path) if path.exists() else (None, {})
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(settings_text(settings_document(settings, **(data | extra))))
    os.replace(tmp, path)
    return path


class Detector:
    """One character's cascade, ready to run on frames.

    Example:
        >>> det = Detector(Path("cascades/weights/default/tom.xml"))
        >>> boxes = det.detect(gray_frame)  # (N, 4) xyxy in frame pixels
    """

    def __init__(self, cascade_path: Path, settings: DetectSettings | None = None) -> None:
        if not cascade_path.exists():
            raise FileNotFoundError(f"{cascade_path}: no such cascade")
        self.path = cascade_path
        try:
            self.classifier = cv2.CascadeClassifier(str(cascade_path))
        except (cv2.error, SystemError):  # OpenCV raises on malformed XML, returns empty on others
            raise ValueError(f"{cascade_path}: OpenCV cannot load this cascade XML") from None
        if self.classifier.empty():
            raise ValueError(f"{cascade_path}: OpenCV cannot load this cascade XML")
        self.settings = settings or load_settings(cascade_path)[0]
        self.window_wh = tuple(int(v) for v in self.classifier.getOriginalWindowSize())

    def raw_windows(
        self,
        image: np.ndarray,
        settings: DetectSettings | None = None,
        min_neighbors: int | None = None,
    ) -> np.ndarray:
        """Detection windows (N, 4) xyxy in pixels of a BGR `image`, before reshaping to boxes."""
        s = settings or self.settings
        small = image
        if s.downscale < 1.0:
            small = cv2.resize(
                image, None, fx=s.downscale, fy=s.downscale, interpolation=cv2.INTER_AREA
            )
        small = s.channel.apply(small)
        pad = int(round(s.pad * small.shape[0]))
        if pad:
            small = cv2.copyMakeBorder(small, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        min_side = max(int(round(s.min_size_px * s.downscale)), self.window_wh[0])
        rects = self.classifier.detectMultiScale(
            small,
            scaleFactor=s.scale_factor,
            minNeighbors=s.min_neighbors if min_neighbors is None else min_neighbors,
            minSize=(min_side, min_side),
        )
        if len(rects) == 0:
            return np.zeros((0, 4))
        return xywh_to_xyxy((np.asarray(rects, np.float64) - [pad, pad, 0, 0]) / s.downscale)

    def detect(self, image: np.ndarray, settings: DetectSettings | None = None) -> np.ndarray:
        """Face boxes (N, 4) xyxy in pixels of a BGR `image`, clipped to it."""
        s = settings or self.settings
        return windows_to_boxes(self.raw_windows(image, s), s.box_aspect, image.shape[:2])


def windows_to_boxes(
    windows: np.ndarray, box_aspect: float, frame_hw: tuple[int, int]
) -> np.ndarray:
    """Square windows -> boxes of `box_aspect` (w/h) sharing centre and longer side, clipped."""
    if len(windows) == 0:
        return windows
    cx, cy = (windows[:, 0] + windows[:, 2]) / 2, (windows[:, 1] + windows[:, 3]) / 2
    side = windows[:, 2] - windows[:, 0]
    w = side * min(1.0, box_aspect)
    h = side * min(1.0, 1.0 / box_aspect)
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, frame_hw[1])
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, frame_hw[0])
    return boxes


def group_windows(windows: np.ndarray, min_neighbors: int) -> np.ndarray:
    """Raw (N, 4) xyxy windows grouped as `detectMultiScale` groups them: (M, 4) xyxy.

    With `min_neighbors` 0 the windows are kept as they are, as OpenCV keeps them.

    Example:
        >>> group_windows(np.array([[0, 0, 24, 24], [1, 0, 25, 24]], float), 1)
        array([[ 0.,  0., 24., 24.]])
    """
    if not len(windows) or min_neighbors <= 0:
        return windows
    rects = np.round(xyxy_to_xywh(windows)).astype(np.int32).tolist()
    grouped, _ = cv2.groupRectangles(rects, min_neighbors, GROUP_EPS)
    return xywh_to_xyxy(grouped)
