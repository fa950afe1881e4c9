from __future__ import annotations

import contextlib
import csv
import json
from contextlib import nullcontext as does_not_raise
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.video import count_frames, probe, read_frames
from synth.realworld import CLIP_HOLD_FRAMES, SOURCES_DIR, SPLITS, Source, load_sources
from tests.conftest import run_toon as _run

# alpha (train): a photo larger than a frame, a small tileable texture with a transparent
# corner, a flat picture (skipped) and a listed file that is not there (skipped).
# beta (held out): one WebP photo.
ALPHA = ("photos/big.jpg", "textures/tex.png", "flat.png", "gone.png")
BETA = ("walls/pic.webp",)


def _photo(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """Smooth colour blobs with fine noise: edges that do not wrap round, like a photo."""
    small = rng.integers(0, 256, (h // 40 + 2, w // 40 + 2, 3)).astype(np.uint8)
    big = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    noise = rng.normal(0, 6, big.shape)
    return np.clip(big + noise, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(SRC_DIR, lists folder) with the pictures above, drawn with numpy and cv2."""
    root = tmp_path_factory.mktemp("realworld")
    lists = root / "lists"
    lists.mkdir()
    (lists / "alpha.txt").write_text(
        "# test photos and textures\n# licence: CC0-1.0\n# split: train\n" + "\n".join(ALPHA)
    )
    (lists / "beta.txt").write_text("# split: heldout\n\n" + "\n".join(BETA) + "\n")
    rng = np.random.default_rng(7)
    files = {
        "alpha/photos/big.jpg": _photo(rng, 900, 520),
        "alpha/flat.png": np.full((80, 80, 3), 90, np.uint8),
        "beta/walls/pic.webp": _photo(rng, 700, 400),
    }
    tile = np.tile(rng.integers(0, 256, (12, 12, 3)).astype(np.uint8), (4, 4, 1))
    tex = cv2.cvtColor(tile, cv2.COLOR_BGR2BGRA)
    tex[:10, :10, 3] = 0  # a transparent corner: laid over a matte colour
    files["alpha/textures/tex.png"] = tex
    for rel, img in files.items():
        (root / "src" / rel).parent.mkdir(parents=True, exist_ok=True)
        assert cv2.imwrite(str(root / "src" / rel), img)
    return root / "src", lists


def _cut(src: tuple[Path, Path], out: Path, *extra: str) -> tuple[int, str, str]:
    src_dir, lists = src
    return _run(["synth", "real-nonfaces", str(src_dir), str(out), "--sources", str(lists), *extra])


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def train(src: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("train") / "out"
    rc, stdout, stderr = _cut(
        src, out, "--split", "train", "--seed", "5", "--frames", "2", "--crops", "3", "--json"
    )
    assert rc == 0, stderr
    assert len(stdout.strip().splitlines()) == 1
    return out, {"summary": json.loads(stdout), "stderr": stderr}


def test_writes_frames_and_windows_of_the_split(train: tuple[Path, dict]) -> None:
    out, run = train
    frames = sorted(p.name for p in (out / "frames").iterdir())
    crops = sorted(p.name for p in (out / "crops" / "nonface").iterdir())
    assert frames == [f"alpha-{n:05d}.jpg" for n in range(4)]  # 2 pictures x 2 frames
    assert crops == [f"alpha-{n:05d}.png" for n in range(6)]  # 2 pictures x 3 windows
    for name in frames:
        assert cv2.imread(str(out / "frames" / name)).shape == (360, 640, 3)
    for name in crops:
        assert cv2.imread(str(out / "crops" / "nonface" / name)).shape == (64, 64, 3)
    summary = run["summary"]
    assert (summary["split"], summary["seed"]) == ("train", 5)
    assert (summary["images"], summary["frames"], summary["crops"]) == (2, 4, 6)
    assert summary["sources"] == {"alpha": {"images": 2, "frames": 4, "crops": 6}}
    assert summary["video"] is None
    skipped = {Path(s["path"]).name: s["reason"] for s in summary["skipped"]}
    assert skipped["gone.png"] == "listed but missing"
    assert skipped["flat.png"].startswith("nearly one colour")
    warnings = run["stderr"].strip().splitlines()
    assert len(warnings) == 2 and all(w.startswith("toon: warning: ") for w in warnings)


def test_manifest_says_what_each_file_was_cut_from(train: tuple[Path, dict]) -> None:
    out, _ = train
    with open(out / "nonfaces.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["path"] for r in rows) == sorted(
        [f"frames/alpha-{n:05d}.jpg" for n in range(4)]
        + [f"crops/nonface/alpha-{n:05d}.png" for n in range(6)]
    )
    made_from = {r["made_from"] for r in rows if r["path"].startswith("frames/")}
    assert made_from == {"alpha/photos/big.jpg", "alpha/textures/tex.png"}
    for r in rows:
        if r["path"].startswith("crops/"):
            side = float(r["x2"]) - float(r["x1"])
            assert side == float(r["y2"]) - float(r["y1"]) and 30 <= side <= 200
            assert 0 <= float(r["x1"]) and float(r["x2"]) <= 640 and float(r["y2"]) <= 360
            assert (out / r["made_from"]).is_file()


def test_same_seed_same_files(
    src: tuple[Path, Path], train: tuple[Path, dict], tmp_path: Path
) -> None:
    out, _ = train
    args = ("--split", "train", "--frames", "2", "--crops", "3")
    assert _cut(src, tmp_path / "again", *args, "--seed", "5")[0] == 0
    assert _files(tmp_path / "again") == _files(out)
    assert _cut(src, tmp_path / "other", *args, "--seed", "6")[0] == 0
    assert (
        _files(tmp_path / "other")["frames/alpha-00000.jpg"]
        != _files(out)["frames/alpha-00000.jpg"]
    )


@pytest.mark.parametrize(
    ("break_it", "args", "message"),
    [
        (None, ["--split", "train", "--frames", "0"], "--frames: must be at least 1"),
        (None, ["--split", "test"], "argument --split: invalid choice"),
        ("garbage", ["--split", "heldout"], "walls/pic.webp: not a picture Pillow can read"),
        ("remove", ["--split", "heldout"], "none of the listed heldout pictures is there"),
    ],
)
def test_bad_input_is_one_line_and_keeps_what_was_there(
    src: tuple[Path, Path], tmp_path: Path, break_it: str | None, args: list[str], message: str
) -> None:
    src_dir, lists = src
    out = tmp_path / "out"
    assert _cut(src, out, "--split", "heldout", "--seed", "1", "--crops", "1")[0] == 0
    before = _files(out)
    broken = tmp_path / "src"
    for rel in ALPHA[:2] + BETA:
        source = "beta" if rel in BETA else "alpha"
        (broken / source / rel).parent.mkdir(parents=True, exist_ok=True)
        (broken / source / rel).write_bytes((src_dir / source / rel).read_bytes())
    if break_it == "garbage":
        (broken / "beta" / BETA[0]).write_bytes(b"\x89PNG not really")
    elif break_it == "remove":
        (broken / "beta" / BETA[0]).unlink()
    rc, stdout, stderr = _cut((broken, lists), out, *args)
    assert rc == 2
    assert stdout == ""
    assert len(stderr.strip().splitlines()) == 1 and message in stderr
    assert _files(out) == before


def test_a_failed_run_leaves_no_new_folder(src: tuple[Path, Path], tmp_path: Path) -> None:
    _, lists = src
    broken = tmp_path / "src" / "beta" / BETA[0]
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"RIFF not a webp")
    rc, _, stderr = _cut((tmp_path / "src", lists), tmp_path / "new", "--split", "heldout")
    assert rc == 2 and str(broken) in stderr
    assert not (tmp_path / "new").exists()


def test_clip_shows_each_frame_for_one_second(src: tuple[Path, Path], tmp_path: Path) -> None:
    out, clip = tmp_path / "heldout", tmp_path / "clips" / "heldout.mp4"
    rc, stdout, stderr = _cut(
        src, out, "--split", "heldout", "--seed", "2", "--video", str(clip), "--json"
    )
    assert rc == 0, stderr
    summary = json.loads(stdout)
    assert summary["frames"] == 3 and summary["sources"] == {
        "beta": {"images": 1, "frames": 3, "crops": 4}
    }
    assert summary["video"] == {"path": str(clip), "frames": 72, "seconds": 3.0}
    info = probe(clip)
    assert (info.width, info.height, round(info.fps)) == (640, 360, 24)
    assert count_frames(clip)[0] == 3 * CLIP_HOLD_FRAMES
    sampled = list(read_frames(clip, sample_fps=1))  # as `toon index --sample-fps 1` does
    assert [f.index for f in sampled] == [0, 24, 48]
    for frame, jpg in zip(sampled, sorted((out / "frames").glob("*.jpg")), strict=True):
        diff = np.abs(frame.bgr.astype(int) - cv2.imread(str(jpg)).astype(int)).mean()
        assert diff < 6, jpg.name


@pytest.mark.parametrize(
    ("text", "expectation"),
    [
        ("# split: train\na.png\n\nb/c.jpg\n", does_not_raise()),
        ("# split: heldout\n", does_not_raise()),  # an empty list is a list
        ("a.png\n", pytest.raises(ValueError, match="no '# split")),
        ("# split: test\na.png\n", pytest.raises(ValueError, match="choose one of: train")),
        ("# split: train\n/etc/a.png\n", pytest.raises(ValueError, match="relative path")),
        ("# split: train\n../a.png\n", pytest.raises(ValueError, match="relative path")),
    ],
)
def test_source_list(tmp_path: Path, text: str, expectation: contextlib.AbstractContextManager):
    (tmp_path / "src.txt").write_text(text)
    with expectation:
        source = Source.from_list(tmp_path / "src.txt")
        assert source.name == "src" and all(not p.startswith("#") for p in source.paths)


def test_committed_lists_name_package_version_licence_and_split() -> None:
    sources = load_sources()
    assert {s.split for s in sources.values()} == set(SPLITS)
    readme = (SOURCES_DIR / "README.md").read_text()
    for name, source in sources.items():
        header = (SOURCES_DIR / f"{name}.txt").read_text()
        for key in ("package", "version", "licence"):
            assert f"# {key}: " in header, (name, key)
        assert source.paths and len(set(source.paths)) == len(source.paths)
        assert f"`{name}`" in readme, name
