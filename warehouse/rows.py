"""What one episode's pass hands the warehouse, and what the warehouse knows of a file."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from warehouse import schema


@dataclass(frozen=True)
class PassKey:
    """What an episode's rows depend on besides the file's bytes: the model and the cascade set
    that found and named its faces, the frames looked at per second, and the character head's
    confidence floor. A file already indexed under the same key is skipped; under another one
    it is redone only when asked (`--reindex`)."""

    model_sha256: str | None = None
    cascades_sha256: str | None = None
    sample_fps: float | None = None
    min_character_confidence: float | None = None

    def changes(self, now: PassKey) -> list[str]:
        """How this key differs from `now`, in the words of the options that set it."""
        out = []
        if self.model_sha256 != now.model_sha256:
            out.append("another model")
        if self.cascades_sha256 != now.cascades_sha256:
            out.append("another cascade set")
        for flag, was, wants in (
            ("--sample-fps", self.sample_fps, now.sample_fps),
            ("--min-confidence", self.min_character_confidence, now.min_character_confidence),
        ):
            if was != wants:
                out.append(f"{flag} {_number(was)} (now {_number(wants)})")
        return out


def _number(value: float | None) -> str:
    return "unrecorded" if value is None else f"{value:g}"


@dataclass(frozen=True)
class EpisodeRecord:
    """One row of `episodes`: what the pass learnt of a file, faces or not."""

    episode_id: str
    title: str
    path: str
    sha256: str | None  # None: the file could not be read
    status: str  # 'indexed' or 'failed'
    error: str | None = None
    duration_s: float | None = None
    fps: float | None = None
    width: int | None = None
    height: int | None = None
    frames: int | None = None
    sample_fps: float | None = None
    model_sha256: str | None = None
    cascades_sha256: str | None = None
    index_seconds: float | None = None
    min_character_confidence: float | None = None

    def __post_init__(self) -> None:
        if self.status not in ("indexed", "failed"):
            raise ValueError(f"status must be 'indexed' or 'failed', got {self.status!r}")


@dataclass(frozen=True)
class EpisodeFaces:
    """Every face one episode's pass kept: N faces as parallel arrays, plus the S sampled frames.

    Attributes:
        time_s, frame: (N,) when each face was seen.
        character: (N,) str.
        xyxy: (N, 4) pixels.
        probs: (N, 7) emotion probabilities in `schema.EMOTIONS` order.
        track: (N,) int, the face's track within the episode (0, 1, ...).
        seconds: (N,) screen time each face stands for.
        filled: (N,) bool, made by filling a gap in a track.
        character_confidence: (N,).
        embedding: (N, D) float32, L2-normalised.
        thumbnails: N JPEG byte strings.
        sample_frame, sample_time_s: (S,) every frame the pass looked at.
    """

    time_s: np.ndarray
    frame: np.ndarray
    character: np.ndarray
    xyxy: np.ndarray
    probs: np.ndarray
    track: np.ndarray
    seconds: np.ndarray
    filled: np.ndarray
    character_confidence: np.ndarray
    embedding: np.ndarray
    thumbnails: list[bytes]
    sample_frame: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    sample_time_s: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        n = len(self.time_s)
        for name in ("frame", "character", "track", "seconds", "filled", "character_confidence"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} rows, time_s has {n}")
        if self.xyxy.shape != (n, 4):
            raise ValueError(f"xyxy must be ({n}, 4), got {self.xyxy.shape}")
        if self.probs.shape != (n, len(schema.EMOTIONS)):
            raise ValueError(f"probs must be ({n}, {len(schema.EMOTIONS)}), got {self.probs.shape}")
        if self.embedding.ndim != 2 or len(self.embedding) != n or len(self.thumbnails) != n:
            raise ValueError("embedding and thumbnails need one entry per face")
        if len(self.sample_frame) != len(self.sample_time_s):
            raise ValueError("sample_frame and sample_time_s differ in length")

    def __len__(self) -> int:
        return len(self.time_s)


@dataclass(frozen=True)
class KnownEpisode:
    """What the warehouse already holds of a file, to decide whether to index it again."""

    episode_id: str
    path: str
    sha256: str | None  # None: a file that could not be read
    status: str
    model_sha256: str | None
    cascades_sha256: str | None
    sample_fps: float | None = None
    min_character_confidence: float | None = None

    @property
    def key(self) -> PassKey:
        return PassKey(
            self.model_sha256, self.cascades_sha256, self.sample_fps, self.min_character_confidence
        )


def no_faces() -> EpisodeFaces:
    return EpisodeFaces(
        time_s=np.zeros(0),
        frame=np.zeros(0, np.int64),
        character=np.zeros(0, dtype=object),
        xyxy=np.zeros((0, 4)),
        probs=np.zeros((0, len(schema.EMOTIONS))),
        track=np.zeros(0, np.int64),
        seconds=np.zeros(0),
        filled=np.zeros(0, bool),
        character_confidence=np.zeros(0),
        embedding=np.zeros((0, 0), np.float32),  # no vectors: no width either
        thumbnails=[],
    )
