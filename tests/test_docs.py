"""The documentation stays true and small: the command reference is the parsers' own text, the
README and BENCHMARKS.md keep their budgets, and no relative link points at nothing."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

README_MAX_BYTES = 12_288  # the README is a door, not the manual: the manual lives in docs/
HEADLINE_MAX_ROWS = 12  # BENCHMARKS.md's headline: the figures users care about, each re-run
HEADLINE_COLUMNS = ["figure", "value", "goal", "command"]

# Where links are checked: the front pages, everything under docs/, the packages' READMEs.
LINKED_DOCS = sorted(
    [
        ROOT / "README.md",
        ROOT / "BENCHMARKS.md",
        *(ROOT / "docs").rglob("*.md"),
        *(
            ROOT / package / "README.md"
            for package in ("synth", "cascades", "model", "indexer", "warehouse")
            if (ROOT / package / "README.md").is_file()
        ),
    ]
)

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", flags=re.M | re.S)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", flags=re.S)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", flags=re.M)


def prose(markdown: str) -> str:
    """The text outside fenced blocks and code spans, where a link is a link."""
    return CODE_SPAN.sub("", FENCE.sub("", markdown))


def anchors(markdown: str) -> set[str]:
    """The heading anchors GitHub makes: lower case, punctuation dropped, spaces to hyphens,
    `-1`, `-2` for repeats.

    Example:
        >>> sorted(anchors("## Indexing: `toon index`\\n## Indexing: `toon index`"))
        ['indexing-toon-index', 'indexing-toon-index-1']
    """
    seen: dict[str, int] = {}
    out = set()
    for text in HEADING.findall(FENCE.sub("", markdown)):
        text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link's text only
        slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def broken_links(path: Path) -> list[str]:
    """Every relative link of `path` whose file, or heading in a Markdown file, is missing."""
    text = path.read_text(encoding="utf-8")
    broken = []
    for target in LINK.findall(prose(text)):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, flags=re.I):  # http:, mailto:, ...
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked.read_text()):
            broken.append(f"{target}: no heading #{anchor} in {linked.name}")
    return broken


@pytest.mark.parametrize("path", LINKED_DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_at_a_file_that_exists(path: Path) -> None:
    assert broken_links(path) == []


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("", []),
        ("[here](README.md)", []),
        ("[gone](no-such-file.md)", ["no-such-file.md: no such file"]),
        ("![picture](docs/sheet.png)", []),
        ("[folder](docs)", []),
        ("[web](https://example.com/x.md)", []),
        ("`[not a link](nowhere.md)`", []),
        ("```\n[not a link](nowhere.md)\n```", []),
        ("[heading](BENCHMARKS.md#headline-figures)", []),
        ("[heading](BENCHMARKS.md#no-such-heading)", ["BENCHMARKS.md#no-such-heading: no heading"]),
        ("[twice](BENCHMARKS.md#headline-figures-1)", []),
        ("# Top\n[self](#top)", []),
    ],
)
def test_broken_links_finds_what_a_reader_would_miss(
    tmp_path: Path, markdown: str, expected: list[str]
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "sheet.png").write_bytes(b"")
    (tmp_path / "README.md").write_text("# Readme\n")
    (tmp_path / "BENCHMARKS.md").write_text("## Headline figures\n\n## Headline figures\n")
    page = tmp_path / "page.md"
    page.write_text(markdown)
    found = broken_links(page)
    assert [f[: len(e)] for f, e in zip(found, expected, strict=True)] == expected


def test_the_cli_reference_is_what_make_docs_writes() -> None:
    from toon.reference import build_reference

    committed = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    fresh = build_reference()
    if committed != fresh:
        diff = difflib.unified_diff(
            committed.splitlines(), fresh.splitlines(), "docs/cli.md", "the parsers", lineterm=""
        )
        pytest.fail("docs/cli.md is stale: run make docs\n" + "\n".join(list(diff)[:60]))


def test_the_cli_reference_covers_every_command_whatever_the_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from toon.cli import build_parser
    from toon.reference import build_reference, walk

    monkeypatch.setenv("COLUMNS", "40")
    narrow = build_reference()
    monkeypatch.setenv("COLUMNS", "250")
    assert build_reference() == narrow
    commands = [" ".join(words) for words, _ in walk(build_parser())]
    assert {"toon", "toon synth episodes", "toon cascade train", "toon proposer train"} <= set(
        commands
    )
    assert len(commands) == len(set(commands))
    for command in commands:
        assert f"\n## {command}\n\n```text\nusage: {command} " in narrow


def test_the_readme_opens_with_the_two_commands_and_stays_small() -> None:
    readme = (ROOT / "README.md").read_bytes()
    assert len(readme) <= README_MAX_BYTES, f"README.md is {len(readme):,} bytes"
    block = readme.decode().split("```")[1].splitlines()
    assert [line.split()[:2] for line in block[1:]] == [["make", "demo"], ["make", "test"]]


def test_the_benchmarks_headline_table_is_short() -> None:
    text = (ROOT / "BENCHMARKS.md").read_text(encoding="utf-8")
    start = text.index("\n## Headline figures\n")
    table = re.search(r"^\|.*?(?=^[^|])", text[start:], flags=re.M | re.S)
    assert table is not None, "no table under ## Headline figures"
    rows = [line for line in table.group(0).splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert header == HEADLINE_COLUMNS
    assert 1 <= len(rows[2:]) <= HEADLINE_MAX_ROWS, f"{len(rows[2:])} headline rows"
