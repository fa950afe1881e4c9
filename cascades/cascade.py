"""A trained cascade: stages over Haar features, our own evaluator, and OpenCV's XML format.

The XML is what `opencv_traincascade` writes (`<opencv_storage><cascade>`, stageType BOOST,
featureType HAAR), so a plain `cv2.CascadeClassifier(path)` loads it and detects at native speed.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cascades.boost import Stage, StageConfig, Stump
from cascades.haar import HaarFeatures, Windows, prepare, values


@dataclass(frozen=True)
class Cascade:
    features: HaarFeatures  # only the features the stumps use, in XML order
    stages: tuple[Stage, ...]
    config: StageConfig = field(default_factory=StageConfig)

    @property
    def window_wh(self) -> tuple[int, int]:
        return self.features.window_wh

    def passes(self, patches: np.ndarray | Windows) -> np.ndarray:
        """(N,) bool: which (N, H, W) uint8 windows pass every stage, as OpenCV decides."""
        win = patches if isinstance(patches, Windows) else prepare(patches)
        alive = win.valid.copy()
        if not len(self.features):
            return alive
        vals = values(win, self.features)
        for stage in self.stages:
            total = np.zeros(len(alive), np.float64)
            for s in stage.stumps:
                total += np.where(vals[:, s.feature] < np.float32(s.threshold), s.left, s.right)
            alive &= total >= stage.threshold
        return alive


def _num(x: float) -> str:
    return f"{x:.10e}"


def write_xml(cascade: Cascade, path: Path) -> None:
    """Write OpenCV's cascade XML to `path` atomically."""
    w, h = cascade.window_wh
    c = cascade.config
    lines = [
        '<?xml version="1.0"?>',
        "<opencv_storage>",
        '<cascade type_id="opencv-cascade-classifier">',
        "  <stageType>BOOST</stageType>",
        "  <featureType>HAAR</featureType>",
        f"  <height>{h}</height>",
        f"  <width>{w}</width>",
        "  <stageParams>",
        "    <boostType>GAB</boostType>",
        f"    <minHitRate>{_num(c.min_hit_rate)}</minHitRate>",
        f"    <maxFalseAlarm>{_num(c.max_false_alarm)}</maxFalseAlarm>",
        f"    <weightTrimRate>{_num(c.weight_trim)}</weightTrimRate>",
        "    <maxDepth>1</maxDepth>",
        f"    <maxWeakCount>{c.max_weak}</maxWeakCount></stageParams>",
        "  <featureParams>",
        "    <maxCatCount>0</maxCatCount>",
        "    <featSize>1</featSize>",
        "    <mode>CORE</mode></featureParams>",
        f"  <stageNum>{len(cascade.stages)}</stageNum>",
        "  <stages>",
    ]
    for i, stage in enumerate(cascade.stages):
        lines += [
            f"    <!-- stage {i} -->",
            "    <_>",
            f"      <maxWeakCount>{len(stage.stumps)}</maxWeakCount>",
            f"      <stageThreshold>{_num(stage.threshold)}</stageThreshold>",
            "      <weakClassifiers>",
        ]
        for s in stage.stumps:
            lines += [
                "        <_>",
                "          <internalNodes>",
                f"            0 -1 {s.feature} {_num(s.threshold)}</internalNodes>",
                "          <leafValues>",
                f"            {_num(s.left)} {_num(s.right)}</leafValues></_>",
            ]
        lines[-1] += ""
        lines += ["      </weakClassifiers></_>"]
    lines += ["  </stages>", "  <features>"]
    for rects, weights in zip(cascade.features.rects, cascade.features.weights, strict=True):
        lines += ["    <_>", "      <rects>"]
        for r, wt in zip(rects, weights, strict=True):
            if wt != 0:
                lines += ["        <_>", f"          {r[0]} {r[1]} {r[2]} {r[3]} {wt:.1f}</_>"]
        lines += ["      </rects>", "      <tilted>0</tilted></_>"]
    lines += ["  </features>", "</cascade>", "</opencv_storage>", ""]
    tmp = path.with_name(path.name + ".part")
    tmp.write_text("\n".join(lines))
    os.replace(tmp, path)


def read_xml(path: Path) -> Cascade:
    """Read a HAAR/BOOST stump cascade written by `write_xml` or `opencv_traincascade`."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise ValueError(f"{path}: not a cascade XML ({exc})") from None
    node = root.find("cascade")
    if node is None or (node.findtext("featureType") or "").strip() != "HAAR":
        raise ValueError(f"{path}: not a HAAR cascade in OpenCV's current format")
    w, h = int(node.findtext("width")), int(node.findtext("height"))
    rects, weights = [], []
    for feat in node.find("features"):
        rs = [[float(v) for v in r.text.split()] for r in feat.find("rects")]
        rects.append([r[:4] for r in rs] + [[0, 0, 0, 0]] * (3 - len(rs)))
        weights.append([r[4] for r in rs] + [0.0] * (3 - len(rs)))
    stages = []
    for st in node.find("stages"):
        stumps = []
        for wc in st.find("weakClassifiers"):
            nodes = wc.findtext("internalNodes").split()
            if len(nodes) != 4:
                raise ValueError(f"{path}: only stump cascades (maxDepth 1) are supported")
            leaves = [float(v) for v in wc.findtext("leafValues").split()]
            stumps.append(Stump(int(nodes[2]), float(nodes[3]), leaves[0], leaves[1]))
        stages.append(Stage(tuple(stumps), float(st.findtext("stageThreshold"))))
    features = HaarFeatures(
        (w, h),
        np.array(rects, np.int32).reshape(-1, 3, 4),
        np.array(weights, np.float32).reshape(-1, 3),
    )
    return Cascade(features, tuple(stages))
