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
LABELS_FOLDER = "labels"  # inside the warehouse folder unless --labels says otherwise


@dataclass(frozen=True)
class Settings:
    warehouse: Path  # the folder `toon index --warehouse` wrote
    model: Path  # the model folder that indexed it: uploads are embedded with it
    labels: Path  # the ImageFolder the Label page writes, which `toon train --init` reads

    @classmethod
    def from_env(cls) -> Settings:
        folder = os.environ.get(WAREHOUSE_ENV)
        if not folder:
            raise ValueError(
                f"no warehouse: start the dashboard with `toon dashboard --warehouse DIR` "
                f"(or set {WAREHOUSE_ENV})"
            )
        warehouse = Path(folder)
        return cls(
            warehouse=warehouse,
            model=Path(os.environ.get(MODEL_ENV) or DEFAULT),
            labels=Path(os.environ.get(LABELS_ENV) or warehouse / LABELS_FOLDER),
        )

    def to_env(self) -> dict[str, str]:
        return {
            WAREHOUSE_ENV: str(self.warehouse),
            MODEL_ENV: str(self.model),
            LABELS_ENV: str(self.labels),
        }
