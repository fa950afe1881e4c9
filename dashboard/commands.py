"""`toon dashboard`: parse, check, serve."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

from dashboard.serve import ServeOptions, serve
from dashboard.settings import LABELS_FOLDER, Settings
from model import DEFAULT


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1-65535, got {port}")
    return port


def _dashboard(args: argparse.Namespace) -> int:
    if args.warehouse is None and args.frames is None and args.cast is None:
        raise ValueError(
            "give --warehouse DIR (a `toon index` folder), --frames DIR, --cast DIR, or several"
        )
    if args.cast is not None:
        from indexer.cast import read_proposal

        read_proposal(args.cast)  # a folder that is none says so here, not in the browser
    warehouse = args.warehouse.resolve() if args.warehouse else None
    labels = args.labels or (warehouse / LABELS_FOLDER if warehouse else None)
    settings = Settings(
        warehouse=warehouse,
        model=args.model.resolve(),
        labels=labels.resolve() if labels else None,
        frames=args.frames.resolve() if args.frames else None,
        cast=args.cast.resolve() if args.cast else None,
    )
    if not _loopback(args.address):
        print(
            f"toon: warning: serving on {args.address}: anyone who can reach this machine can "
            "browse the warehouse, run SQL on it and upload pictures (there is no login)",
            file=sys.stderr,
        )
    return serve(settings, ServeOptions(port=args.port, address=args.address))


def _loopback(address: str) -> bool:
    """Whether `address` is reachable from this machine only."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def register(sub: argparse._SubParsersAction) -> None:
    d = sub.add_parser(
        "dashboard",
        help="serve the dashboard on a warehouse",
        description="Serve the Streamlit dashboard on a warehouse: overview, rankings, episode "
        "timelines with video, recommendations, reference faces, sketch search, SQL, the model "
        "and labelling. Reads the published snapshot, so it works while `toon index` writes. "
        "With --frames, a Boxes page draws face boxes on frames `toon frames` picked (and "
        "with --frames alone, before anything is indexed, that page only). With --cast, a Cast "
        "page names the groups of faces `toon cast propose` found in a new show.",
    )
    d.add_argument("--warehouse", type=Path, help="folder `toon index` wrote")
    d.add_argument(
        "--frames", type=Path, help="a `toon frames` folder to draw face boxes on (Boxes page)"
    )
    d.add_argument(
        "--cast", type=Path, help="a `toon cast propose` folder whose groups to name (Cast page)"
    )
    d.add_argument("--port", type=_port, default=8501, help="(8501)")
    d.add_argument(
        "--address", default="127.0.0.1", help="address to bind (127.0.0.1: this machine only)"
    )
    d.add_argument(
        "--model", type=Path, default=DEFAULT, help="the model that indexed it (the shipped one)"
    )
    d.add_argument(
        "--labels",
        type=Path,
        help=f"ImageFolder the Label page writes (default: WAREHOUSE/{LABELS_FOLDER})",
    )
    d.set_defaults(func=_dashboard)
