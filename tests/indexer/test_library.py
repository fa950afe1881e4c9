"""`toon index` over a folder, run as a user runs it, against a real warehouse folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import faiss
import pytest

from core.names import check_episode_id
from indexer.library import _decide, _new_id
from model import DEFAULT as DEFAULT_MODEL
from toon.cli import main
from warehouse.rows import KnownEpisode, PassKey


def index(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, dict]:
    rc = main(["index", *args, "--json"])
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out  # one JSON line
    return rc, json.loads(out)


def counts(folder: Path) -> tuple[int, int, int]:
    with duckdb.connect(str(folder / "toon.duckdb"), read_only=True) as con:
        faces = con.execute("SELECT count(*) FROM faces").fetchone()[0]
        episodes = con.execute("SELECT count(*) FROM episodes").fetchone()[0]
    return faces, episodes, faiss.read_index(str(folder / "faces.faiss")).ntotal


def test_index_then_rerun_adds_nothing(
    episodes_640: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    wh = tmp_path / "wh"
    rc, report = index(capsys, str(episodes_640), "--warehouse", str(wh))
    assert rc == 0
    assert (report["indexed"], report["skipped"], report["failed"]) == (3, 0, 0)
    faces, episodes, ntotal = counts(wh)
    assert faces == report["faces"] > 0 and episodes == 3 and ntotal == faces
    rc, again = index(capsys, str(episodes_640), "--warehouse", str(wh))
    assert rc == 0
    assert (again["indexed"], again["skipped"]) == (0, 3)
    assert {e["reason"] for e in again["episodes"]} == {"already indexed"}
    assert counts(wh) == (faces, episodes, ntotal)
    assert not list(wh.glob("*.part"))


def sampling(folder: Path) -> dict[str, tuple]:
    with duckdb.connect(str(folder / "toon.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT episode_id, sample_fps, min_character_confidence, sampled_frames, faces "
            "FROM episodes"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_a_rerun_at_another_rate_says_so_and_reindex_redoes_it(
    episodes_640: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    wh = tmp_path / "wh"
    assert index(capsys, str(episodes_640), "--warehouse", str(wh), "--sample-fps", "1.5")[0] == 0
    at_15 = sampling(wh)
    assert {v[:2] for v in at_15.values()} == {(1.5, 0.8)}

    rc, again = index(capsys, str(episodes_640), "--warehouse", str(wh), "--sample-fps", "3")
    assert rc == 0 and (again["indexed"], again["skipped"]) == (0, 3)
    for e in again["episodes"]:
        assert e["reason"] == (
            f"indexed as {e['episode_id']} with --sample-fps 1.5 (now 3); --reindex redoes it"
        )
    assert sampling(wh) == at_15  # nothing replaced without being asked

    rc, redone = index(
        capsys, str(episodes_640), "--warehouse", str(wh), "--sample-fps", "3", "--reindex"
    )
    assert rc == 0 and redone["indexed"] == 3
    at_3 = sampling(wh)
    assert at_3.keys() == at_15.keys()
    for episode_id, (fps, floor, sampled, _) in at_3.items():
        assert (fps, floor) == (3.0, 0.8)
        assert sampled == 2 * at_15[episode_id][2]  # twice the frames looked at
    assert counts(wh)[0] == counts(wh)[2] == redone["faces"]  # rows and vectors replaced together

    rc, same = index(capsys, str(episodes_640), "--warehouse", str(wh), "--sample-fps", "3")
    assert {e["reason"] for e in same["episodes"]} == {"already indexed"}
    rc, floor = index(capsys, str(episodes_640), "--warehouse", str(wh), "--sample-fps", "3",
                      "--min-confidence", "0.5")  # fmt: skip
    assert {e["reason"].split(" with ")[1] for e in floor["episodes"]} == {
        "--min-confidence 0.8 (now 0.5); --reindex redoes it"
    }


def test_changed_file_replaces_its_rows_and_bad_file_fails_alone(
    episodes_640: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    first, second = sorted(episodes_640.glob("*.mp4"))[:2]
    shutil.copy(first, lib / "ep.mp4")
    (lib / "broken.mkv").write_bytes(b"not a video at all" * 50)
    wh = tmp_path / "wh"
    rc, report = index(capsys, str(lib), "--warehouse", str(wh))
    assert rc == 1  # some episodes failed
    by_id = {e["episode_id"]: e for e in report["episodes"]}
    assert by_id["broken"]["status"] == "failed" and "broken.mkv" in by_id["broken"]["reason"]
    assert by_id["ep"]["status"] == "indexed"
    with duckdb.connect(str(wh / "toon.duckdb"), read_only=True) as con:
        status = dict(con.execute("SELECT episode_id, status FROM episodes").fetchall())
        old_ids = {r[0] for r in con.execute("SELECT face_id FROM faces").fetchall()}
    assert status == {"broken": "failed", "ep": "indexed"}

    shutil.copy(second, lib / "ep.mp4")  # the user replaced the file
    (lib / "broken.mkv").unlink()
    rc, report = index(capsys, str(lib), "--warehouse", str(wh))
    assert rc == 0 and report["indexed"] == 1
    with duckdb.connect(str(wh / "toon.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT DISTINCT episode_id FROM faces").fetchall()
        new_ids = {r[0] for r in con.execute("SELECT face_id FROM faces").fetchall()}
    assert rows == [("ep",)]
    assert new_ids and not new_ids & old_ids  # replaced, ids never reused
    faces, _, ntotal = counts(wh)
    assert faces == ntotal == report["faces"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{tmp}/missing", "--warehouse", "{tmp}/wh"], "missing: no such file or folder"),
        (["{tmp}/empty", "--warehouse", "{tmp}/wh"], "no video files"),
        (["{tmp}/lib", "--warehouse", "{tmp}/wh", "--model", "{tmp}/empty"], "not a model folder"),
        (["{tmp}/lib", "--warehouse", "{tmp}/wh", "--cascades", "{tmp}/empty"], "no cascade XML"),
        (["{tmp}/lib", "--warehouse", "{tmp}/lib/ep.mp4"], "exists and is not a folder"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture, args: list[str], message: str
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "ep.mp4").write_bytes(b"")
    rc = main(["index", *[a.format(tmp=tmp_path) for a in args]])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and message in err[0]
    assert not (tmp_path / "wh" / "toon.duckdb").exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2", "argument --min-confidence: must be below 1, got 2"),
        ("1", "argument --min-confidence: must be below 1, got 1"),
        ("-0.5", "argument --min-confidence: must be at least 0, got -0.5"),
        ("high", "argument --min-confidence: must be a number, got 'high'"),
    ],
)
def test_min_confidence_is_a_probability_below_1(
    tmp_path: Path, capsys: pytest.CaptureFixture, value: str, message: str
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(
            ["index", str(tmp_path), "--warehouse", str(tmp_path / "wh"), "--min-confidence", value]
        )
    assert stop.value.code == 2
    assert capsys.readouterr().err == f"toon index: error: {message}\n"


def test_sample_fps_must_be_positive(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["index", str(tmp_path), "--warehouse", str(tmp_path / "wh"), "--sample-fps", "0"])
    assert stop.value.code == 2
    assert "--sample-fps" in capsys.readouterr().err


class _Indexer:  # what _decide reads of an Indexer
    key = PassKey("m1", "c1", 1.5, 0.8)


def _known(path: str, sha: str, status: str, model: str = "m1") -> KnownEpisode:
    return KnownEpisode("ep", path, sha, status, model, "c1", 1.5, 0.8)


@pytest.mark.parametrize(
    ("known", "reindex", "expected"),
    [
        ([], False, ("ep", None)),
        (
            [_known("/x/ep.mp4", "h", "indexed")],
            False,
            ("ep", "already indexed"),
        ),
        (
            [_known("/y/ep.mp4", "h", "indexed")],
            False,
            ("ep", "same content as episode ep"),
        ),
        ([_known("/x/ep.mp4", "old", "indexed")], False, ("ep", None)),
        ([_known("/x/ep.mp4", "h", "failed")], False, ("ep", None)),
        ([_known("/y/ep.mp4", "z", "indexed")], False, ("ep-h", None)),
        ([_known("/x/ep.mp4", "h", "indexed", "m0")], True, ("ep", None)),
    ],
)
def test_decide(known: list, reindex: bool, expected: tuple) -> None:
    assert _decide(Path("/x/ep.mp4"), "h", known, _Indexer(), reindex) == expected


def test_decide_other_model_needs_reindex() -> None:
    known = [_known("/x/ep.mp4", "h", "indexed", "m0")]
    episode_id, reason = _decide(Path("/x/ep.mp4"), "h", known, _Indexer(), False)
    assert (episode_id, reason) == ("ep", "indexed as ep with another model; --reindex redoes it")


@pytest.mark.parametrize(
    ("name", "taken", "expected"),
    [
        ("é1.mp4", set(), "é1"),
        ("Ünïcödé épisode.mkv", set(), "Ünïcödé_épisode"),
        ("トムとジェリー 01.mp4", set(), "トムとジェリー_01"),
        ("with space.mp4", set(), "with_space"),
        ("100% frame%02d.mp4", set(), "100_frame_02d"),
        ("...mp4", set(), "episode"),
        (".hidden.mp4", set(), "hidden"),
        ("ep.mp4", {"ep"}, "ep-abcdef01"),
        (f"{'x' * 200}.mp4", {"x" * 119}, f"{'x' * 119}-abcdef01"),
    ],
)
def test_new_id_keeps_any_alphabet(name: str, taken: set, expected: str) -> None:
    episode_id = _new_id(Path("/lib") / name, "abcdef0123", taken)
    assert episode_id == expected
    assert check_episode_id(episode_id) == expected


def test_cascades_for_a_cast_the_model_does_not_name_are_refused(
    episodes_640: Path, tmp_path: Path
) -> None:
    """A new show's cascades with the shipped model (a forgotten --model) would store the new
    cast's faces as tom and jerry: refused before anything is written."""
    from cascades import DEFAULT as SHIPPED
    from tests.conftest import run_toon

    mine = tmp_path / "cascades-mine"
    mine.mkdir()
    for suffix in (".xml", ".json"):
        shutil.copy(SHIPPED / f"tom{suffix}", mine / f"bunny{suffix}")
    wh = tmp_path / "wh"
    rc, out, err = run_toon(
        ["index", str(episodes_640), "--warehouse", str(wh), "--cascades", str(mine)]
    )
    assert rc == 2 and out == ""
    assert err.strip() == (
        f"toon: error: {mine} finds bunny, but the model {DEFAULT_MODEL} names tom, jerry: bunny "
        "would be stored as one of those (give --model the model trained for this cast)"
    )
    assert not wh.exists()
