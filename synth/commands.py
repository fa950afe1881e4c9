"""`toon synth ...`: episodes, face crops, a contact sheet, old-transfer degradation, and real
non-face pictures cut into frames and windows."""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from core.argtypes import at_least
from core.video import probe
from synth.artists import CONVENTIONS, restricted, write_artist_faces, write_contact_sheet
from synth.cuts import CutSettings
from synth.degrade import STRENGTHS, degrade_episode, find_episodes
from synth.episodes import plan_episodes, write_episode
from synth.facesets import STYLES, write_faces
from synth.plan import Episode
from synth.realworld import SOURCES_DIR, SPLITS, cut_nonfaces, load_sources
from synth.sheet import write_sheet
from synth.shows import DEFAULT_SHOW, SHOWS, show


def _out_dir(path: Path) -> Path:
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"{path}: exists and is not a folder")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _episodes(args: argparse.Namespace) -> int:
    episodes = plan_episodes(
        count=args.count,
        seconds=args.seconds,
        seed=args.seed,
        width=args.width,
        height=args.height,
        fps=args.fps,
        show=args.show,
    )
    out = _out_dir(args.out)
    total = sum(e.config.frames for e in episodes)
    metas = []
    with tqdm(
        total=total, unit="frame", desc="rendering", disable=args.json or None, file=sys.stderr
    ) as bar:
        if args.jobs == 1:
            for ep in episodes:
                metas.append(write_episode(ep, out, on_frame=lambda _f: bar.update(1)))
        else:
            with ProcessPoolExecutor(max_workers=args.jobs) as pool:
                for meta in pool.map(_write_one, episodes, [out] * len(episodes)):
                    metas.append(meta)
                    bar.update(meta["frames"])
    if args.json:
        print(json.dumps({"out": str(out), "episodes": metas}, indent=2))
    else:
        for m in metas:
            print(
                f"{out / m['video']}: {m['frames']} frames, {m['shots']} shots, "
                f"{m['faces']} faces in {m['truth']}"
            )
    return 0


def _write_one(episode: Episode, out: Path) -> dict:
    return write_episode(episode, out)


def _faces(args: argparse.Namespace) -> int:
    out = _out_dir(args.out)
    with tqdm(
        total=args.count, unit="face", desc="drawing", disable=args.json or None, file=sys.stderr
    ) as bar:
        counts = write_faces(
            out,
            count=args.count,
            seed=args.seed,
            style=args.style,
            size=args.size,
            on_face=lambda _c: bar.update(1),
            nonfaces=args.nonfaces,
            show_name=args.show,
        )
    if args.json:
        print(
            json.dumps(
                {"out": str(out), "count": args.count, "style": args.style, "classes": counts},
                indent=2,
            )
        )
    else:
        print(
            f"{out}: {args.count} {args.style} faces in {len(counts)} folders "
            f"<character>/<emotion>, listed in {out / 'faces.csv'}"
        )
    return 0


def _conventions(text: str) -> tuple[str, tuple[str, ...]]:
    name, _, values = text.partition("=")
    picked = tuple(v.strip() for v in values.split(",") if v.strip())
    if not name or not picked:
        raise argparse.ArgumentTypeError(f"expected CONVENTION=VALUE[,VALUE], got {text!r}")
    return name.strip(), picked


def _artists(args: argparse.Namespace) -> int:
    choices = restricted(dict(args.only), dict(args.without))  # before anything is written
    out = _out_dir(args.out)
    counts = write_artist_faces(out, args.count, args.artists, args.seed, args.size, choices)
    sheet = None
    if args.sheet:
        sheet = write_contact_sheet(args.sheet, min(args.artists, 12), args.seed, choices)
    if args.json:
        report = {"out": str(out), "count": args.count, "artists": args.artists, "classes": counts}
        print(json.dumps(report | ({"sheet": str(args.sheet)} if sheet else {})))
    else:
        print(
            f"{out}: {args.count} faces by {args.artists} artists in <artist>/<emotion>, "
            f"listed in {out / 'faces.csv'}, the artists in {out / 'artists.json'}"
        )
        if sheet:
            print(f"{args.sheet}: {sheet[0]}x{sheet[1]} contact sheet (artists by emotions)")
    return 0


def _sheet(args: argparse.Namespace) -> int:
    width, height = write_sheet(args.out, seed=args.seed, show_name=args.show)
    print(f"{args.out}: {width}x{height} contact sheet")
    return 0


def _degrade(args: argparse.Namespace) -> int:
    episodes = find_episodes(args.in_dir)  # checks the input before anything is written
    if args.out.resolve() == args.in_dir.resolve():
        raise ValueError(
            f"{args.out}: OUT_DIR must differ from IN_DIR, or the clean episodes are lost"
        )
    total = sum(probe(e.video_path).frames for e in episodes)
    out = _out_dir(args.out)
    done = []
    with tqdm(
        total=total, unit="frame", desc="degrading", disable=args.json or None, file=sys.stderr
    ) as bar:
        for index, files in enumerate(episodes):
            done.append(
                degrade_episode(
                    files,
                    out,
                    seed=args.seed,
                    index=index,
                    strength=args.strength,
                    on_frame=lambda _i: bar.update(1),
                )
            )
    if args.json:
        summary = {
            "out": str(out),
            "strength": args.strength,
            "seed": args.seed,
            "episodes": [
                {"episode_id": d.episode_id, "frames": d.frames, "degrade": asdict(d.params)}
                for d in done
            ],
        }
        print(json.dumps(summary))
    else:
        for d in done:
            p = d.params
            print(
                f"{d.video_path}: {d.frames} frames, {args.strength}: scale {p.transfer_scale}, "
                f"blur {p.blur_sigma_px} px, grain {p.grain_sigma}, jpeg {p.jpeg_quality}, "
                f"crf {p.crf}"
            )
    return 0


def _real_nonfaces(args: argparse.Namespace) -> int:
    settings = CutSettings(frames_per_image=args.frames, crops_per_image=args.crops)
    sources = load_sources(args.sources)
    listed = sum(len(s.paths) for s in sources.values() if s.split == args.split)
    with tqdm(
        total=listed, unit="picture", desc="cutting", disable=args.json or None, file=sys.stderr
    ) as bar:
        summary = cut_nonfaces(
            args.src_dir,
            args.out,
            split=args.split,
            seed=args.seed,
            settings=settings,
            sources=sources,
            video_path=args.video,
            on_image=lambda _s: bar.update(1),
        )
    for s in summary.skipped:
        print(f"toon: warning: {s.path}: {s.reason}, skipped", file=sys.stderr)
    report = summary.as_json()
    if args.json:
        print(json.dumps(report))
        return 0
    for name, counts in report["sources"].items():
        print(
            f"{name}: {counts['images']} pictures -> {counts['frames']} frames, "
            f"{counts['crops']} windows"
        )
    print(
        f"{args.out}: {report['frames']} frames in frames/, {report['crops']} windows in "
        f"crops/nonface/ ({args.split}, {len(summary.skipped)} pictures skipped)"
    )
    if summary.video_path is not None:
        print(f"{summary.video_path}: {summary.video_frames} video frames, one picture a second")
    return 0


_positive_int = at_least(1)
_seed = at_least(0)
_count = _seed  # a count of things that may be none: the same rule, 0 or more


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"must be in (0, 3600], got {value}")
    return value


def _show_name(text: str) -> str:
    try:
        return show(text).name
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _show_flag(parser: argparse.ArgumentParser) -> None:
    casts = "; ".join(f"{s.name}: {', '.join(s.cast)}" for s in SHOWS.values())
    parser.add_argument(
        "--show",
        type=_show_name,
        default=DEFAULT_SHOW,
        metavar="SHOW",
        help=f"which cartoon to draw, its cast and drawing style ({casts}; artists-<seed>: "
        "a<seed>-1 and a<seed>-2, drawn by two random artists of that seed; "
        f"default {DEFAULT_SHOW})",
    )


def register(sub: argparse._SubParsersAction) -> None:
    synth = sub.add_parser(
        "synth",
        help="draw synthetic cartoon episodes, faces and a contact sheet; degrade episodes",
        description="Procedural cartoon world with ground truth: the demo's and the tests' data.",
    )
    ss = synth.add_subparsers(dest="synth_command", metavar="WHAT")
    ss.required = True

    ep = ss.add_parser(
        "episodes",
        help="write OUT/<episode_id>.mp4 (H.264) and .truth.csv",
        description="Render episodes as H.264 MP4 with a per-frame truth CSV "
        "(frame,time_s,character,emotion,intensity,x1,y1,x2,y2,visible)"
        " and a metadata JSON. The same seed gives identical truth.",
    )
    ep.add_argument("out", type=Path, metavar="OUT", help="output folder (created if missing)")
    ep.add_argument("--count", type=_positive_int, default=1, help="episodes (default 1)")
    ep.add_argument("--seconds", type=_seconds, default=60.0, help="length of each (default 60)")
    ep.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    ep.add_argument("--width", type=_positive_int, default=640, help="frame width (default 640)")
    ep.add_argument("--height", type=_positive_int, default=360, help="frame height (default 360)")
    ep.add_argument("--fps", type=_positive_int, default=24, help="frames per second (default 24)")
    ep.add_argument(
        "--jobs",
        type=_positive_int,
        default=1,
        help="episodes rendered in parallel, up to one per core (default 1)",
    )
    _show_flag(ep)
    ep.add_argument("--json", action="store_true", help="print what was written as JSON")
    ep.set_defaults(func=_episodes)

    fa = ss.add_parser(
        "faces",
        help="write labelled crops OUT/<character>/<emotion>/<id>.png",
        description="Face crops straight from the renderer, balanced over "
        "characters and emotions, listed in OUT/faces.csv.",
    )
    fa.add_argument("out", type=Path, metavar="OUT", help="output folder (created if missing)")
    fa.add_argument("--count", type=_positive_int, required=True, help="number of crops")
    fa.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    fa.add_argument(
        "--style",
        choices=STYLES,
        default="color",
        help="color: cartoon crops as a detector sees them; sketch: black line art",
    )
    fa.add_argument("--size", type=_positive_int, default=64, help="crop side in px (default 64)")
    fa.add_argument(
        "--nonfaces",
        type=int,
        default=0,
        help="also write this many windows without a face to OUT/nonface/ (default 0); "
        "they teach the model's character head 'other'",
    )
    _show_flag(fa)
    fa.add_argument("--json", action="store_true", help="print the counts per class as JSON")
    fa.set_defaults(func=_faces)

    sh = ss.add_parser(
        "sheet",
        help="write a contact sheet PNG: characters by emotions",
        description="A picture of the synthetic world at a glance.",
    )
    sh.add_argument("out", type=Path, metavar="OUT.png", help="PNG file to write")
    sh.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    _show_flag(sh)
    sh.set_defaults(func=_sheet)

    ar = ss.add_parser(
        "artists",
        help="draw faces of the seven emotions by many random artists' conventions",
        description="Faces drawn the ways other artists draw them: each artist picks eyes "
        "(ovals, dots, large with a coloured iris, lashes), brows (none, lines, blocks), a mouth "
        "(plain, a heavy line, fangs), a nose, a head (round, wide, tall, eared, a box), line "
        "weight and colour (or none), flat, cel or gradient shading, a palette and an accessory "
        "that leaves the expression alone. Writes OUT/artist-<k>/<emotion>/<seed>-<i>.png "
        "(balanced over artists x emotions), OUT/faces.csv and OUT/artists.json. The same seed "
        "gives the same files; the classic show is not drawn this way.",
    )
    ar.add_argument("out", type=Path, metavar="OUT", help="output folder (created if missing)")
    ar.add_argument("--count", type=_positive_int, default=700, help="faces in all (700)")
    ar.add_argument("--artists", type=_positive_int, default=10, help="artists (10)")
    ar.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    ar.add_argument("--size", type=at_least(16), default=64, help="pixels a side (64)")
    ar.add_argument(
        "--sheet", type=Path, metavar="SHEET.png", help="also a contact sheet of up to 12 of them"
    )
    for flag, says in (
        ("--only", "draw CONVENTION only in these ways, e.g. eyes=lashes,dots"),
        ("--without", "never draw CONVENTION these ways, e.g. head=box (a style held out)"),
    ):
        ar.add_argument(
            flag, type=_conventions, action="append", default=[],
            metavar="CONVENTION=VALUE[,VALUE]",
            help=f"{says}; conventions: {', '.join(CONVENTIONS)}",
        )  # fmt: skip
    ar.add_argument("--json", action="store_true", help="print what was written as one JSON line")
    ar.set_defaults(func=_artists)

    de = ss.add_parser(
        "degrade",
        help="re-encode episodes as old transfers: graded, grainy, soft, compressed",
        description="Re-encode every episode of a `toon synth episodes` folder as an old "
        "transfer (colour grade, grain, blur, down-and-up scaling, JPEG blocks, gate weave, "
        "H.264 at a high CRF), keeping size, frame rate and frames so the truth still holds. "
        "The truth CSV is copied; the JSON gains a 'degrade' key with the settings.",
    )
    de.add_argument("in_dir", type=Path, metavar="IN_DIR", help="folder of `synth episodes` output")
    de.add_argument("out", type=Path, metavar="OUT_DIR", help="output folder (created if missing)")
    de.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    de.add_argument(
        "--strength",
        choices=STRENGTHS,
        default="medium",
        help="how worn: light, medium (default) or heavy",
    )
    de.add_argument("--json", action="store_true", help="print what was written as one JSON line")
    de.set_defaults(func=_degrade)

    rn = ss.add_parser(
        "real-nonfaces",
        help="cut real pictures without faces into frames (negatives) and windows (`other`)",
        description="Cut the real pictures that synth/nonface_sources/ lists for a split (found "
        "under SRC_DIR/<source>/, as `make nonfaces` extracts them) into 640x360 frames, "
        "OUT/frames/<source>-<n>.jpg, at a few zoom levels each (large pictures resized and "
        "cropped, small textures tiled), and 64x64 windows of 30-200 px, "
        "OUT/crops/nonface/<source>-<n>.png, which `toon train` reads as `other`. "
        "OUT/nonfaces.csv says what each file was cut from. The same seed gives the same files.",
    )
    rn.add_argument("src_dir", type=Path, metavar="SRC_DIR", help="folder of <source>/ folders")
    rn.add_argument("out", type=Path, metavar="OUT", help="output folder (created if missing)")
    rn.add_argument("--split", choices=SPLITS, required=True, help="which sources to cut")
    rn.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    rn.add_argument(
        "--frames",
        type=_positive_int,
        default=CutSettings.frames_per_image,
        help=f"frames per picture, one per zoom level (default {CutSettings.frames_per_image})",
    )
    rn.add_argument(
        "--crops",
        type=_count,
        default=CutSettings.crops_per_image,
        help=f"64x64 windows per picture (default {CutSettings.crops_per_image})",
    )
    rn.add_argument(
        "--video",
        type=Path,
        metavar="OUT.mp4",
        help="also write the frames as an H.264 clip, each held one second at 24 fps, so "
        "`toon index --sample-fps 1` looks at every frame once",
    )
    rn.add_argument(
        "--sources",
        type=Path,
        default=SOURCES_DIR,
        metavar="DIR",
        help="folder of <source>.txt lists (default: synth/nonface_sources)",
    )
    rn.add_argument("--json", action="store_true", help="print what was written as one JSON line")
    rn.set_defaults(func=_real_nonfaces)
