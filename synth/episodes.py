"""Rendering planned episodes to frames with truth, and writing them as MP4 + truth CSV."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from core.truth import TruthRow, truth_path, write_truth
from core.video import VideoSink
from synth import shows
from synth.plan import Actor, Episode, EpisodeConfig, Shot, plan_episode
from synth.render import draw_colour, draw_ids, silhouette_mask
from synth.scenery import background, prop
from synth.shapes import Pose, silhouette_bounds
from synth.shows import DEFAULT_SHOW

_PROP_ID = 255  # id-map value of foreground props; actors use 1..2*len(actors)


@dataclass(frozen=True)
class Frame:
    index: int
    time_s: float
    rgb: np.ndarray  # (H, W, 3) uint8
    faces: tuple[TruthRow, ...]


def actor_pose(actor: Actor, shot: Shot, frame: int) -> Pose:
    """Where `actor` stands in `frame`, in frame pixels."""
    t = frame - shot.start_frame
    x = actor.start_xy[0] + actor.velocity_xy[0] * t - shot.pan_at(frame)
    y = actor.start_xy[1] + actor.velocity_xy[1] * t
    y -= actor.bob_px * abs(np.sin(t * 0.5))
    angle = float(np.clip(actor.angle_deg + actor.angle_rate * t, -20.0, 20.0))
    return Pose((float(x), float(y)), actor.scale, angle, actor.flip, actor.turn)


def render_shot(episode: Episode, shot: Shot) -> Iterator[Frame]:
    """Every frame of one shot, with the truth rows of the faces on screen."""
    cfg = episode.config
    w, h = cfg.width, cfg.height
    designs = shows.show(episode.show).designs
    backdrop = background(
        np.random.default_rng(shot.background_seed), episode.style, *shot.background_wh
    )
    props = []
    if shot.prop_seed is not None:
        first = shot.actors[-1]
        props = prop(
            np.random.default_rng(shot.prop_seed), episode.style, first.start_xy, first.scale * 2.0
        )
    blur = int(shot.pan_speed) if shot.pan_speed > 6.0 else 0
    for f in range(shot.start_frame, shot.start_frame + shot.n_frames):
        offset = int(round(shot.pan_at(f)))
        img = backdrop[:, offset : offset + w].copy()
        ids = np.zeros((h, w), np.uint8)
        placed = []
        for k, actor in enumerate(shot.actors):
            pose = actor_pose(actor, shot, f)
            seg = actor.segment_at(f)
            design = designs[actor.character]
            shapes = design.face_shapes(seg.params, episode.style, actor.gaze)
            body = design.body_shapes(episode.style)
            draw_colour(img, body, pose)
            draw_ids(ids, body, pose, 2 * k + 2)
            draw_colour(img, shapes, pose)
            draw_ids(ids, shapes, pose, 2 * k + 1, silhouette_only=True)
            placed.append((actor, seg, shapes, pose, 2 * k + 1))
        if props:
            shift = Pose((-shot.pan_at(f) + shot.pan_at(shot.start_frame), 0.0), 1.0)
            draw_colour(img, props, shift)
            draw_ids(ids, props, shift, _PROP_ID)
        if blur:
            img = cv2.blur(img, (blur, 1))
        if shot.jpeg_quality is not None:
            ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, shot.jpeg_quality])
            img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
        time_s = f / cfg.fps
        faces = [row for row in (_truth_row(f, time_s, *p, ids, w, h) for p in placed) if row]
        yield Frame(f, time_s, img, tuple(faces))


def _truth_row(
    frame: int,
    time_s: float,
    actor: Actor,
    seg,
    shapes,
    pose: Pose,
    face_id: int,
    ids: np.ndarray,
    w: int,
    h: int,
) -> TruthRow | None:
    x1, y1, x2, y2 = silhouette_bounds(shapes, pose)
    x1, y1 = max(0, int(np.floor(x1))), max(0, int(np.floor(y1)))
    x2, y2 = min(w, int(np.ceil(x2))), min(h, int(np.ceil(y2)))
    if x2 <= x1 or y2 <= y1:
        return None
    mask, _ = silhouette_mask(shapes, pose)
    seen = int(np.count_nonzero(ids[y1:y2, x1:x2] == face_id))
    if seen == 0:
        return None
    visible = min(1.0, seen / max(int(mask.sum()), 1))
    return TruthRow(
        frame, time_s, actor.character, seg.emotion, seg.intensity, x1, y1, x2, y2, visible
    )


def render_episode(episode: Episode) -> Iterator[Frame]:
    for shot in episode.shots:
        yield from render_shot(episode, shot)


def write_episode(
    episode: Episode, out_dir: Path, on_frame: Callable[[Frame], None] | None = None
) -> dict:
    """Write `<id>.mp4`, `<id>.truth.csv` and `<id>.json` (metadata) into `out_dir`.

    Returns the metadata. Files appear only when complete.
    """
    cfg = episode.config
    video = out_dir / f"{episode.episode_id}.mp4"
    rows: list[TruthRow] = []
    with VideoSink(
        video, resolution_wh=(cfg.width, cfg.height), fps=cfg.fps, crf=episode.crf
    ) as sink:
        for frame in render_episode(episode):
            sink.write(frame.rgb)
            rows.extend(frame.faces)
            if on_frame:
                on_frame(frame)
    write_truth(truth_path(video), rows)
    meta = {
        "episode_id": episode.episode_id,
        "seed": episode.seed,
        "video": video.name,
        "truth": truth_path(video).name,
        "frames": cfg.frames,
        "fps": cfg.fps,
        "width": cfg.width,
        "height": cfg.height,
        "seconds": cfg.frames / cfg.fps,
        "shots": len(episode.shots),
        "faces": len(rows),
        "style": asdict(episode.style),
    }
    if episode.show != DEFAULT_SHOW:  # classic episodes' metadata stays as it always was
        meta["show"] = episode.show
    tmp = out_dir / f".{episode.episode_id}.json.part"
    tmp.write_text(json.dumps(meta, indent=2) + "\n")
    os.replace(tmp, out_dir / f"{episode.episode_id}.json")
    return meta


def plan_episodes(
    count: int,
    seconds: float,
    seed: int,
    width: int = 640,
    height: int = 360,
    fps: int = 24,
    show: str = DEFAULT_SHOW,
) -> list[Episode]:
    """Plan `count` episodes; checks the arguments and raises ValueError with the rule broken."""
    if count < 1:
        raise ValueError(f"--count must be at least 1, got {count}")
    if not 0 < seconds <= 3600:
        raise ValueError(f"--seconds must be in (0, 3600], got {seconds}")
    if not (64 <= width <= 3840 and 64 <= height <= 2160) or width % 2 or height % 2:
        raise ValueError(
            f"--width/--height must be even and between 64x64 and 3840x2160, got {width}x{height}"
        )
    if not 1 <= fps <= 120:
        raise ValueError(f"--fps must be in [1, 120], got {fps}")
    if seed < 0:
        raise ValueError(f"--seed must be non-negative, got {seed}")
    drawn = shows.show(show)
    cfg = EpisodeConfig(seconds=seconds, width=width, height=height, fps=fps)
    return [plan_episode(seed, i, cfg, drawn) for i in range(count)]
