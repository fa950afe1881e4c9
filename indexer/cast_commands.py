"""`toon cast propose|name|show|export`: name a new show's cast instead of boxing its faces."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from cascades import FINDER
from core.argtypes import at_least
from core.video import find_videos
from indexer.cast import GROUP_DISTANCE
from model import DEFAULT


def _propose(args: argparse.Namespace) -> int:
    from indexer.cast import propose_cast

    videos = find_videos(args.paths)
    if not videos:
        raise ValueError(f"{', '.join(map(str, args.paths))}: no video files")
    quiet = args.json or None
    with tqdm(unit="frame", desc="finding faces", disable=quiet, file=sys.stderr) as bar:
        proposal = propose_cast(
            videos,
            args.out,
            args.finder,
            args.model,
            sample_fps=args.sample_fps,
            distance=GROUP_DISTANCE if args.distance is None else args.distance,
            on_frames=bar.update,
        )
    if not proposal.faces:
        print(
            f"toon: note: {args.out}: the finder {args.finder} found no face on "
            f"{proposal.sampled_frames} frames; try a higher --sample-fps, or box faces instead "
            "(`toon frames`, then the Boxes page)",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(proposal.as_json()))
        return 0
    print(f"{proposal.faces} faces on {proposal.sampled_frames} frames of {proposal.episodes} "
          f"episodes, in {len(proposal.groups)} groups -> {args.out}")  # fmt: skip
    for g in proposal.groups:
        print(f"  {g.name:5s} {g.faces:6d} faces  {g.tracks:5d} tracks  {g.episodes:3d} episodes"
              f"  {args.out / 'groups' / (g.name + '.png')}")  # fmt: skip
    print(
        f"Next: look at each group's sheet and `toon cast name {args.out} g01=NAME g02=NAME "
        "--reject g03` (one name for two groups merges them)"
    )
    return 0


def _pair(text: str) -> tuple[str, str]:
    group, sep, name = text.partition("=")
    if not sep or not group or not name:
        raise argparse.ArgumentTypeError(f"expected GROUP=NAME, got {text!r}")
    return group.strip(), name.strip()


def _show(args: argparse.Namespace) -> int:
    from indexer.cast import read_names, read_proposal

    proposal, names = read_proposal(args.folder), read_names(args.folder)
    rows = [
        {
            "group": g,
            "faces": info["faces"],
            "tracks": info["tracks"],
            "name": names.get(g),
            "decided": g in names,
        }
        for g, info in proposal["groups"].items()
    ]
    if args.json:
        print(json.dumps(rows))
        return 0
    for r in rows:
        said = (r["name"] or "rejected") if r["decided"] else "-"
        print(f"{r['group']:5s} {r['faces']:6d} faces  {said}")
    undecided = [r["group"] for r in rows if not r["decided"] and r["group"] != "rest"]
    if undecided:
        print(f"undecided: {', '.join(undecided)}")
    return 0


def _name(args: argparse.Namespace) -> int:
    from indexer.cast import name_groups

    named = dict(args.pairs)
    if not (named or args.reject or args.clear):
        raise ValueError("name a group (g01=NAME), --reject one or --clear one")
    decisions = name_groups(args.folder, named, args.reject or (), args.clear or ())
    if args.json:
        print(json.dumps({"groups": decisions}))
    else:
        cast = sorted({v for v in decisions.values() if v})
        print(f"{len(decisions)} groups decided; cast: {', '.join(cast) or '(none yet)'}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from indexer.cast import export_cast

    done = export_cast(args.folder, args.out)
    if args.json:
        print(json.dumps(done.as_json()))
        return 0
    for name, n in done.characters.items():
        print(f"{name:24s} {n} faces")
    print(f"{'nonface':24s} {done.rejected} faces (rejected groups)")
    print(
        f"Next: toon train {args.out} --init MODEL --characters "
        f"{','.join(done.characters)} --out NEW_MODEL, then toon index EPISODES --model "
        f"NEW_MODEL --cascades {FINDER}"
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    cast = sub.add_parser(
        "cast",
        help="name a new show's cast from the faces a finder proposes, instead of boxing them",
        description="The finder of any cartoon face proposes the faces in your episodes; they "
        "are grouped into candidate characters (tracks across frames, and what the model sees "
        "in them). You name each group, give two groups one name to merge them, or reject one; "
        "`toon cast export` then writes the named faces as a training folder for `toon train`.",
    )
    cs = cast.add_subparsers(dest="cast_command", required=True, metavar="COMMAND")
    pr = cs.add_parser(
        "propose",
        help="find and group the faces of episodes into a cast folder",
        description="Writes OUT/cast.json, OUT/faces.csv, OUT/crops/<face_id>.png and a "
        "contact sheet OUT/groups/<group>.png per group (g01 the largest; groups of fewer "
        "than 4 faces are together in `rest`). OUT must be new, empty or a cast folder "
        "without names (names a person gave are never overwritten).",
    )
    pr.add_argument("paths", type=Path, nargs="+", metavar="PATH", help="videos or folders")
    pr.add_argument("--out", type=Path, required=True, help="cast folder to write")
    pr.add_argument("--finder", type=Path, default=FINDER, help="finder folder (the shipped one)")
    pr.add_argument("--model", type=Path, default=DEFAULT, help="model folder (the shipped one)")
    pr.add_argument(
        "--sample-fps", type=at_least(0.05, float), default=1.0, help="frames a second (1)"
    )
    pr.add_argument(
        "--distance",
        type=at_least(0.01, float),
        default=None,
        help="how unlike two tracks may be and still be one group (cosine distance; larger "
        f"makes fewer, mixed groups; {GROUP_DISTANCE})",
    )
    pr.add_argument("--json", action="store_true", help="print the proposal as one JSON line")
    pr.set_defaults(func=_propose)

    sh = cs.add_parser("show", help="the groups of a cast folder and what was decided")
    sh.add_argument("folder", type=Path, metavar="FOLDER")
    sh.add_argument("--json", action="store_true", help="one JSON array of groups")
    sh.set_defaults(func=_show)

    nm = cs.add_parser(
        "name",
        help="name, merge or reject groups",
        description="Record your decisions in FOLDER/names.json: GROUP=NAME names a group "
        "(two groups with one name are one character), --reject marks a group as no one's "
        "faces (the model learns them as not a face of the cast), --clear forgets a decision.",
    )
    nm.add_argument("folder", type=Path, metavar="FOLDER")
    nm.add_argument("pairs", type=_pair, nargs="*", metavar="GROUP=NAME")
    nm.add_argument("--reject", action="append", metavar="GROUP", help="repeatable")
    nm.add_argument("--clear", action="append", metavar="GROUP", help="repeatable")
    nm.add_argument("--json", action="store_true", help="print every decision as JSON")
    nm.set_defaults(func=_name)

    ex = cs.add_parser(
        "export",
        help="write the named faces as a training folder for `toon train`",
        description="OUT/<name>/unlabelled/<face_id>.png for every named group and "
        "OUT/nonface/<face_id>.png for rejected ones; undecided groups stay out.",
    )
    ex.add_argument("folder", type=Path, metavar="FOLDER")
    ex.add_argument("--out", type=Path, required=True, help="training folder to write")
    ex.add_argument("--json", action="store_true", help="print the counts as one JSON line")
    ex.set_defaults(func=_export)
