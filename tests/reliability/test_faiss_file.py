"""faces.faiss: rewritten while it is read, nothing fails; damaged, every reader says so in one
line and `toon index --rebuild-faiss` makes it again from the warehouse."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np
import pytest

from tests.conftest import run_toon, start_python
from warehouse import reader, vectors

REWRITES = 1000


@pytest.fixture
def copy(indexed: Path, tmp_path: Path) -> Path:
    """A copy of the indexed warehouse the test may damage."""
    return Path(shutil.copytree(indexed, tmp_path / "wh"))


def face_ids(wh: Path) -> list[int]:
    with reader.connect(wh) as con:
        return [r[0] for r in con.execute("SELECT face_id FROM faces ORDER BY 1").fetchall()]


WRITER = """
import sys
from pathlib import Path
import faiss
import numpy as np
from warehouse import vectors
path, n = Path(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
for i in range(n):
    index = vectors.new_index(64)
    size = 50 + 10 * (i % 2)  # two sizes, so a reader can tell the versions apart
    vectors.add(index, np.arange(size), rng.standard_normal((size, 64)).astype(np.float32))
    vectors.write(index, path)
print(n)
"""


def test_a_reader_never_fails_while_the_file_is_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "faces.faiss"
    vectors.write(vectors.new_index(64), path)
    writer = start_python(WRITER, str(path), str(REWRITES))
    reads, failures, sizes = 0, [], set()
    deadline = time.monotonic() + 300
    while writer.poll() is None and time.monotonic() < deadline:
        try:
            index = vectors.read(path)
            ids = vectors.ids_of(index)
            assert ids.tolist() == list(range(len(ids)))
            sizes.add(index.ntotal)
        except (ValueError, OSError, AssertionError) as exc:
            failures.append(str(exc))
        reads += 1
    out, err = writer.communicate(timeout=60)
    print(f"{REWRITES} rewrites, {reads} reads, {len(failures)} failed, sizes seen {sorted(sizes)}")
    assert (writer.returncode, out.strip()) == (0, str(REWRITES)), err
    assert failures == []
    assert reads >= 50, reads
    assert sizes <= {0, 50, 60} and {50, 60} <= sizes


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) - 17] ^= 0x01  # inside the last vector: still parses as an index
    path.write_bytes(bytes(data))


# Each damage, and what a reader says without the checksum file (an index written before
# checksums, or one whose checksum was deleted); with it, every one is "damaged".
DAMAGE: dict[str, tuple[Callable[[Path], None], str | None]] = {
    "truncated": (truncate, "not a FAISS index (it ends early)"),
    "empty": (lambda p: p.write_bytes(b""), "not a FAISS index (it ends early)"),
    "random": (
        lambda p: p.write_bytes(np.random.default_rng(1).bytes(4096)),
        "not a FAISS index (Index type",
    ),
    "flipped": (flip_a_byte, None),  # still an index: only the checksum can tell
    # the index whole, its checksum file garbled (not even text)
    "garbled": (lambda p: vectors.checksum_path(p).write_bytes(b"\xff\xfe\x00 not hex\n"), None),
}
CASES = [(c, True) for c in DAMAGE] + [(c, False) for c, (_, w) in DAMAGE.items() if w]


@pytest.mark.parametrize(
    ("case", "checksum"), CASES, ids=[f"{c}-{'sum' if k else 'nosum'}" for c, k in CASES]
)
def test_a_damaged_file_is_named_and_rebuilt(
    copy: Path, tmp_path: Path, case: str, checksum: bool
) -> None:
    warehouse = copy
    damage, words = DAMAGE[case]
    path = warehouse / "faces.faiss"
    damage(path)
    if checksum:
        words = "damaged (its bytes do not match faces.faiss.sha256)"
    else:
        vectors.checksum_path(path).unlink()
    if case == "flipped":  # the damage only the checksum sees: FAISS still reads the file
        assert faiss.read_index(str(path)).ntotal == len(face_ids(warehouse))
    face = tmp_path / "face.jpg"
    with reader.connect(warehouse) as con:
        face.write_bytes(con.execute("SELECT jpeg FROM thumbnails LIMIT 1").fetchone()[0])

    rc, out, err = run_toon(["similar", "--warehouse", str(warehouse), str(face), "--json"])
    assert (rc, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith(f"toon: error: {path}: {words}")
    assert err.rstrip().endswith(
        f"`toon index --rebuild-faiss --warehouse {warehouse}` makes it again"
    )

    rc, out, err = run_toon(["index", "--rebuild-faiss", "--warehouse", str(warehouse), "--json"])
    ids = face_ids(warehouse)
    assert (rc, json.loads(out)) == (
        0,
        {"warehouse": str(warehouse), "faiss": str(path), "faces": len(ids)},
    ), err
    assert sorted(vectors.ids_of(reader.face_index(warehouse)).tolist()) == ids
    rc, out, err = run_toon(["similar", "--warehouse", str(warehouse), str(face), "--json"])
    assert rc == 0, err
    assert {r["face_id"] for r in json.loads(out)} <= set(ids)
    assert len(json.loads(out)) == min(10, len(ids))
    assert not list(warehouse.glob("*.part"))
