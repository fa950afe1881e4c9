"""`toon frames` and `toon cascade train|tune|eval`: pick frames to annotate, then make a Haar
cascade for any cartoon character and measure it.

Parses and prints only: the work is `cascades.annotate.write_frames`,
`cascades.build.build_cascade`, `cascades.tune.retune` and `cascades.evaluate.score`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import cv2

from cascades.annotate import write_frames
from cascades.boost import StageConfig
from cascades.build import BuildPlan, Tuning, build_cascade, is_settings_json
from cascades.detect import Detector, settings_path
from cascades.evaluate import eval_frames, score
from cascades.proposer import ANY_FACE, TrainSettings
from cascades.proposer_train import FRAME_STEP
from cascades.train import TrainConfig
from cascades.tune import TuneGoals, retune
from core.argtypes import at_least
from core.names import check_name
from core.video import find_videos

POSITIVE = at_least(1)


def _say(quiet: bool) -> Callable[[str], None]:
    """Progress lines on stderr (none with --json)."""
    if quiet:
        return lambda line: None
    return lambda line: print(line, file=sys.stderr, flush=True)


def _goals(args: argparse.Namespace) -> TuneGoals:
    return TuneGoals(max_ms=args.max_ms, min_precision=args.min_precision)


def _train(args: argparse.Namespace) -> int:
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
    goals = _goals(args)  # checked even without --val: a bad number is a mistake either way
    plan = BuildPlan(
        character=args.character,
        truth=args.truth,
        out=args.out,
        config=config,
        frame_step=args.frame_step,
        negative_every=args.negative_every,
        grey=args.grey,
        backgrounds=args.backgrounds,
        tuning=Tuning(args.val, args.val_frame_step, goals) if args.val else None,
        allow_outside_images=args.allow_outside_images,
    )
    built = build_cascade(plan, say=_say(args.json))
    if args.json:
        print(json.dumps(built.as_json(), indent=2))
    else:
        t = built.trained
        print(
            f"{built.cascade}: {t['stages']} stages, {t['weak_classifiers']} weak "
            f"classifiers, trained in {t['train_seconds']} s "
            f"(peak memory {t['peak_memory_mb']} MB); settings in {built.settings}"
        )
        folder = built.cascade.parent
        print(
            f"Next: a cascade for every other character into {folder}, then "
            f"`toon index EPISODES --warehouse DIR --cascades {folder}` (a new cast: first "
            f"`toon mine-crops ANNOTATIONS --out CROPS --cascades {folder}` and `toon train` "
            "the model's new character head)"
        )
    return 0


def _tune(args: argparse.Namespace) -> int:
    settings = settings_path(args.cascade)
    if settings.exists() and not is_settings_json(settings):
        raise FileExistsError(
            f"{settings}: exists and is not a cascade's settings JSON (tuning rewrites it; "
            "no file of another kind is replaced)"
        )
    chosen = retune(
        args.cascade,
        character=args.character,
        truth=args.truth,
        frame_step=args.frame_step,
        goals=_goals(args),
        say=_say(args.json),
        allow_outside_images=args.allow_outside_images,
    )
    if args.json:
        print(json.dumps({"settings": str(settings_path(args.cascade))} | chosen, indent=2))
    else:
        print(f"{settings_path(args.cascade)}: " + ", ".join(f"{k}={v}" for k, v in chosen.items()))
    return 0


def _frames(args: argparse.Namespace) -> int:
    summary = write_frames(find_videos(args.episodes), args.out, args.every)
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"{summary['frames']} frames from {summary['shots']} shots of {summary['episodes']} "
            f"episode(s) -> {summary['out']} (list: {summary['out']}/frames.csv). Next: draw face "
            f"boxes on them (`toon dashboard --frames {summary['out']}`, opencv_annotation "
            "--images, or a COCO tool), then `toon cascade train --truth ANNOTATIONS`"
        )
    return 0


def _eval(args: argparse.Namespace) -> int:
    cv2.setNumThreads(args.threads)
    detector = Detector(args.cascade)
    frames = eval_frames(
        args.truth,
        args.character,
        args.frame_step,
        allow_outside_images=args.allow_outside_images,
    )
    result = score(detector, frames).as_json()
    if args.json:
        print(json.dumps(result))
    else:
        print(", ".join(f"{k}={v}" for k, v in result.items()))
    return 0


def _allow_outside_images(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-outside-images",
        action="store_true",
        help="read images a COCO file or annotation list names outside its own folder "
        "(refused by default)",
    )


def _cascade_against_truth(
    parser: argparse.ArgumentParser, truth_help: str, frame_step: int
) -> None:
    """The arguments `tune` and `eval` share: which cascade, whose faces, which episodes."""
    parser.add_argument("--cascade", required=True, type=Path, help="cascade XML")
    parser.add_argument("--character", required=True, help="the character's name in the truth")
    parser.add_argument("--truth", required=True, type=Path, help=truth_help)
    parser.add_argument(
        "--frame-step",
        type=POSITIVE,
        default=frame_step,
        help=f"use every Nth frame ({frame_step})",
    )
    _allow_outside_images(parser)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _tuning_goals(parser: argparse.ArgumentParser) -> None:
    goals = TuneGoals()
    parser.add_argument(
        "--max-ms",
        type=float,
        default=goals.max_ms,
        help=f"time budget per 640x360 frame on one core ({goals.max_ms:g})",
    )
    parser.add_argument(
        "--min-precision",
        type=float,
        default=goals.min_precision,
        help=f"precision goal; the highest recall reaching it wins ({goals.min_precision:g})",
    )


def _proposer_train(args: argparse.Namespace) -> int:
    from cascades.proposer_train import train_proposer

    if args.any_face == bool(args.characters):
        raise ValueError("give either --characters or --any-face")
    characters = (
        (ANY_FACE,)
        if args.any_face
        else tuple(
            sorted(
                {
                    check_name(c.strip(), what="character")
                    for c in args.characters.split(",")
                    if c.strip()
                }
            )
        )
    )
    if not characters:
        raise ValueError("--characters: name at least one character")
    trained = train_proposer(
        args.truth,
        args.out,
        characters,
        frame_step=args.frame_step,
        settings=TrainSettings(epochs=args.epochs, seed=args.seed, min_steps=args.min_steps),
        say=(lambda _: None) if args.json else lambda text: print(text, file=sys.stderr),
        allow_outside_images=args.allow_outside_images,
        negatives=tuple(args.negatives or ()),
    )
    if args.json:
        print(
            json.dumps({"out": str(args.out), "characters": list(characters)} | trained.as_json())
        )
    else:
        what = "finder of any face" if args.any_face else f"proposer for {', '.join(characters)}"
        print(
            f"{what} -> {args.out} "
            f"({trained.frames} frames, {trained.faces} faces, {trained.train_seconds} s)"
        )
    return 0


def _proposer_tune(args: argparse.Namespace) -> int:
    from cascades.proposer_tune import tune_threshold

    done = tune_threshold(args.folder, args.truth, args.min_precision, args.frame_step)
    if args.json:
        print(json.dumps({"folder": str(args.folder)} | done))
        return 0
    for s in done["sweep"]:
        mark = "  <- chosen" if s["threshold"] == done["threshold"] else ""
        print(f"threshold {s['threshold']:<5} precision {s['precision']:.3f}  "
              f"recall {s['recall']:.3f}{mark}")  # fmt: skip
    print(
        f"{args.folder / 'proposer.json'}: threshold {done['threshold']} ({done['frames']} frames)"
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    fr = sub.add_parser(
        "frames",
        help="pick frames of episodes to draw face boxes on, spread over shots",
        description="Decode each episode once, find its cuts, and write frames to annotate: one "
        "a little into every shot, then one every --every seconds, as OUT/<episode>_<frame>.png "
        "plus OUT/frames.csv. The folder opens as is in opencv_annotation --images.",
    )
    fr.add_argument("episodes", nargs="+", type=Path, help="video files or folders of them")
    fr.add_argument("--out", required=True, type=Path, help="folder for the frames")
    fr.add_argument(
        "--every",
        type=at_least(0.05, float),
        default=5.0,
        help="seconds between frames within a shot (5)",
    )
    fr.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    fr.set_defaults(func=_frames)

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
        description="Train OUT.xml and write its detection settings to OUT.json (making "
        "OUT's folder if it is missing; an existing OUT.xml or OUT.json is replaced only when it "
        "is a cascade or its settings). Prints hit rate, false-alarm rate, weak classifiers and "
        "time per stage.",
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
    config, stage, plan = TrainConfig(), StageConfig(), BuildPlan
    for flag, kind, default, text in (
        ("--stages", POSITIVE, config.max_stages, "at most this many stages"),
        ("--min-hit-rate", float, stage.min_hit_rate, "faces each stage keeps, at least"),
        ("--max-false-alarm", float, stage.max_false_alarm, "background each stage passes"),
        ("--max-weak", POSITIVE, stage.max_weak, "stumps per stage at most"),
        ("--positives", POSITIVE, config.positives, "positive windows per stage"),
        ("--features", POSITIVE, config.features_per_stage, "features tried per stage"),
        ("--frame-step", POSITIVE, plan.frame_step, "use every Nth frame"),
        (
            "--negative-every",
            POSITIVE,
            plan.negative_every,
            "mine negatives from every Nth used frame",
        ),
        ("--min-faces", POSITIVE, config.min_positives, "refuse to train on fewer faces than this"),
    ):
        tr.add_argument(flag, type=kind, default=default, help=f"{text} ({default:g})")
    tr.add_argument(
        "--grey",
        action="store_true",
        help="train on plain grey instead of a learned colour channel",
    )
    tr.add_argument("--seed", type=at_least(0), default=config.seed, help=f"({config.seed})")
    tr.add_argument(
        "--val",
        type=Path,
        help="validation truth (a folder, COCO file or annotation list): tune settings after",
    )
    frame_step = Tuning.frame_step
    tr.add_argument(
        "--val-frame-step",
        type=POSITIVE,
        default=frame_step,
        help=f"every Nth validation frame to tune on ({frame_step})",
    )
    _tuning_goals(tr)
    _allow_outside_images(tr)
    tr.add_argument("--json", action="store_true")
    tr.set_defaults(func=_train)

    tu = cs.add_parser(
        "tune",
        help="choose detection settings on validation episodes",
        description="Search scaleFactor, minNeighbors, minSize and downscale; "
        "write the pick into <cascade>.json.",
    )
    _cascade_against_truth(
        tu, truth_help="validation truth: a folder, a COCO file or an annotation list", frame_step=8
    )
    _tuning_goals(tu)
    tu.set_defaults(func=_tune)

    ev = cs.add_parser(
        "eval",
        help="precision, recall, F1 and speed against truth files",
        description="A detection counts when its IoU with a truth face of the "
        "character is >= 0.5; faces with visible < 0.5 are don't-care.",
    )
    _cascade_against_truth(
        ev, truth_help="truth: a folder, a COCO file or an annotation list", frame_step=1
    )
    ev.add_argument(
        "--threads", type=POSITIVE, default=1, help="OpenCV threads (1: per-core speed)"
    )
    ev.set_defaults(func=_eval)

    pr = sub.add_parser("proposer", help="the learned face proposer beside the cascades")
    prs = pr.add_subparsers(dest="proposer_command", required=True, metavar="COMMAND")
    pt = prs.add_parser(
        "train",
        help="train the learned face proposer from face boxes, into a cascade folder",
        description="Train the small network that proposes faces over a whole downscaled "
        "frame, beside the per-character cascades (it finds faces they miss; the model's "
        "character head judges every box). Learns from the boxes `toon cascade train --truth` "
        "reads: a folder of episodes with truth, a COCO .json or an opencv_annotation list "
        "(repeat --truth to mix them, e.g. clean episodes and their old transfers). Writes "
        "OUT/proposer.keras and OUT/proposer.json; `toon index --cascades OUT` then uses it.",
    )
    pt.add_argument(
        "--truth", required=True, type=Path, action="append", metavar="SRC", help="face boxes"
    )
    pt.add_argument("--out", required=True, type=Path, help="cascade folder to write into")
    pt.add_argument("--characters", help="comma-separated, e.g. tom,jerry")
    pt.add_argument(
        "--any-face",
        action="store_true",
        help="instead of --characters: a finder, one class for every character's faces, to find "
        "the faces of a cast it never saw (the model's character head names them)",
    )
    pt.add_argument(
        "--negatives",
        type=Path,
        action="append",
        metavar="DIR",
        help="a folder of pictures with no face at all (real scenery), shown as frames with "
        "nothing to find; repeatable",
    )
    pt.add_argument(
        "--frame-step",
        type=at_least(1),
        default=FRAME_STEP,
        help=f"every Nth frame of episodes ({FRAME_STEP})",
    )
    pt.add_argument(
        "--epochs",
        type=at_least(1),
        default=TrainSettings().epochs,
        help=f"passes over the frames ({TrainSettings().epochs})",
    )
    pt.add_argument(
        "--min-steps",
        type=at_least(0),
        default=TrainSettings().min_steps,
        help="more passes over few frames until the training takes at least this many batches "
        f"({TrainSettings().min_steps}; 0: exactly --epochs)",
    )
    pt.add_argument(
        "--seed", type=at_least(0), default=TrainSettings().seed, help=f"({TrainSettings().seed})"
    )
    pt.add_argument(
        "--allow-outside-images",
        action="store_true",
        help="read images a COCO file or annotation list names outside its own folder "
        "(refused by default)",
    )
    pt.add_argument("--json", action="store_true", help="print what it learned as one JSON line")
    pt.set_defaults(func=_proposer_train)

    pu = prs.add_parser(
        "tune",
        help="choose the proposer's heat-map threshold on validation episodes",
        description="One pass of the proposer (or finder) in FOLDER over every --frame-step-th "
        "frame of the episodes with truth; each threshold of a sweep is scored against the "
        "faces of any character, and the highest recall at precision >= --min-precision is "
        "written into FOLDER/proposer.json. Tune on episodes it is not judged on.",
    )
    pu.add_argument("folder", type=Path, metavar="FOLDER", help="folder holding proposer.keras")
    pu.add_argument(
        "--truth", required=True, type=Path, action="append", metavar="DIR",
        help="validation episodes with truth; repeatable",
    )  # fmt: skip
    pu.add_argument("--min-precision", type=float, default=0.9, help="(0.9)")
    pu.add_argument("--frame-step", type=at_least(1), default=12, help="every Nth frame (12)")
    pu.add_argument("--json", action="store_true", help="print the sweep as one JSON line")
    pu.set_defaults(func=_proposer_tune)
