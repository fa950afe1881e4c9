"""`toon train|evaluate|classify|compare-optimizers|visualize`: the emotion CNN."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.argtypes import at_least
from core.names import check_name
from model import ARCHS, OPTIMIZERS, check_model_out
from model.data import SPLIT_SEED
from model.settings import TrainSettings


def _classes(text: str) -> tuple[str, ...]:
    names = tuple(c.strip() for c in text.split(",") if c.strip())
    if len(names) < 2 or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"needs two or more distinct names, got {text!r}")
    return names


def _names(text: str) -> tuple[str, ...]:
    """Character names: they name the model's classes and, later, folders of references and
    labels, so they follow the one name rule from the start."""
    names = tuple(c.strip() for c in text.split(",") if c.strip())
    if not names or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"needs one or more distinct names, got {text!r}")
    try:
        return tuple(check_name(n, what="character") for n in names)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _oversample(text: str) -> tuple[str, int]:
    folder, _, n = text.partition("=")
    if not folder or not n.isdigit() or int(n) < 1:
        raise argparse.ArgumentTypeError(f"expected FOLDER=N with N at least 1, got {text!r}")
    return folder, int(n)


def _train(args: argparse.Namespace) -> int:
    check_model_out(args.out, args.data)  # before TensorFlow loads
    from model.train import train

    settings = TrainSettings(
        args.arch,
        args.optimizer,
        args.epochs,
        args.classes,
        args.seed,
        args.batch_size,
        args.augment,
        init=str(args.init) if args.init else None,
        oversample=tuple(args.oversample),
        learning_rate=args.learning_rate,
        characters=args.characters,
    )
    result = train(args.data, args.out, settings, progress=not args.json)
    if args.json:
        print(json.dumps(result.as_json()))
    else:
        print(
            f"{args.out}: accuracy {result.report.accuracy}, balanced accuracy "
            f"{result.report.balanced_accuracy} on the held-out 20%, trained in "
            f"{result.train_seconds} s"
        )
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from model.evaluate import evaluate

    result = evaluate(args.model, args.data, args.confusion)
    if args.json:
        print(json.dumps(result.as_json()))
    else:
        r = result.report
        print(
            f"{args.data}: accuracy {r.accuracy}, balanced accuracy "
            f"{r.balanced_accuracy} on {result.images} images"
        )
        for c in r.per_class:
            print(
                f"  {c.name:<10} precision {c.precision:.3f} recall {c.recall:.3f} "
                f"f1 {c.f1:.3f} support {c.support}"
            )
    return 0


def _classify(args: argparse.Namespace) -> int:
    from model.evaluate import classify

    rows = classify(args.model, args.images)
    if args.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            extra = f"  character {r['character']}" if "character" in r else ""
            p = r["probabilities"][r["emotion"]]
            print(f"{r['image']}: {r['emotion']} ({p:.2f}){extra}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from model.compare import compare

    table = compare(
        args.data,
        args.out,
        args.arch,
        args.runs,
        args.epochs,
        args.classes,
        args.seed,
        args.optimizers,
        progress=not args.json,
        resume=args.resume,
    )
    if args.json:
        print(json.dumps(table))
    else:
        print((args.out / "results.md").read_text(), end="")
    return 0


def _visualize(args: argparse.Namespace) -> int:
    from model.visualize import visualize

    written = visualize(args.model, args.out, args.image)
    if args.json:
        print(json.dumps([str(p) for p in written]))
    else:
        print(f"{args.out}: {len(written)} PNGs")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    tr = sub.add_parser(
        "train",
        help="train an emotion CNN on an ImageFolder",
        description="Train on DATA (the emotion is each image's parent folder, at any depth; "
        "images under a 'nonface' folder teach the character head 'other'). A stratified "
        "80/20 split with a fixed seed; scores are on the held-out 20%. Writes model.keras, "
        "config.json, classes.json, metrics.json, history.json, accuracy.png, loss.png and "
        "model.sha256 into OUT.",
    )
    tr.add_argument("data", type=Path, metavar="DATA", help="ImageFolder of faces")
    tr.add_argument("--out", required=True, type=Path, help="model folder to write")
    train = TrainSettings()
    tr.add_argument("--arch", choices=ARCHS, default=train.arch, help=f"network ({train.arch})")
    tr.add_argument("--optimizer", choices=OPTIMIZERS, help="default: adam for toon, sgd for seed")
    tr.add_argument("--epochs", type=at_least(1), help="default: 30 for toon, 50 for seed")
    tr.add_argument(
        "--classes", type=_classes, help="comma-separated emotions to use (default: every folder)"
    )
    tr.add_argument(
        "--characters",
        type=_names,
        help="comma-separated cast the character head names, besides other; each one's images "
        "sit under a folder of its name, <name>/unlabelled/ for faces of no named emotion "
        "(default: the --init model's cast, else tom,jerry)",
    )
    tr.add_argument("--seed", type=int, default=train.seed, help=f"split seed ({train.seed})")
    tr.add_argument(
        "--batch-size", type=at_least(1), default=train.batch_size, help=f"({train.batch_size})"
    )
    tr.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        help="augmentation (default: on for toon, off for seed, as in the method)",
    )
    tr.add_argument(
        "--init",
        type=Path,
        metavar="MODEL_DIR",
        help="start from this model folder's weights instead of random ones (fine-tuning); "
        "it must have the same network and emotions; with --characters naming another cast, "
        "its character head's output layer starts afresh",
    )
    tr.add_argument(
        "--oversample",
        type=_oversample,
        action="append",
        default=[],
        metavar="FOLDER=N",
        help="show the training images under every folder named FOLDER N times an epoch, "
        "for a small set beside a large one (held-out scores count each image once); repeatable",
    )
    tr.add_argument(
        "--learning-rate",
        type=float,
        help="starting learning rate (default: the optimizer's own: Keras 2.0's for seed, "
        "0.002 for toon; a quarter of it with --init)",
    )
    tr.add_argument("--json", action="store_true", help="print the held-out scores as JSON")
    tr.set_defaults(func=_train)

    ev = sub.add_parser(
        "evaluate",
        help="score a model on an ImageFolder",
        description="Accuracy, balanced accuracy, per-class precision/recall/F1 and the "
        "confusion matrix on every image of DATA whose emotion the model knows; writes a "
        "confusion-matrix PNG.",
    )
    ev.add_argument("model", type=Path, metavar="MODEL_DIR")
    ev.add_argument("data", type=Path, metavar="DATA")
    ev.add_argument(
        "--confusion", type=Path, help="confusion-matrix PNG (default: MODEL_DIR/confusion.png)"
    )
    ev.add_argument("--json", action="store_true", help="print the scores as JSON")
    ev.set_defaults(func=_evaluate)

    cl = sub.add_parser(
        "classify",
        help="name the emotion of face images",
        description="The emotion and its probabilities for each image (and the character, "
        "when the model has that head).",
    )
    cl.add_argument("model", type=Path, metavar="MODEL_DIR")
    cl.add_argument("images", type=Path, nargs="+", metavar="IMAGE")
    cl.add_argument("--json", action="store_true", help="print a JSON list")
    cl.set_defaults(func=_classify)

    co = sub.add_parser(
        "compare-optimizers",
        help="the method's optimizer table: optimizer x run, loss and accuracy",
        description="Train ARCH with each optimizer RUNS times (same split, a different "
        "initialisation per run) and write results.csv, results.md and learning curves "
        "into OUT.",
    )
    co.add_argument("data", type=Path, metavar="DATA")
    co.add_argument("--out", required=True, type=Path, help="folder for the table and curves")
    co.add_argument("--arch", choices=ARCHS, default="seed", help="network (seed)")
    co.add_argument("--runs", type=at_least(1), default=5, help="runs per optimizer (5)")
    co.add_argument("--epochs", type=at_least(1), default=50, help="(50)")
    co.add_argument("--classes", type=_classes, help="comma-separated emotions")
    co.add_argument("--seed", type=int, default=SPLIT_SEED, help=f"split seed ({SPLIT_SEED})")
    co.add_argument(
        "--optimizers",
        type=lambda t: tuple(t.split(",")),
        default=OPTIMIZERS,
        help=f"comma-separated ({','.join(OPTIMIZERS)})",
    )
    co.add_argument(
        "--resume",
        action="store_true",
        help="continue the comparison already in OUT (same data and settings): "
        "runs it finished are kept, the others are trained",
    )
    co.add_argument("--json", action="store_true", help="print the rows as JSON")
    co.set_defaults(func=_compare)

    vi = sub.add_parser(
        "visualize",
        help="filters and activations of every convolution layer as PNGs",
        description="Writes <layer>-filters.png and <layer>-activations.png for every "
        "convolution layer; activations are for --image, or a synthetic face.",
    )
    vi.add_argument("model", type=Path, metavar="MODEL_DIR")
    vi.add_argument("--out", required=True, type=Path, help="folder for the PNGs")
    vi.add_argument("--image", type=Path, help="face image to show activations for")
    vi.add_argument("--json", action="store_true", help="print the written paths as JSON")
    vi.set_defaults(func=_visualize)
