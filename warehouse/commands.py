"""`toon rank|sql|subtitles|recommend`: questions to a warehouse, answered from its snapshot.

These read only the published snapshot, so they answer while `toon index` is writing.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path

from warehouse import queries, reader
from warehouse.sandbox import SandboxLimits
from warehouse.sandbox_checks import MAX_SQL_BYTES, QUERY_TOO_LONG, SandboxError, check_sql_text
from warehouse.sandbox_child import run_sql_apart
from warehouse.schema import EMOTIONS
from warehouse.subtitles import FORMATS, subtitles


def at_least(low: float, kind: type = int) -> Callable[[str], float]:
    """An argparse type: a number of `kind` >= `low`, or a one-line usage error.

    The same rule as `core.argtypes.at_least`, kept here because the warehouse imports no
    other package of ours (the dashboard and `toon sql` use it without the rest).
    """

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a {'whole ' if kind is int else ''}number, got {text!r}"
            ) from None
        if not value >= low:
            raise argparse.ArgumentTypeError(f"must be at least {low:g}, got {text}")
        return value

    return parse


def print_rows(rows: list[dict], as_json: bool, columns: list[str] | None = None) -> None:
    """Rows as one JSON line (an array of objects) or as an aligned text table."""
    if as_json:
        print(json.dumps(rows, default=str))
        return
    if not rows:
        print("(no rows)")
        return
    columns = columns or list(rows[0])

    def cell(v: object) -> str:
        return f"{v:.4f}" if isinstance(v, float) else "" if v is None else str(v)

    table = [[cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(t[i]) for t in table)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for t in table:
        print("  ".join(v.ljust(w) for v, w in zip(t, widths, strict=True)).rstrip())


def _rank(args: argparse.Namespace) -> int:
    with reader.connect(args.warehouse) as con:
        rows = queries.rank(con, args.emotion, args.by, interval=not args.no_interval)
    keys = {"character": ["character"], "episode": ["episode_id", "title"]}.get(
        args.by, ["character", "episode_id"]
    )
    if args.json:
        print_rows(rows, True)
        return 0
    for row in rows:
        low, high = row.get("share_low"), row.get("share_high")
        row["interval"] = "" if low is None else f"{low:.4f}-{high:.4f}"
    interval = [] if args.no_interval else ["interval"]
    print_rows(
        rows, False, ["rank", *keys, "share", *interval, "seconds", "total_seconds", "faces"]
    )
    if not args.no_interval:
        print(
            f"toon: note: share is of total_seconds on screen; interval: {queries.INTERVAL:.0%}, "
            "bootstrapped over tracks; rows whose intervals overlap are too close to call",
            file=sys.stderr,
        )
    return 0


# The dashboard's SQL page runs a query with these limits; `toon sql` starts from them.
LIMITS = SandboxLimits()
STDIN = "-"


def _sql(args: argparse.Namespace) -> int:
    limits = dataclasses.replace(
        LIMITS, time_limit_s=args.time_limit, memory_limit=args.memory_limit, max_rows=args.max_rows
    )
    database = reader.snapshot_path(args.warehouse)
    # in a child process, as the SQL page runs it: a query that builds gigabytes is stopped at
    # the same memory cap, in its own process
    result = run_sql_apart(database, query_text(args.query, args.file), limits)
    print_rows(result.to_records(), args.json, list(result.columns))
    if result.truncated:
        print(
            f"toon: note: only the first {args.max_rows} rows are shown (--max-rows)",
            file=sys.stderr,
        )
    return 0


def query_text(sql: str | None, file: Path | None) -> str:
    """The query: `sql` itself, or the text of `file` ('-', as `file` or as `sql`: stdin).

    Raises:
        OSError: the file cannot be read (named, with the reason).
        ValueError: its text is not UTF-8, is empty or is over the sandbox's size limit.
    """
    if file is None and sql != STDIN:
        return sql or ""
    source = file if file is not None else Path(STDIN)
    name = "stdin" if str(source) == STDIN else str(source)
    try:
        if str(source) == STDIN:
            data = sys.stdin.buffer.read(MAX_SQL_BYTES + 1)
        else:
            with source.open("rb") as f:
                data = f.read(MAX_SQL_BYTES + 1)
    except OSError as error:
        raise OSError(f"{name}: cannot read the query ({error.strerror or error})") from None
    if len(data) > MAX_SQL_BYTES:
        raise SandboxError(f"{name}: {QUERY_TOO_LONG}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SandboxError(
            f"{name}: the query is not UTF-8 text (byte {data[error.start]:#04x} at offset "
            f"{error.start})"
        ) from None
    try:
        return check_sql_text(text)
    except SandboxError as error:
        raise SandboxError(f"{name}: {error}") from None


def _subtitles(args: argparse.Namespace) -> int:
    with reader.connect(args.warehouse) as con:
        text = subtitles(con, args.episode_id, args.format)
    if args.out:
        tmp = args.out.with_name(args.out.name + ".part")
        tmp.write_text(text)
        tmp.replace(args.out)
    else:
        sys.stdout.write(text)
    return 0


def _mood(text: str) -> tuple[str, str | None]:
    emotion, _, character = text.partition(":")
    if emotion not in EMOTIONS:
        raise argparse.ArgumentTypeError(
            f"unknown emotion {emotion!r}; choose one of: {', '.join(EMOTIONS)}"
        )
    return emotion, character or None


def _recommend(args: argparse.Namespace) -> int:
    with reader.connect(args.warehouse) as con:
        if args.like:
            rows = queries.recommend_like(con, args.like, args.k)
            columns = ["rank", "episode_id", "title", "distance"]
        else:
            emotion, character = args.mood
            rows = queries.recommend_mood(con, emotion, character, args.k)
            columns = ["rank", "episode_id", "title", "share", "seconds"]
    print_rows(rows, args.json, columns)
    return 0


def add_warehouse(p: argparse.ArgumentParser) -> None:
    p.add_argument("--warehouse", required=True, type=Path, metavar="DIR", help="warehouse folder")


def register(sub: argparse._SubParsersAction) -> None:
    rk = sub.add_parser(
        "rank",
        help="who shows an emotion most: characters, episodes or both",
        description="Rank characters, episodes or (character, episode) pairs by the share of "
        "their on-screen seconds that show EMOTION. 'Which character is happiest?' is "
        "`toon rank --emotion happy`. Beside each share: the seconds it rests on "
        f"(total_seconds) and a {queries.INTERVAL:.0%} interval, a bootstrap over tracks (one "
        "face through one shot), so that two rows whose intervals overlap read as too close to "
        "call.",
    )
    add_warehouse(rk)
    rk.add_argument("--emotion", required=True, choices=EMOTIONS)
    rk.add_argument("--by", choices=queries.RANK_BY, default="character", help="(character)")
    rk.add_argument(
        "--no-interval",
        action="store_true",
        help="skip the intervals (they read every face; the shares read per-episode sums)",
    )
    rk.add_argument("--json", action="store_true", help="print one JSON array of rows")
    rk.set_defaults(func=_rank)

    sq = sub.add_parser(
        "sql",
        help="run one read-only SQL query on the warehouse, in a sandbox",
        description="One SELECT (or WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN) on the latest "
        "snapshot, on its own read-only connection in a process of its own, with the dashboard "
        "SQL page's limits: no files, no extensions, no settings changes, a memory limit "
        f"(the process is stopped past {LIMITS.process_bytes / 2**30:g} GB), a time limit, a "
        f"row cap and a {LIMITS.max_bytes // 2**20} MB cap on the rows returned. Tables: "
        "episodes, faces, samples, embeddings, thumbnails; views: episode_character_emotions, "
        "character_emotions (see warehouse/README.md).",
    )
    add_warehouse(sq)
    text = sq.add_mutually_exclusive_group(required=True)
    text.add_argument("query", metavar="SQL", nargs="?", help=f"the query ('{STDIN}': stdin)")
    text.add_argument(
        "--file",
        type=Path,
        metavar="PATH",
        help=f"read the query from this file ('{STDIN}': stdin), up to {MAX_SQL_BYTES // 2**20} MB",
    )
    sq.add_argument(
        "--time-limit",
        type=at_least(0.1, float),
        default=LIMITS.time_limit_s,
        help=f"seconds ({LIMITS.time_limit_s:g})",
    )
    sq.add_argument(
        "--memory-limit",
        default=LIMITS.memory_limit,
        help=f"DuckDB memory limit ({LIMITS.memory_limit})",
    )
    sq.add_argument(
        "--max-rows", type=at_least(1), default=LIMITS.max_rows, help=f"({LIMITS.max_rows})"
    )
    sq.add_argument("--json", action="store_true", help="print one JSON array of rows")
    sq.set_defaults(func=_sql)

    su = sub.add_parser(
        "subtitles",
        help="emotion captions for an episode (WebVTT or SubRip)",
        description="Captions such as 'Tom: angry' for every stretch of the episode in which "
        "the same characters show the same emotions; WebVTT plays in a browser's <track>.",
    )
    add_warehouse(su)
    su.add_argument("episode_id", metavar="EPISODE_ID")
    su.add_argument("--format", choices=FORMATS, default="vtt", help="(vtt)")
    su.add_argument("--out", type=Path, help="write to this file instead of stdout")
    su.set_defaults(func=_subtitles)

    rc = sub.add_parser(
        "recommend",
        help="episodes like another one, or that fit a mood",
        description="--like EPISODE_ID: episodes whose mix of characters' emotions (share of "
        "screen time per character and emotion) is nearest. --mood EMOTION[:CHARACTER]: "
        "episodes with the largest share of that emotion (for that character).",
    )
    add_warehouse(rc)
    how = rc.add_mutually_exclusive_group(required=True)
    how.add_argument("--like", metavar="EPISODE_ID")
    how.add_argument("--mood", type=_mood, metavar="EMOTION[:CHARACTER]")
    rc.add_argument("-k", type=at_least(1), default=10, help="how many episodes (10)")
    rc.add_argument("--json", action="store_true", help="print one JSON array of rows")
    rc.set_defaults(func=_recommend)
