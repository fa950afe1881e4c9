"""Making a character's cascade: check every input, train, then swap in the XML and its settings.

Nothing is written until training (and tuning, when asked for) has succeeded; then `NAME.xml`
and `NAME.json` are written beside each other as temporary files, flushed to disk, and moved
over the old pair together, so a failure at any point leaves the old pair as it was. The folder
they go into is made then if it is missing; a file already at either name is replaced only when
it is a cascade XML (or its settings JSON), never a file of some other kind.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2

from cascades.annotations import check_annotations, frames_from
from cascades.cascade import write_xml
from cascades.channel import Channel
from cascades.detect import (
    Detector,
    DetectSettings,
    settings_document,
    settings_from_json,
    settings_path,
    settings_text,
)
from cascades.samples import background_images, background_paths, check_truth_folder
from cascades.train import (
    STAGE_HEADER,
    StageReport,
    TrainConfig,
    collect,
    learn_channel,
    train_cascade,
)
from cascades.tune import TuneGoals, tune

CHANNEL_FIT_STEP = 24  # frames between those sampled to fit the colour channel


@dataclass(frozen=True)
class Tuning:
    """Validation episodes to tune the detection settings on, once the cascade is trained."""

    truth: Path
    frame_step: int = 8  # a sample of the frames is enough to rank settings
    goals: TuneGoals = dataclasses.field(default_factory=TuneGoals)

    def __post_init__(self) -> None:
        if self.frame_step < 1:
            raise ValueError(f"the tuning frame step must be at least 1, got {self.frame_step}")


@dataclass(frozen=True)
class BuildPlan:
    """Everything a cascade is made from; `check_plan` checks it all before any training.

    Attributes:
        truth: a folder of `<id>.mp4` + `<id>.truth.csv`, an `opencv_annotation` list (.txt)
            or a COCO file (.json).
        out: the cascade XML to write; its settings go to the `.json` beside it.
        frame_step: use every Nth frame of the truth episodes.
        negative_every: keep every Nth used frame to mine background windows from.
        grey: train on plain grey instead of a colour channel learned from the faces.
        backgrounds: a folder of images without the character, more background to mine.
        tuning: tune the settings on validation episodes before anything is written.
        allow_outside_images: read images a COCO file or annotation list names outside its
            own folder (refused by default: an annotation file is untrusted).
    """

    character: str
    truth: Path
    out: Path
    config: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    frame_step: int = 3
    negative_every: int = 3
    grey: bool = False
    backgrounds: Path | None = None
    tuning: Tuning | None = None
    allow_outside_images: bool = False

    def __post_init__(self) -> None:
        if not self.character.strip():
            raise ValueError("the character's name is empty")
        for name in ("frame_step", "negative_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")


@dataclass(frozen=True)
class Built:
    """A cascade written with its settings, and the training record kept in those settings."""

    cascade: Path
    settings: Path
    trained: dict

    def as_json(self) -> dict:
        return {"cascade": str(self.cascade), "settings": str(self.settings)} | self.trained


def check_plan(plan: BuildPlan) -> None:
    """Raise on the first file or folder that cannot work, before hours of training find it
    (the numbers were checked when the plan and its configs were made).

    Raises:
        ValueError, OSError: naming the input and the rule it breaks.
    """
    _check_out(plan.out)
    _check_truth(plan.truth, plan.allow_outside_images)
    if plan.backgrounds is not None:
        background_paths(plan.backgrounds)
    if plan.tuning is not None:
        _check_truth(plan.tuning.truth, plan.allow_outside_images)


def _check_out(path: Path) -> None:
    if path.suffix.lower() != ".xml":
        raise ValueError(f"{path}: a cascade is written as XML; name it *.xml")
    folder = path.parent  # made when the cascade is written: its nearest existing folder counts
    while not folder.exists() and not folder.is_symlink():
        folder = folder.parent
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder}: not a folder, so {path.parent} cannot be made")
    for target, ours, what in (
        (path, is_cascade_xml, "a cascade XML"),
        (settings_path(path), is_settings_json, "a cascade's settings JSON"),
    ):
        if target.is_dir():
            raise IsADirectoryError(f"{target}: is a folder, not a file to write")
        if target.exists() and not ours(target):
            raise FileExistsError(
                f"{target}: exists and is not {what} (no file of another kind is replaced; "
                "name another --out, or move it away yourself)"
            )
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise PermissionError(f"{folder}: cannot write here ({exc.strerror})") from None


def is_cascade_xml(path: Path) -> bool:
    """Whether `path` is an OpenCV cascade (what `write_xml` writes, or OpenCV's own)."""
    try:
        with path.open("rb") as f:
            return b"<opencv_storage>" in f.read(4096)
    except OSError:
        return False


def is_settings_json(path: Path) -> bool:
    """Whether `path` is a cascade's settings JSON (a `detect` object, as `settings_document`
    writes it)."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(document, dict) and isinstance(document.get("detect"), dict)


def _check_truth(path: Path, allow_outside_images: bool) -> None:
    if path.is_dir():
        check_truth_folder(path)
    elif not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    else:  # a COCO file or an annotation list: all but its pixels
        check_annotations(path, allow_outside_images=allow_outside_images)


def build_cascade(plan: BuildPlan, say: Callable[[str], None] = lambda line: None) -> Built:
    """Check the plan, train the cascade (tune it), and swap in `plan.out` with its settings.

    `say` gets progress lines: the training data, a row per stage, the tuning's pick.
    """
    check_plan(plan)
    t0 = time.perf_counter()
    channel = (
        Channel.grey()
        if plan.grey
        else learn_channel(
            frames_from(
                plan.truth,
                plan.character,
                CHANNEL_FIT_STEP,
                allow_outside_images=plan.allow_outside_images,
            ),
            plan.config.seed,
        )
    )
    frames = frames_from(
        plan.truth, plan.character, plan.frame_step, allow_outside_images=plan.allow_outside_images
    )
    data = collect(frames, plan.config, channel, negative_every=plan.negative_every)
    if plan.backgrounds is not None:
        data.negative_frames.extend(
            f.projected(channel) for f in background_images(plan.backgrounds)
        )
    say(
        f"{plan.character}: {data.faces} faces -> {len(data.positives)} positive windows "
        f"(jittered and mirrored); {len(data.negative_frames)} frames for negatives"
    )
    say(STAGE_HEADER)
    reports: list[StageReport] = []

    def on_stage(r: StageReport) -> None:
        reports.append(r)
        say(r.row())

    cascade = train_cascade(data, plan.config, on_stage)
    trained = {
        "character": plan.character,
        "stages": len(cascade.stages),
        "weak_classifiers": sum(len(s.stumps) for s in cascade.stages),
        "features": len(cascade.features),
        "faces": data.faces,
        "positive_windows": int(len(data.positives)),
        "smallest_face_px": round(data.smallest_face_px, 1),
        "train_seconds": round(time.perf_counter() - t0, 1),
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "config": dataclasses.asdict(plan.config),
        "stage_reports": [dataclasses.asdict(r) for r in reports],
    }
    settings = DetectSettings(box_aspect=round(data.box_aspect, 4), channel=channel)
    document = settings_document(settings, character=plan.character, trained=trained)
    plan.out.parent.mkdir(parents=True, exist_ok=True)
    _check_out(plan.out)  # again: hours may have passed since the plan was checked
    with tempfile.TemporaryDirectory(dir=plan.out.parent, prefix=f".{plan.out.stem}.") as tmp:
        staged = Path(tmp) / plan.out.name
        write_xml(cascade, staged)
        if cv2.CascadeClassifier(str(staged)).empty():
            raise ValueError(f"{plan.out}: OpenCV refused the cascade just written (a bug)")
        if plan.tuning is not None:
            # Tune what a reader of the pair will load: the settings as the JSON stores them.
            detector = Detector(staged, settings_from_json(document["detect"]))
            tuned, record = tune(
                detector,
                truth=plan.tuning.truth,
                character=plan.character,
                frame_step=plan.tuning.frame_step,
                goals=plan.tuning.goals,
                smallest_face_px=trained["smallest_face_px"],
                say=say,
                allow_outside_images=plan.allow_outside_images,
            )
            document = settings_document(tuned, **document) | {"tuned": record}
        staged_json = settings_path(staged)
        staged_json.write_text(settings_text(document))
        swap_in([(staged, plan.out), (staged_json, settings_path(plan.out))])
    return Built(plan.out, settings_path(plan.out), trained)


def swap_in(moves: list[tuple[Path, Path]]) -> None:
    """Move each staged file over its target, all of them or none.

    The staged files are flushed to disk first; each target's old file is kept beside the
    staged one until every move has succeeded, and put back if one fails. Staged files must lie
    on the same file system as their targets (`os.replace` is atomic only there).
    """
    for staged, _ in moves:
        _fsync(staged)
    olds = [_keep(target, staged.with_name(staged.name + ".old")) for staged, target in moves]
    done = 0
    try:
        for staged, target in moves:
            os.replace(staged, target)
            done += 1
    except BaseException:
        for (_, target), old in reversed(list(zip(moves[:done], olds, strict=False))):
            if old is not None:
                os.replace(old, target)
            else:
                target.unlink()
        raise
    finally:
        for old in olds:
            if old is not None:
                old.unlink(missing_ok=True)
    for folder in {target.parent for _, target in moves}:
        _fsync(folder)


def _keep(target: Path, copy: Path) -> Path | None:
    """A second name (or, where links are not allowed, a copy) for `target`'s current file."""
    if not target.exists():
        return None
    try:
        os.link(target, copy)
    except OSError:
        shutil.copy2(target, copy)
    return copy


def _fsync(path: Path) -> None:
    """Flush a file's (or a folder's entries') writes to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
