"""Naming a new cast: the shipped finder proposes faces of a show it never saw, they are
grouped, a person names, merges and rejects groups, and the named faces become training data."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np

from core.detections import iou
from core.truth import DONT_CARE_VISIBLE, read_truth
from indexer.cast import MARKER, NAMES, REST, group_tracks
from tests.conftest import run_toon


def test_tracks_are_grouped_whole_and_groups_are_numbered_largest_first() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=16), rng.normal(size=16)
    # track 0 and 2 look like a, track 1 like b; track 1 has the most faces
    track = np.array([0, 0, 1, 1, 1, 1, 1, 2, 2])
    looks = np.array([a, a, b, b, b, b, b, a, a]) + rng.normal(scale=0.05, size=(9, 16))
    group = group_tracks(track, looks, distance=0.25)
    assert group.tolist() == [1, 1, 0, 0, 0, 0, 0, 1, 1]
    # one face unlike its track's others still goes with its track
    looks[0] = b
    assert group_tracks(track, looks, distance=0.25)[0] == group_tracks(track, looks)[1]
    assert group_tracks(np.zeros(0, int), np.zeros((0, 16))).size == 0


def _truth_character(show: Path, row: dict) -> str | None:
    """The character of the owed truth face a proposed face overlaps (IoU >= 0.5), if any."""
    frame = int(row["frame"])
    truth = [
        r
        for r in read_truth(show / f"{row['episode']}.truth.csv")
        if r.frame == frame and r.visible >= DONT_CARE_VISIBLE
    ]
    if not truth:
        return None
    box = np.array([[float(row[k]) for k in ("x1", "y1", "x2", "y2")]])
    overlap = iou(box, np.array([r.xyxy for r in truth], float))[0]
    return truth[int(overlap.argmax())].character if overlap.max() >= 0.5 else None


def test_the_shipped_finder_proposes_faces_of_a_show_it_never_saw(
    proposed_cast: Path, artist_episodes: Path
) -> None:
    proposed = proposed_cast
    with open(proposed / "faces.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert all((proposed / "crops" / f"{r['face_id']}.png").is_file() for r in rows)
    doc = json.loads((proposed / MARKER).read_text())
    assert {g["name"] for g in doc["groups"]} == {r["group"] for r in rows}
    assert all((proposed / "groups" / f"{g['name']}.png").is_file() for g in doc["groups"])
    truth = [_truth_character(artist_episodes, r) for r in rows]
    # most of what it proposes are faces of the cast
    assert sum(t is not None for t in truth) / len(rows) >= 0.8
    # and the largest groups are each mostly one character
    for g in [g["name"] for g in doc["groups"] if g["name"] != REST][:2]:
        mine = [t for t, r in zip(truth, rows, strict=True) if r["group"] == g and t]
        top = max(mine.count(c) for c in set(mine))
        assert top / len(mine) >= 0.8, (g, mine)


def test_a_person_names_merges_and_rejects_groups_then_exports(
    proposed_cast: Path, artist_episodes: Path, tmp_path: Path
) -> None:
    proposed = tmp_path / "cast"
    shutil.copytree(proposed_cast, proposed)
    groups = [g["name"] for g in json.loads((proposed / MARKER).read_text())["groups"]]
    assert groups[-1] == REST or REST not in groups  # the small ones together, last
    groups = [g for g in groups if g != REST]
    assert len(groups) >= 2
    first, second, *others = groups
    rc, out, err = run_toon(
        ["cast", "name", str(proposed), f"{first}=hero", f"{second}=hero", "--json"]
        + [a for g in others[:1] for a in ("--reject", g)]
    )
    assert rc == 0, err
    decided = json.loads(out)["groups"]
    assert decided[first] == decided[second] == "hero"
    assert all(decided[g] is None for g in others[:1])
    # a group that is not there, or a name that may not name a folder: one line, nothing kept
    before = (proposed / NAMES).read_bytes()
    for bad in (["g99=x"], [f"{first}=../up"], [f"{first}=other"], [f"{REST}=x"]):
        rc, _, err = run_toon(["cast", "name", str(proposed), *bad])
        assert rc == 2 and err.count("\n") == 1, err
    assert (proposed / NAMES).read_bytes() == before
    # proposing again over a person's names is refused, and they stay
    rc, _, err = run_toon(["cast", "propose", str(artist_episodes), "--out", str(proposed)])
    assert rc == 2 and "names.json" in err
    assert (proposed / NAMES).read_bytes() == before

    data = tmp_path / "data"
    rc, out, err = run_toon(["cast", "export", str(proposed), "--out", str(data), "--json"])
    assert rc == 0, err
    report = json.loads(out)
    with open(proposed / "faces.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert report["characters"] == {"hero": sum(r["group"] in (first, second) for r in rows)}
    assert report["rejected"] == sum(r["group"] in others[:1] for r in rows)
    assert len(list((data / "hero" / "unlabelled").glob("*.png"))) == report["characters"]["hero"]
    # a person's folder is never an export's
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    rc, _, err = run_toon(["cast", "export", str(proposed), "--out", str(mine)])
    assert rc == 2 and (mine / "notes.txt").read_text() == "keep"


def test_the_finder_alone_indexes_and_the_head_names_its_faces(
    episodes_640: Path, tmp_path: Path
) -> None:
    import duckdb

    from cascades import FINDER

    wh = tmp_path / "wh"
    rc, out, err = run_toon(
        ["index", str(episodes_640), "--warehouse", str(wh), "--cascades", str(FINDER), "--json"]
    )
    assert rc == 0, err
    con = duckdb.connect(str(wh / "toon.duckdb"), read_only=True)
    try:
        stored = {c for (c,) in con.execute("SELECT DISTINCT character FROM faces").fetchall()}
        cast = con.execute("SELECT value FROM meta WHERE key = 'cast'").fetchone()[0]
    finally:
        con.close()
    # no face is stored as the finder's class: the model's head names each one
    assert stored == {"tom", "jerry"}
    assert sorted(cast.split(",")) == ["jerry", "tom"]
    rc, out, err = run_toon(
        ["evaluate-index", "--warehouse", str(wh), "--truth", str(episodes_640), "--json"]
    )
    assert rc == 0, err
    assert json.loads(out)["detection"]["recall"] >= 0.7
