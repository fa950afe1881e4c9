"""`toon cascade train|tune|eval`: make a Haar cascade for any cartoon character and measure it."""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import cv2

from cascades.boost import StageConfig
from cascades.cascade import write_xml
from cascades.detect import Detector, DetectSettings, load_settings, save_settings, settings_path
from cascades.evaluate import eval_frames, score
from cascades.samples import background_images, frames_from
from cascades.train import (
    StageReport,
    TrainConfig,
    collect,
    learn_channel,
    smallest_face_px,
    train_cascade,
)
from cascades.tune import pick, search

CHANNEL_FIT_STEP = 24  # frames between those sampled to fit the colour channel


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _check_out(path: Path) -> None:
    if path.suffix.lower() != ".xml":
        raise ValueError(f"{path}: a cascade is written as XML; name it *.xml")
    if not path.parent.is_dir():
        raise NotADirectoryError(f"{path.parent}: no such folder")


def _train(args: argparse.Namespace) -> int:
    _check_out(args.out)
    config = TrainConfig(
        max_stages=args.stages,
        positives=args.positives,
        features_per_stage=args.features,
        stage=StageConfig(
            min_hit_rate=args.min_hit_rate,
            max_false_alarm=args.max_false_alarm,
            max_weak=args.max_weak,
        ),
        min_positives=args.min_faces,
        seed=args.seed,
    )
    t0 = time.perf_counter()
    say = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))
    channel = learn_channel(frames_from(args.truth, args.character, CHANNEL_FIT_STEP), args.seed)
    if args.grey:
        channel = type(channel).grey()
    frames = frames_from(args.truth, args.character, args.frame_step)
    data = collect(frames, config, channel, negative_every=args.negative_every)
    if args.backgrounds:
        data.negative_frames.extend(
            f.projected(channel) for f in background_images(args.backgrounds)
        )
    say(
        f"{args.character}: {data.faces} faces -> {len(data.positives)} positive windows "
        f"(jittered and mirrored); {len(data.negative_frames)} frames for negatives"
    )
    say("stage  weak  hit_rate  false_alarm  positives  negatives  seconds")
    reports: list[StageReport] = []

    def on_stage(r: StageReport) -> None:
        reports.append(r)
        say(
            f"{r.stage:5d} {r.weak:5d}  {r.hit_rate:8.4f}  {r.false_alarm:11.4f}  "
            f"{r.positives:9d}  {r.negatives:9d}  {r.seconds:7.1f}"
        )

    cascade = train_cascade(data, config, on_stage)
    seconds = time.perf_counter() - t0
    settings = DetectSettings(box_aspect=round(data.box_aspect, 4), channel=channel)
    report = {
        "character": args.character,
        "stages": len(cascade.stages),
        "weak_classifiers": sum(len(s.stumps) for s in cascade.stages),
        "features": len(cascade.features),
        "faces": data.faces,
        "positive_windows": int(len(data.positives)),
        "smallest_face_px": round(data.smallest_face_px, 1),
        "train_seconds": round(seconds, 1),
        "peak_memory_mb": round(_peak_mb()),
        "config": dataclasses.asdict(config),
        "stage_reports": [dataclasses.asdict(r) for r in reports],
    }
    # Write nothing until everything succeeded; then the XML and its settings together.
    with tempfile.TemporaryDirectory(dir=args.out.parent) as tmp:
        staged = Path(tmp) / args.out.name
        write_xml(cascade, staged)
        if cv2.CascadeClassifier(str(staged)).empty():
            raise ValueError(f"{args.out}: OpenCV refused the cascade just written (a bug)")
        staged.replace(args.out)
    save_settings(args.out, settings, character=args.character, trained=report)
    if args.val:
        _tune_into(
            args.out,
            args.character,
            args.val,
            args.max_ms,
            args.min_precision,
            args.val_frame_step,
            say,
        )
    out = {"cascade": str(args.out), "settings": str(settings_path(args.out))} | report
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(
            f"{args.out}: {report['stages']} stages, {report['weak_classifiers']} weak "
            f"classifiers, trained in {report['train_seconds']} s "
            f"(peak memory {report['peak_memory_mb']} MB); settings in "
            f"{settings_path(args.out)}"
        )
    return 0


def _tune_into(
    cascade: Path,
    character: str,
    truth: Path,
    max_ms: float,
    min_precision: float,
    frame_step: int,
    say,
) -> dict:
    cv2.setNumThreads(1)  # the speed goal is per core
    detector = Detector(cascade)
    frames = eval_frames(truth, character, frame_step)
    smallest = load_settings(cascade)[1].get("trained", {}).get("smallest_face_px")
    if smallest is None:  # no training record: the validation faces themselves say
        heights = [b[3] - b[1] for f in frames for b in f.owed_xyxy]
        smallest = smallest_face_px(heights) if heights else None
    trials = search(detector, frames, max_ms, smallest_face_px=smallest)
    best = pick(trials, max_ms, min_precision)
    say(f"tuned on {len(frames)} frames: " + json.dumps(best.as_json()))
    save_settings(
        cascade,
        best.settings,
        tuned={
            "truth": str(truth),
            "frames": len(frames),
            "max_ms": max_ms,
            "min_precision": min_precision,
            "chosen": best.as_json(),
            "smallest_face_px": smallest,
            "trials": len(trials),
        },
    )
    return best.as_json()


def _tune(args: argparse.Namespace) -> int:
    say = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr))
    chosen = _tune_into(
        args.cascade,
        args.character,
        args.truth,
        args.max_ms,
        args.min_precision,
        args.frame_step,
        say,
    )
    if args.json:
        print(json.dumps({"settings": str(settings_path(args.cascade))} | chosen, indent=2))
    else:
        print(f"{settings_path(args.cascade)}: " + ", ".join(f"{k}={v}" for k, v in chosen.items()))
    return 0


def _eval(args: argparse.Namespace) -> int:
    cv2.setNumThreads(args.threads)
    detector = Detector(args.cascade)
    frames = eval_frames(args.truth, args.character, args.frame_step)
    result = score(detector, frames).as_json()
    if args.json:
        print(json.dumps(result))
    else:
        print(", ".join(f"{k}={v}" for k, v in result.items()))
    return 0


def _cascade_against_truth(
    parser: argparse.ArgumentParser, truth_help: str, frame_step: int
) -> None:
    """The arguments `tune` and `eval` share: which cascade, whose faces, which episodes."""
    parser.add_argument("--cascade", required=True, type=Path, help="cascade XML")
    parser.add_argument("--character", required=True, help="the character's name in the truth")
    parser.add_argument("--truth", required=True, type=Path, help=truth_help)
    parser.add_argument(
        "--frame-step", type=int, default=frame_step, help=f"use every Nth frame ({frame_step})"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _tuning_goals(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-ms", type=float, default=15.0, help="time budget per 640x360 frame on one core (15)"
    )
    parser.add_argument(
        "--min-precision",
        type=float,
        default=0.9,
        help="precision goal; the highest recall reaching it wins (0.9)",
    )


def register(sub: argparse._SubParsersAction) -> None:
    cas = sub.add_parser(
        "cascade",
        help="train and measure Haar cascades per character",
        description="A Viola-Jones trainer that writes the cascade XML plain "
        "OpenCV loads, plus evaluation and settings search.",
    )
    cs = cas.add_subparsers(dest="cascade_command", metavar="WHAT")
    cs.required = True

    tr = cs.add_parser(
        "train",
        help="train a character's cascade from truth files or annotations",
        description="Train OUT.xml and write its detection settings to OUT.json. "
        "Prints hit rate, false-alarm rate, weak classifiers and time "
        "per stage.",
    )
    tr.add_argument("--character", required=True, help="the character's name in the truth")
    tr.add_argument(
        "--truth",
        required=True,
        type=Path,
        help="a folder of <id>.mp4 + <id>.truth.csv, an opencv_annotation list "
        "(.txt) or a COCO file (.json)",
    )
    tr.add_argument("--out", required=True, type=Path, help="cascade XML to write")
    tr.add_argument("--backgrounds", type=Path, help="folder of images without the character")
    tr.add_argument("--stages", type=int, default=20, help="at most this many stages (20)")
    tr.add_argument("--min-hit-rate", type=float, default=0.997, help="per stage (0.997)")
    tr.add_argument("--max-false-alarm", type=float, default=0.5, help="per stage (0.5)")
    tr.add_argument("--max-weak", type=int, default=120, help="stumps per stage at most (120)")
    tr.add_argument("--positives", type=int, default=2500, help="positive windows per stage")
    tr.add_argument("--features", type=int, default=6000, help="features tried per stage")
    tr.add_argument("--frame-step", type=int, default=3, help="use every Nth frame (3)")
    tr.add_argument(
        "--negative-every",
        type=int,
        default=3,
        help="keep every Nth used frame to mine negatives from (3)",
    )
    tr.add_argument(
        "--min-faces", type=int, default=100, help="refuse to train on fewer faces than this (100)"
    )
    tr.add_argument(
        "--grey",
        action="store_true",
        help="train on plain grey instead of a learned colour channel",
    )
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--val", type=Path, help="validation truth folder: tune settings after")
    tr.add_argument("--val-frame-step", type=int, default=8)
    _tuning_goals(tr)
    tr.add_argument("--json", action="store_true")
    tr.set_defaults(func=_train)

    tu = cs.add_parser(
        "tune",
        help="choose detection settings on validation episodes",
        description="Search scaleFactor, minNeighbors, minSize and downscale; "
        "write the pick into <cascade>.json.",
    )
    _cascade_against_truth(tu, truth_help="validation truth folder", frame_step=8)
    _tuning_goals(tu)
    tu.set_defaults(func=_tune)

    ev = cs.add_parser(
        "eval",
        help="precision, recall, F1 and speed against truth files",
        description="A detection counts when its IoU with a truth face of the "
        "character is >= 0.5; faces with visible < 0.5 are don't-care.",
    )
    _cascade_against_truth(ev, truth_help="truth folder", frame_step=1)
    ev.add_argument("--threads", type=int, default=1, help="OpenCV threads (1: per-core speed)")
    ev.set_defaults(func=_eval)
