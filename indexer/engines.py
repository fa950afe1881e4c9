"""Where the pass over each episode runs: here, one episode after another, or as Ray tasks on a
cluster. Either way the analyses come back in the order the episodes were planned, and the one
writer (indexer.library) stores each as it arrives, so both engines write the same rows.

A Ray task decodes, detects and classifies one episode and returns its faces; the worker loads
the cascades and the model once and keeps them for the next episode. A worker that dies
mid-episode (killed, out of memory, its machine gone) costs that episode a retry on another
worker; a file that cannot be decoded comes back as a failure, as it does here, and is not
retried. The episodes must be readable at the same path on every machine (shared storage).
"""

from __future__ import annotations

import functools
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cascades.finder import CascadeSet
from core.video import Frame, VideoInfo, probe
from core.vocabulary import OTHER
from indexer.faces import FaceClassifier
from indexer.pipeline import EpisodePass, PassSettings, run_pass
from model import check_model_folder, model_cast
from warehouse.rows import PassKey

if TYPE_CHECKING:
    from model.store import EmotionModel

ENGINES = ("local", "ray")
# Times Ray runs an episode again when the worker running it dies; a file that cannot be
# decoded is a result, not a failure, and is never retried.
RAY_RETRIES = 3


def check_same_cast(cascades: CascadeSet, cascades_dir: Path, model_dir: Path) -> None:
    """Refuse cascades that find characters the model's character head does not name: their
    faces would be stored as one of the model's cast (a new show's cascades with the shipped
    model, say). A model without a character head names no one and takes any cascades; a
    finder of any face names no one either (the head names its faces)."""
    named = model_cast(model_dir)
    proposed = cascades.proposer.config.characters if cascades.proposer else ()
    found = sorted({*cascades.characters, *(() if cascades.finds_any_face else proposed)})
    unknown = [c for c in found if c not in named]
    if named and unknown:
        raise ValueError(
            f"{cascades_dir} finds {', '.join(found)}, but the model {model_dir} "
            f"names {', '.join(named)}: {', '.join(unknown)} would be stored as one of those "
            "(give --model the model trained for this cast)"
        )


@dataclass(frozen=True)
class Indexer:
    """The loaded cascades and model, how to run the pass, and where they were loaded from
    (so that a worker elsewhere can load the same)."""

    cascades: CascadeSet
    classifier: FaceClassifier
    settings: PassSettings
    model_dir: Path | None = None
    cascades_dir: Path | None = None

    @classmethod
    def load(cls, model_dir: Path, cascades_dir: Path, settings: PassSettings) -> Indexer:
        """The cascades and the model from their folders; a folder that is not one is said
        before TensorFlow loads (the cascades' own checks come before their proposer's)."""
        check_model_folder(model_dir)
        cascades = CascadeSet.load(cascades_dir)
        check_same_cast(cascades, cascades_dir, model_dir)

        from model.store import EmotionModel  # TensorFlow

        model: EmotionModel = EmotionModel(model_dir)
        return cls(
            cascades,
            FaceClassifier(model),
            settings,
            model_dir.resolve(),
            cascades_dir.resolve(),
        )

    @property
    def model_sha256(self) -> str:
        return self.classifier.model.sha256

    @property
    def cast(self) -> tuple[str, ...]:
        """The characters whose faces this pass stores: its cascades' and, where a finder of
        any face finds them, every character the model's head names."""
        named = (self.classifier.characters or ()) if self.cascades.finds_any_face else ()
        return tuple(c for c in dict.fromkeys((*self.cascades.characters, *named)) if c != OTHER)

    @property
    def key(self) -> PassKey:
        """What the rows this indexer writes depend on, besides each file's bytes."""
        return PassKey(
            self.model_sha256,
            self.cascades.sha256,
            self.settings.sample_fps,
            self.settings.min_character_confidence,
        )


@dataclass(frozen=True)
class Job:
    """One episode to analyse: its file, and the id the writer will store it under."""

    path: Path
    episode_id: str
    sha256: str


@dataclass(frozen=True)
class Analysis:
    """What the pass made of one file: the container's facts and the faces, or why it failed."""

    info: VideoInfo | None
    result: EpisodePass | None
    error: str | None
    seconds: float  # wall time of the pass, wherever it ran

    @property
    def failed(self) -> bool:
        return self.error is not None


class Progress(Protocol):
    """What a progress display is told as a run goes."""

    def started(self, episodes: int) -> None: ...
    def episode(self, path: Path, frames: int) -> None: ...
    def frame(self, frame: Frame) -> None: ...
    def finished(self, outcome: object) -> None: ...


def reason(exc: BaseException) -> str:
    """The first line of why, as a person reads it."""
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def analyse(path: Path, indexer: Indexer, progress: Progress | None = None) -> Analysis:
    """Probe and pass over one file; a file that cannot be decoded is a failed Analysis."""
    t0 = time.perf_counter()
    try:
        info = probe(path)
        if progress:
            progress.episode(path, info.frames)
        result = run_pass(
            path,
            indexer.cascades,
            indexer.classifier,
            indexer.settings,
            progress.frame if progress else None,
        )
    except (ValueError, OSError) as exc:
        return Analysis(None, None, reason(exc), time.perf_counter() - t0)
    return Analysis(info, result, None, time.perf_counter() - t0)


class Engine(Protocol):
    def run(self, jobs: Iterable[Job], progress: Progress | None) -> Iterator[Analysis]:
        """One Analysis per job, in the jobs' order."""
        ...


class LocalEngine:
    """Each episode in this process, one after another, as the writer asks for it."""

    def __init__(self, indexer: Indexer) -> None:
        self.indexer = indexer

    def run(self, jobs: Iterable[Job], progress: Progress | None) -> Iterator[Analysis]:
        for job in jobs:
            yield analyse(job.path, self.indexer, progress)


# -- Ray ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)  # in a Ray worker: what its previous task loaded
def _loaded(model_dir: str, cascades_dir: str, settings: PassSettings) -> Indexer:
    return Indexer.load(Path(model_dir), Path(cascades_dir), settings)


def _analyse_in_worker(
    path: str, model_dir: str, cascades_dir: str, settings: PassSettings, expected: tuple[str, str]
) -> Analysis:
    """The body of a Ray task: load once per worker process, then analyse one file.

    `expected` is the (model, cascades) sha256 the writer records for every episode; a worker
    whose folders hold anything else (another machine, another version) fails the episode
    instead of storing faces that another model made.
    """
    indexer = _loaded(model_dir, cascades_dir, settings)
    found = (indexer.model_sha256, indexer.cascades.sha256)
    for what, folder, want, got in zip(
        ("model", "cascades"), (model_dir, cascades_dir), expected, found, strict=True
    ):
        if got != want:
            why = f"the worker's {what} at {folder} is not the writer's"
            return Analysis(None, None, f"{why} (sha256 {got[:12]}, not {want[:12]})", 0.0)
    return analyse(Path(path), indexer)


class RayEngine:
    """Episodes as Ray tasks on the cluster at `address` (None: a local Ray of this machine's
    cores, or the one this process has already started), a few per CPU in flight."""

    def __init__(self, indexer: Indexer, address: str | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise ValueError(
                "--engine ray needs Ray: pip install '.[distributed]' (or `pip install ray`)"
            ) from None
        if indexer.model_dir is None or indexer.cascades_dir is None:
            raise ValueError("the Ray engine needs an Indexer loaded from folders (Indexer.load)")
        self.ray = ray
        self.indexer = indexer
        if not ray.is_initialized():
            env = {"TF_CPP_MIN_LOG_LEVEL": "2"}
            try:
                ray.init(
                    address=address,
                    runtime_env={"env_vars": env},
                    log_to_driver=False,
                    include_dashboard=False,
                    configure_logging=False,
                )
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise ValueError(
                    f"cannot reach Ray at {address or 'a new local instance'}: {reason(exc)}"
                ) from None
        resources = ray.cluster_resources()
        self.cpus = max(1, int(resources.get("CPU", 1)))
        gpus = resources.get("GPU", 0)
        self.task = ray.remote(
            num_cpus=1,
            num_gpus=1 if gpus else 0,  # a GPU per episode where the cluster has them
            max_retries=RAY_RETRIES,
            retry_exceptions=False,
        )(_analyse_in_worker)

    def run(self, jobs: Iterable[Job], progress: Progress | None) -> Iterator[Analysis]:
        ray, ix = self.ray, self.indexer
        todo = iter(jobs)
        expected = (ix.model_sha256, ix.cascades.sha256)
        window: deque = deque()
        in_flight = 2 * self.cpus  # enough to keep every CPU busy while the writer stores

        def submit() -> None:
            job = next(todo, None)
            if job is not None:
                ref = self.task.remote(
                    str(job.path), str(ix.model_dir), str(ix.cascades_dir), ix.settings, expected
                )
                window.append((job, ref, time.perf_counter()))

        for _ in range(in_flight):
            submit()
        try:
            while window:
                job, ref, t0 = window.popleft()
                if progress:
                    progress.episode(job.path, 0)
                try:
                    analysis = ray.get(ref)
                except ray.exceptions.RayError as exc:  # retries ran out: the episode fails alone
                    analysis = Analysis(
                        None, None, f"lost on the cluster ({reason(exc)})", time.perf_counter() - t0
                    )
                submit()
                yield analysis
        finally:  # the writer stopped early (a full disk, Ctrl+C): free the cluster
            for _, ref, _ in window:
                ray.cancel(ref, force=True)


def make_engine(name: str, indexer: Indexer, ray_address: str | None = None) -> Engine:
    if name == "local":
        return LocalEngine(indexer)
    if name == "ray":
        return RayEngine(indexer, ray_address)
    raise ValueError(f"unknown engine {name!r} (one of {', '.join(ENGINES)})")
