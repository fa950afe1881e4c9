"""Reference faces for animators: per character and emotion, the most confident faces that
differ from each other, as an ImageFolder and one contact sheet."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import cv2
import duckdb
import numpy as np

from core.names import check_name
from core.outputs import check_output_folder, staged_folder
from warehouse import picks
from warehouse.schema import EMOTIONS

TILE_PX = 64
LABEL_PX = 140


PER = 20  # faces per emotion: enough to judge a class by eye in one screen


SHEET = "contact_sheet.png"


def reference_files(picked: dict[tuple[str, str], list[tuple[int, bytes]]], per: int) -> dict:
    """The reference set as files: relative path -> bytes, `<character>/<emotion>/<face_id>.jpg`
    for every picked face and `contact_sheet.png`."""
    files = {
        f"{check_name(character, what='character')}/{check_name(emotion, what='emotion')}/"
        f"{int(face_id)}.jpg": jpeg
        for (character, emotion), faces in sorted(picked.items())
        for face_id, jpeg in faces
    }
    ok, png = cv2.imencode(".png", _contact_sheet(picked, per))
    if not ok:
        raise ValueError("cannot encode the contact sheet")
    files[SHEET] = png.tobytes()
    return files


def zip_references(files: dict[str, bytes]) -> bytes:
    """`reference_files` as one zip archive, for a download."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def write_references(con: duckdb.DuckDBPyConnection, out: Path, per: int = PER) -> dict:
    """Write OUT/<character>/<emotion>/<face_id>.jpg and OUT/contact_sheet.png.

    OUT must be new, empty or a references folder this wrote (it holds the contact sheet): a
    person's folder is refused, not emptied. The folder is built beside OUT and swapped in
    whole, so a failure leaves OUT as it was.
    """
    if per < 1:
        raise ValueError(f"--per must be >= 1, got {per}")
    check_output_folder(out, marker=SHEET, what="references")
    picked = picks.reference_faces(con, per)
    if not picked:
        raise ValueError("the warehouse has no faces to take references from")
    with staged_folder(out) as tmp:
        for name, data in reference_files(picked, per).items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    counts = {f"{c}/{e}": len(faces) for (c, e), faces in sorted(picked.items())}
    return {"out": str(out), "sheet": str(out / SHEET), "faces": counts}


def _contact_sheet(picked: dict, per: int) -> np.ndarray:
    """One row per (character, emotion), its faces left to right: (H, W, 3) BGR."""
    keys = sorted(picked, key=lambda k: (k[0], EMOTIONS.index(k[1]) if k[1] in EMOTIONS else 99))
    sheet = np.full((len(keys) * TILE_PX, LABEL_PX + per * TILE_PX, 3), 255, np.uint8)
    for r, key in enumerate(keys):
        y = r * TILE_PX
        cv2.putText(
            sheet,
            f"{key[0]} {key[1]}",
            (6, y + TILE_PX // 2 + 5),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.5,
            (0, 0, 0),
            1,
            cv2.LINE_AA,
        )
        for c, (_, jpeg) in enumerate(picked[key]):
            img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
            if img is None:
                continue
            tile = cv2.resize(img, (TILE_PX, TILE_PX), interpolation=cv2.INTER_AREA)
            x = LABEL_PX + c * TILE_PX
            sheet[y : y + TILE_PX, x : x + TILE_PX] = tile
    return sheet
