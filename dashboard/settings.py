"""What the dashboard serves: handed from `toon dashboard` to the Streamlit process by
environment variables, since Streamlit owns the process's command line."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from model import DEFAULT

WAREHOUSE_ENV = "TOON_WAREHOUSE"
MODEL_ENV = "TOON_MODEL"
LABELS_ENV = "TOON_LABELS"
FRAMES_ENV = "TOON_FRAMES"
CAST_ENV = "TOON_CAST"
LABELS_FOLDER = "labels"  # inside the warehouse folder unless --labels says otherwise


@dataclass(frozen=True)
class Settings:
    warehouse: Path | None  # the folder `toon index --warehouse` wrote; None: boxes only
    model: Path  # the model folder that indexed it: uploads are embedded with it
    labels: Path | None  # the ImageFolder the Label page writes, which `toon train` reads
    frames: Path | None = None  # a `toon frames` folder the Boxes page draws face boxes on
    cast: Path | None = None  # a `toon cast propose` folder whose groups the Cast page names

    @classmethod
    def from_env(cls) -> Settings:
        folder = os.environ.get(WAREHOUSE_ENV)
        frames = os.environ.get(FRAMES_ENV)
        cast = os.environ.get(CAST_ENV)
        if not folder and not frames and not cast:
            raise ValueError(
                f"no warehouse: start the dashboard with `toon dashboard --warehouse DIR`, "
                f"`--frames DIR` or `--cast DIR` (or set {WAREHOUSE_ENV}, {FRAMES_ENV} or "
                f"{CAST_ENV})"
            )
        warehouse = Path(folder) if folder else None
        labels = os.environ.get(LABELS_ENV) or (warehouse / LABELS_FOLDER if warehouse else None)
        return cls(
            warehouse=warehouse,
            model=Path(os.environ.get(MODEL_ENV) or DEFAULT),
            labels=Path(labels) if labels else None,
            frames=Path(frames) if frames else None,
            cast=Path(cast) if cast else None,
        )

    def to_env(self) -> dict[str, str]:
        values = {
            WAREHOUSE_ENV: self.warehouse,
            MODEL_ENV: self.model,
            LABELS_ENV: self.labels,
            FRAMES_ENV: self.frames,
            CAST_ENV: self.cast,
        }
        return {k: str(v) for k, v in values.items() if v is not None}
