"""Output folders: a command writes only what it owns, and replaces its own output whole.

A person's folder is never emptied or replaced: an output folder that exists must be empty or
one the product wrote (it holds that writer's marker file), and it may not lie inside one of the
command's inputs. The new contents are built in a hidden staging folder beside it and swapped in
with `os.replace`, so a failure leaves the old output as it was.

    check_output_folder(out, marker="contact_sheet.png", what="references", inputs=[data])
    with staged_folder(out) as tmp:
        (tmp / "contact_sheet.png").write_bytes(png)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path


def is_inside(path: Path, root: Path) -> bool:
    """Whether `path` is `root` or lies under it, after following links (a link that leads
    nowhere, or round in a loop, is taken where it stands; never raises)."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))


def check_output_folder(out: Path, *, marker: str, what: str, inputs: Sequence[Path] = ()) -> None:
    """Raise unless `out` may be (re)written by the writer whose folders hold `marker`.

    Allowed: `out` does not exist, is an empty folder, or is a folder holding `marker` (one this
    writer made). Refused: a file, a person's non-empty folder, and any `out` that is one of
    `inputs` or lies inside one (or holds one: replacing it would delete the input).
    """
    out = Path(out)
    for source in inputs:
        if is_inside(out, source) or (out.exists() and is_inside(source, out)):
            raise ValueError(
                f"{out}: the output may not be, lie inside or hold the input {source} "
                "(name a folder outside it)"
            )
    if not out.exists() and not out.is_symlink():
        return
    if not out.is_dir():
        raise FileExistsError(f"{out}: exists and is not a folder")
    if (out / marker).is_file() or not any(out.iterdir()):
        return
    raise FileExistsError(
        f"{out}: exists and is not a {what} folder this command wrote (no {marker}); "
        "name a new folder, or empty this one yourself"
    )


@contextlib.contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """A fresh hidden folder beside `out` to write into; on leaving, it replaces `out` whole.

    On an error the staging folder goes and `out` stays as it was. Call `check_output_folder`
    first: this replaces whatever `out` holds.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; an output is a plain folder
        replace_folder(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def replace_folder(new: Path, out: Path) -> None:
    """Put the folder `new` where `out` is, in one rename when `out` is missing or empty; else
    move the old one aside under a fresh hidden name first and delete it after the swap."""
    if not out.exists():
        os.replace(new, out)
        return
    if out.is_dir() and not any(out.iterdir()):
        out.rmdir()
        os.replace(new, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    os.replace(out, old / out.name)
    try:
        os.replace(new, out)
    except BaseException:
        os.replace(old / out.name, out)
        old.rmdir()
        raise
    shutil.rmtree(old)
