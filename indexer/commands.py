"""`toon index|evaluate-index|similar|references`: the pass over episodes, and what needs the
model or pictures to answer."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from cascades import DEFAULT as SHIPPED
from core.argtypes import at_least
from core.video import Frame
from indexer import cast_commands, mine, references, similar
from indexer.engines import ENGINES
from indexer.pipeline import PassSettings
from model import DEFAULT
from warehouse import reader
from warehouse.commands import add_warehouse, print_rows

if TYPE_CHECKING:
    from indexer.library import Outcome

# `toon index` exit status when the warehouse itself would not take a write (disk full,
# read-only): the run stopped, and what was published before it stays readable.
STOPPED = 3


# Without a terminal (a log file, a pipe), a plain progress line on stderr this often instead
# of bars: a log shows the run is alive, and where it is, without a line a frame.
PROGRESS_EVERY_S = 10.0


def _episode_line(outcome: Outcome) -> str:
    """What happened to one entry, as `toon index` prints it: status, episode id, faces or why,
    and the path."""
    what = f"{outcome.faces} faces" if outcome.status == "indexed" else outcome.reason
    return f"{outcome.status:8s} {outcome.episode_id or '-':24s} {what}  ({outcome.path})"


class _Progress:
    """What `toon index` shows as it goes. Each entry's outcome as a line on stdout the moment
    it is known (none with `--json`, whose stdout is its one JSON line). On stderr: on a
    terminal, one bar over the episodes and one over the current episode's frames; otherwise a
    plain line every `PROGRESS_EVERY_S` ("episodes 2/5, s1-e03.mp4 frame 120/450"). Every line
    is flushed, so a redirected log holds it at once."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bars = not quiet and sys.stderr.isatty()
        self.overall: tqdm | None = None
        self.current: tqdm | None = None
        self.episodes = self.done = self.frames = self.at = 0
        self.name = ""
        self.due = 0.0  # time.monotonic() of the next plain line; the first comes at once

    def started(self, episodes: int) -> None:
        self.episodes = episodes
        if self.bars:
            self.overall = tqdm(total=episodes, desc="episodes", unit="ep", file=sys.stderr)
        self._line()

    def episode(self, path: Path, frames: int) -> None:
        self.name, self.frames, self.at = path.name, frames, 0
        if self.bars:
            self.current = tqdm(
                total=frames or None,
                desc=path.name[:30],
                unit="frame",
                leave=False,
                file=sys.stderr,
            )
        self._line()

    def frame(self, frame: Frame) -> None:
        self.at = frame.index + 1
        if self.current is not None:
            self.current.update(self.at - self.current.n)
        self._line()

    def finished(self, outcome: Outcome) -> None:
        self.done += 1
        if self.current is not None:
            self.current.close()
            self.current = None
        if self.overall is not None:
            self.overall.update(1)
        if not self.quiet:
            tqdm.write(_episode_line(outcome), file=sys.stdout)  # above the bars, if any
            sys.stdout.flush()

    def _line(self) -> None:
        """The plain progress line on stderr, when one is due and there are no bars."""
        if self.quiet or self.bars or time.monotonic() < self.due:
            return
        self.due = time.monotonic() + PROGRESS_EVERY_S
        line = f"episodes {self.done}/{self.episodes}"
        if self.name:
            line += f", {self.name}"
            if self.frames:
                line += f" frame {self.at}/{self.frames}"
            elif self.at:  # the container does not say how many
                line += f" frame {self.at}"
        print(line, file=sys.stderr, flush=True)

    def close(self) -> None:
        for bar in (self.current, self.overall):
            if bar is not None:
                bar.close()


def _confidence(text: str) -> float:
    """`--min-confidence`: a probability a track's character must reach, 0 up to (not) 1."""
    value = at_least(0.0, float)(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"must be below 1, got {text}")
    return value


_confidence.__name__ = "float"  # argparse names the type in its messages


def _index(args: argparse.Namespace) -> int:
    if args.rebuild_faiss:
        return _rebuild_faiss(args)
    if not args.paths:
        raise ValueError("no episodes given (PATH ...), and no --rebuild-faiss")
    from indexer.engines import Indexer, make_engine
    from indexer.library import index_videos, library_videos
    from warehouse.store import StorageError

    if args.ray_address and args.engine != "ray":
        raise ValueError("--ray-address goes with --engine ray")
    settings = PassSettings(
        sample_fps=args.sample_fps, min_character_confidence=args.min_confidence
    )
    # what a user may have mistyped is said before TensorFlow loads (6-15 s): the paths, the
    # warehouse, then the model's and the cascades' folders (in Indexer.load)
    videos = library_videos(args.paths)
    if args.warehouse.exists() and not args.warehouse.is_dir():
        raise NotADirectoryError(f"{args.warehouse}: exists and is not a folder")
    indexer = Indexer.load(args.model, args.cascades, settings)
    engine = make_engine(args.engine, indexer, args.ray_address)
    progress = _Progress(quiet=args.json)
    try:
        summary = index_videos(videos, args.warehouse, indexer, args.reindex, progress, engine)
    except StorageError as exc:  # the warehouse would not open for writing
        print(f"toon: error: {exc}", file=sys.stderr)
        return STOPPED
    finally:
        progress.close()
    report = summary.as_json()
    if args.json:
        print(json.dumps(report))
    else:  # each entry's line was printed as it was stored
        print(
            f"{report['indexed']} indexed, {report['skipped']} skipped, {report['failed']} failed; "
            f"{report['faces']} faces in {report['seconds']:.1f} s "
            f"({report['speed_x_realtime']:.1f}x real time) -> {args.warehouse}"
        )
    if summary.stopped:
        print(f"toon: error: stopped: {summary.stopped}", file=sys.stderr)
        return STOPPED
    return 1 if report["failed"] else 0


def _rebuild_faiss(args: argparse.Namespace) -> int:
    from warehouse.store import StorageError, Warehouse

    if args.paths:
        raise ValueError("--rebuild-faiss takes no episodes: it reads the warehouse's own vectors")
    reader.snapshot_path(args.warehouse)  # no warehouse: says so, and how to make one
    try:
        with Warehouse(args.warehouse) as wh:
            faces = wh.rebuild_faiss()
    except StorageError as exc:
        print(f"toon: error: {exc}", file=sys.stderr)
        return STOPPED
    path = args.warehouse / reader.FAISS
    if args.json:
        print(json.dumps({"warehouse": str(args.warehouse), "faiss": str(path), "faces": faces}))
    else:
        print(f"{faces} face vectors -> {path}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from indexer.evaluate import evaluate_warehouse

    with reader.connect(args.warehouse) as con:
        report = evaluate_warehouse(con, args.truth)
    for note in report.notes():
        print(f"toon: note: {args.truth}: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.as_json()))
    else:
        d, e, r = report.detection, report.emotion, report.ranking
        print(f"episodes {report.episodes}")
        print(f"detection  precision {d.precision:.4f}  recall {d.recall:.4f}")
        for c in d.per_character:
            print(f"  {c.character:10s} precision {c.precision:.4f}  recall {c.recall:.4f}")
        print(f"emotion    accuracy {e.accuracy:.4f}  balanced {e.balanced_accuracy:.4f}")
        print(f"ranking    spearman {r.spearman} (happy)  mean over emotions {r.mean_spearman}")
        print("  " + "  ".join(f"{k} {v}" for k, v in r.per_emotion.items()))
    return 0


def _similar(args: argparse.Namespace) -> int:
    from indexer.similar import similar_to_image

    answer = similar_to_image(args.warehouse, args.image, args.model, args.k, args.character)
    note = answer.query.note()
    if note:
        print(f"toon: note: {args.image}: {note}", file=sys.stderr)
    print_rows(
        answer.as_rows(),
        args.json,
        ["face_id", "episode_id", "time_s", "character", "emotion", "score"],
    )
    return 0


def _references(args: argparse.Namespace) -> int:
    from indexer.references import write_references

    with reader.connect(args.warehouse) as con:
        report = write_references(con, args.out, args.per)
    if args.json:
        print(json.dumps(report))
    else:
        for key, n in report["faces"].items():
            print(f"{key:24s} {n}")
        print(f"-> {report['out']} (contact sheet {report['sheet']})")
    return 0


def _mine(args: argparse.Namespace) -> int:
    from cascades.finder import CascadeSet
    from indexer.mine import mine_crops

    cascades = CascadeSet.load(args.cascades)
    with tqdm(desc="mining", unit="frame", disable=args.json or None, file=sys.stderr) as bar:
        counts = mine_crops(
            args.source,
            args.out,
            cascades,
            frame_step=args.frame_step,
            seed=args.seed,
            on_item=lambda: bar.update(1),
            allow_outside_images=args.allow_outside_images,
        )
    if args.json:
        print(json.dumps({"out": str(args.out), "crops": counts}))
    else:
        for folder, n in counts.items():
            print(f"{folder:24s} {n}")
        print(f"{sum(counts.values())} crops -> {args.out}")
        cast = sorted({k.split("/")[0] for k in counts if k.endswith("/unlabelled")})
        if cast:  # from face boxes: the model learns the cast next
            print(
                f"Next: toon train {args.out} --init MODEL --characters {','.join(cast)} "
                "--oversample unlabelled=N --out "
                "NEW_MODEL (add faces of known emotions beside them, e.g. `toon synth faces "
                f"{args.out}/classic --count 2100 --nonfaces 300`, so the model keeps its emotions)"
            )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    ix = sub.add_parser(
        "index",
        help="index episodes into a warehouse (DuckDB statistics + FAISS faces)",
        description="Find every character's faces in each episode under PATH (files or "
        "folders, recursively: mp4, mkv, avi, mov, webm), name their emotions, and store "
        "per-episode statistics in DIR/toon.duckdb and each face's embedding in "
        "DIR/faces.faiss. Episodes already indexed with the same model, cascades, sample rate "
        "and confidence floor are "
        "skipped; a changed file replaces its rows. An entry that is no readable video (a "
        "link to nothing or links in a loop, a folder, pipe or device named like a video, a "
        "file the decoder cannot open) is stored as failed with its reason, and the run goes "
        "on. Each entry's outcome is printed as a line the moment it is stored; progress goes "
        "to stderr, as bars on a terminal, else as a plain line every "
        f"{PROGRESS_EVERY_S:g} s. Exit 0 when all succeeded, 1 when some "
        "episodes failed (their reasons are stored), 2 for bad arguments, 3 when the "
        "warehouse would not take a write (disk full, read-only: the run stops, and what was "
        "published before stays readable).",
    )
    ix.add_argument("paths", type=Path, nargs="*", metavar="PATH")
    add_warehouse(ix)
    ix.add_argument("--model", type=Path, default=DEFAULT, help="model folder (the shipped one)")
    ix.add_argument(
        "--cascades", type=Path, default=SHIPPED, help="folder of NAME.xml cascades (shipped)"
    )
    ix.add_argument(
        "--sample-fps",
        type=at_least(0.05, float),
        default=PassSettings().sample_fps,
        help=f"frames looked at per second of video ({PassSettings().sample_fps:g})",
    )
    ix.add_argument(
        "--min-confidence",
        type=_confidence,
        default=PassSettings().min_character_confidence,
        metavar="P",
        help="keep a track only when the character head gives its character at least P, "
        f"below 1 ({PassSettings().min_character_confidence:g})",
    )
    ix.add_argument(
        "--reindex",
        action="store_true",
        help="redo episodes indexed with another model, cascade set, --sample-fps or "
        "--min-confidence",
    )
    ix.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="where the passes run: local (this process, one episode at a time) or ray (one "
        "Ray task per episode; the rows are stored here, the same as local)",
    )
    ix.add_argument(
        "--ray-address",
        metavar="ADDRESS",
        help="the Ray cluster to use (e.g. ray://head:10001 or auto); without it, --engine ray "
        "starts a Ray instance on this machine's cores. The episodes must be at the same path "
        "on every machine.",
    )
    ix.add_argument(
        "--rebuild-faiss",
        action="store_true",
        help="instead of indexing, make DIR/faces.faiss again from the vectors the warehouse "
        "stores (after it was damaged or deleted); needs no model",
    )
    ix.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    ix.set_defaults(func=_index)

    ev = sub.add_parser(
        "evaluate-index",
        help="score a warehouse against synth truth files",
        description="Detection precision and recall, emotion accuracy and balanced accuracy "
        "on the sampled frames (faces less than half visible are don't-care), and Spearman's "
        "rho of each (episode, character)'s share of happy screen time against the truth's. "
        "Characters of the truth that the index does not know are named on stderr (not owed); "
        "a truth with no face of the index's cast at all is an error, not a score of 0.",
    )
    add_warehouse(ev)
    ev.add_argument("--truth", required=True, type=Path, help="folder of <episode_id>.truth.csv")
    ev.add_argument("--json", action="store_true", help="print the report as one JSON line")
    ev.set_defaults(func=_evaluate)

    si = sub.add_parser(
        "similar",
        help="faces most like an image (a frame crop, a drawing, a sketch)",
        description="Embed IMAGE with the model that indexed the warehouse and return the "
        "nearest faces (cosine similarity as score). IMAGE is checked as an upload is (PNG, "
        "JPEG, WebP or BMP, at most 5 MB and 16.8 million pixels) before it is decoded. When "
        "the model sees no face of the cast in it, a note says so on stderr; with --json each "
        "row carries query_p_other (the character head's `other` probability) and "
        "query_not_a_face.",
    )
    add_warehouse(si)
    si.add_argument("image", type=Path, metavar="IMAGE")
    si.add_argument("-k", type=at_least(1), default=similar.K, help=f"how many faces ({similar.K})")
    si.add_argument("--character", help="only faces of this character")
    si.add_argument("--model", type=Path, default=DEFAULT, help="model folder (the shipped one)")
    si.add_argument("--json", action="store_true", help="print one JSON array of rows")
    si.set_defaults(func=_similar)

    rf = sub.add_parser(
        "references",
        help="reference faces per character and emotion, with a contact sheet",
        description="For each character and emotion, the most confident faces that differ "
        "from each other, as OUT/<character>/<emotion>/<face_id>.jpg (an ImageFolder) and "
        "OUT/contact_sheet.png.",
    )
    add_warehouse(rf)
    rf.add_argument("--out", required=True, type=Path, help="folder to write")
    rf.add_argument(
        "--per",
        type=at_least(1),
        default=references.PER,
        help=f"faces per emotion ({references.PER})",
    )
    rf.add_argument("--json", action="store_true", help="print a JSON summary line")
    rf.set_defaults(func=_references)

    mc = sub.add_parser(
        "mine-crops",
        help="training crops for the model, cut through the cascades from footage",
        description="From face boxes a person drew (a COCO .json, or an opencv_annotation "
        "list named after its character, e.g. bunny.txt): every box as "
        "OUT/<character>/unlabelled/<id>.png, and (from COCO) every cascade detection beside "
        "the boxes as OUT/nonface/<id>.png. From episodes with truth (<id>.mp4 + "
        "<id>.truth.csv): a crop of every face at least half visible, as "
        "OUT/<character>/<emotion>/<id>.png, and every "
        "cascade detection that is no face as OUT/nonface/<id>.png. From a folder of pictures "
        "with none of the cast: every cascade detection as OUT/nonface/<id>.png. `toon train` "
        "reads the result as an ImageFolder (nonface teaches the character head 'other'; "
        "unlabelled faces teach it the cast, not emotions).",
    )
    mc.add_argument("source", type=Path, metavar="SOURCE", help="face boxes, episodes, or pictures")
    mc.add_argument("--out", required=True, type=Path, help="ImageFolder to write into")
    mc.add_argument(
        "--cascades", type=Path, default=SHIPPED, help="folder of NAME.xml cascades (shipped)"
    )
    mc.add_argument(
        "--frame-step",
        type=at_least(1),
        default=mine.FRAME_STEP,
        help=f"every Nth frame ({mine.FRAME_STEP})",
    )
    mc.add_argument("--seed", type=at_least(0), default=0, help="window jitter (0)")
    mc.add_argument(
        "--allow-outside-images",
        action="store_true",
        help="read images a COCO file or annotation list names outside its own folder "
        "(refused by default)",
    )
    mc.add_argument("--json", action="store_true", help="print counts as one JSON line")
    mc.set_defaults(func=_mine)

    cast_commands.register(sub)
