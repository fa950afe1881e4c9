"""Planning an episode: shots of 1-5 s, who is in them, where, and what they feel when.

A plan is pure data drawn from one seed; rendering it (`synth.episodes`) adds no randomness that
changes the truth, so the same seed always gives the same truth file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synth import EMOTIONS
from synth.emotions import FaceParams, expression, sample_intensity
from synth.shows import DEFAULT_SHOW, SHOWS, Show
from synth.style import ArtStyle

SHOT_SECONDS = (1.0, 5.0)
# Characters per shot: some shots are empty, most hold one or two.
CAST_SIZE_P = (0.1, 0.38, 0.34, 0.18)
EMOTION_CHANGE_P = 0.35  # chance that a character's emotion changes at a moment within a shot
MAX_ANGLE_DEG = 20.0
MAX_TURN_RAD = 0.7  # about 40 degrees: a three-quarter view
PROP_P = 0.3  # chance that a shot has a foreground prop hiding part of a face
BLUR_PAN_PX = 6.0  # pans faster than this (pixels per frame) smear the frame


@dataclass(frozen=True)
class EpisodeConfig:
    seconds: float
    width: int = 640
    height: int = 360
    fps: int = 24

    @property
    def frames(self) -> int:
        return int(round(self.seconds * self.fps))


@dataclass(frozen=True)
class Segment:
    """From `start_frame` (absolute) on, the character shows this emotion."""

    start_frame: int
    emotion: str
    intensity: float
    params: FaceParams


@dataclass(frozen=True)
class Actor:
    character: str
    segments: tuple[Segment, ...]
    start_xy: tuple[float, float]  # head centre in background pixels at the shot's first frame
    velocity_xy: tuple[float, float]  # pixels per frame
    scale: float  # pixels per face unit
    angle_deg: float
    angle_rate: float  # degrees per frame
    flip: bool
    turn: float
    gaze: tuple[float, float]
    bob_px: float  # vertical bounce amplitude while moving

    def segment_at(self, frame: int) -> Segment:
        current = self.segments[0]
        for seg in self.segments:
            if seg.start_frame <= frame:
                current = seg
        return current


@dataclass(frozen=True)
class Shot:
    start_frame: int
    n_frames: int
    background_seed: int
    background_wh: tuple[int, int]
    pan_px: tuple[float, float]  # camera x offset into the background at the first and last frame
    actors: tuple[Actor, ...]  # back to front
    prop_seed: int | None  # a foreground prop in front of the first actor, when set
    jpeg_quality: int | None  # extra lossy compression of this shot's frames

    def pan_at(self, frame: int) -> float:
        t = (frame - self.start_frame) / max(self.n_frames - 1, 1)
        t = 0.5 - 0.5 * math.cos(math.pi * t)  # ease in and out
        return self.pan_px[0] + t * (self.pan_px[1] - self.pan_px[0])

    @property
    def pan_speed(self) -> float:
        """Peak pan speed in pixels per frame."""
        return abs(self.pan_px[1] - self.pan_px[0]) * math.pi / 2 / max(self.n_frames - 1, 1)


@dataclass(frozen=True)
class Episode:
    episode_id: str
    seed: int
    config: EpisodeConfig
    style: ArtStyle
    crf: int
    shots: tuple[Shot, ...]
    show: str = DEFAULT_SHOW


class Deck:
    """Draws items in shuffled rounds, so every item turns up once per round."""

    def __init__(
        self,
        items: tuple[str, ...],
        rng: np.random.Generator,
        weights: dict[str, float] | None = None,
    ) -> None:
        self._items, self._rng, self._weights = items, rng, weights
        self._pile: list[str] = []

    @property
    def size(self) -> int:
        return len(self._items)

    def draw(self, exclude: set[str] = frozenset()) -> str:
        for _ in range(4 * len(self._items)):
            if not self._pile:
                if self._weights:  # a weighted round: heavier items come more often
                    reps = [max(1, round(self._weights[i] * 5)) for i in self._items]
                    self._pile = [
                        i for i, r in zip(self._items, reps, strict=True) for _ in range(r)
                    ]
                else:
                    self._pile = list(self._items)
                self._rng.shuffle(self._pile)
            item = self._pile.pop()
            if item not in exclude:
                return item
        raise ValueError("deck cannot avoid every item")


def episode_id(seed: int, index: int, show: Show = SHOWS[DEFAULT_SHOW]) -> str:
    return f"{show.id_prefix}s{seed}-e{index + 1:02d}"


def plan_episode(
    seed: int, index: int, config: EpisodeConfig, show: Show = SHOWS[DEFAULT_SHOW]
) -> Episode:
    """Plan episode `index` of the set of `show` made with `seed`."""
    rng = np.random.default_rng([seed, index])
    style = show.style(rng)
    characters = Deck(show.cast, rng, show.weights)
    emotions = Deck(EMOTIONS, rng)
    shots = []
    frame = 0
    while frame < config.frames:
        n = int(round(rng.uniform(*SHOT_SECONDS) * config.fps))
        n = min(max(n, 1), config.frames - frame)
        shots.append(_plan_shot(rng, config, frame, n, characters, emotions, show))
        frame += n
    return Episode(
        episode_id(seed, index, show),
        seed,
        config,
        style,
        int(rng.integers(20, 31)),
        tuple(shots),
        show.name,
    )


def _plan_shot(
    rng: np.random.Generator,
    cfg: EpisodeConfig,
    start: int,
    n: int,
    characters: Deck,
    emotions: Deck,
    show: Show,
) -> Shot:
    w, h = cfg.width, cfg.height
    pan = 0.0 if rng.random() < 0.5 else float(rng.uniform(0.1, 0.9)) * w
    bg_w = w + int(math.ceil(pan))
    pan_px = (0.0, pan) if rng.random() < 0.5 else (pan, 0.0)
    k = min(int(rng.choice(len(CAST_SIZE_P), p=CAST_SIZE_P)), characters.size)
    cast: list[str] = []
    for _ in range(k):
        cast.append(characters.draw(exclude=set(cast)))
    actors = []
    for character in cast:
        design = show.designs[character]
        face_h = float(rng.uniform(*design.height_px))
        scale = face_h / design.face_height_units()
        # On screen at some moment of the shot, sometimes cut by the frame edge.
        t_seen = rng.uniform(0, n)
        cam = pan_px[0] + (pan_px[1] - pan_px[0]) * t_seen / max(n, 1)
        vx = float(rng.normal(0, 1.2)) if rng.random() < 0.5 else 0.0
        x = cam + rng.uniform(-0.05 * w, 1.05 * w) - vx * t_seen
        y = rng.uniform(0.25 * h, 0.85 * h)
        actors.append(
            Actor(
                character=character,
                segments=_plan_segments(rng, start, n, emotions),
                start_xy=(float(x), float(y)),
                velocity_xy=(vx, float(rng.normal(0, 0.3))),
                scale=float(scale),
                angle_deg=float(rng.uniform(-MAX_ANGLE_DEG, MAX_ANGLE_DEG)),
                angle_rate=float(rng.normal(0, 0.3)) if rng.random() < 0.3 else 0.0,
                flip=bool(rng.random() < 0.5),
                turn=float(rng.uniform(-MAX_TURN_RAD, MAX_TURN_RAD)) if rng.random() < 0.5 else 0.0,
                gaze=(float(rng.uniform(-1, 1)), float(rng.uniform(-1, 1))),
                bob_px=float(rng.uniform(0, 0.05 * face_h)) if vx else 0.0,
            )
        )
    actors.sort(key=lambda a: a.scale)  # bigger (nearer) characters in front
    return Shot(
        start_frame=start,
        n_frames=n,
        background_seed=int(rng.integers(2**31)),
        background_wh=(bg_w, h),
        pan_px=pan_px,
        actors=tuple(actors),
        prop_seed=int(rng.integers(2**31)) if actors and rng.random() < PROP_P else None,
        jpeg_quality=int(rng.integers(15, 60)) if rng.random() < 0.35 else None,
    )


def _plan_segments(
    rng: np.random.Generator, start: int, n: int, emotions: Deck
) -> tuple[Segment, ...]:
    starts = [start]
    if n > 12 and rng.random() < EMOTION_CHANGE_P:
        starts.append(start + int(rng.uniform(0.3, 0.7) * n))
    segs = []
    previous: set[str] = set()
    for s in starts:
        emotion = emotions.draw(exclude=previous)
        previous = {emotion}
        intensity = sample_intensity(emotion, rng)
        segs.append(Segment(s, emotion, intensity, expression(emotion, intensity, rng)))
    return tuple(segs)
