"""`toon dashboard`: run the Streamlit app on a warehouse (or a folder of frames to box), safely
configured."""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from dashboard import boxes
from dashboard.settings import Settings
from model.pictures import MAX_UPLOAD_MB
from warehouse import catalog, reader

APP = Path(__file__).resolve().parent / "streamlit_app.py"
# How the server allocates memory, unless the environment says otherwise. Each page run is a
# thread, and glibc gives threads arenas of their own, as pyarrow's mimalloc gives them heaps,
# which keep what a 60 MB result freed; with two arenas and pyarrow on glibc's malloc (which
# the SQL page hands back with malloc_trim), 20 sessions of a 60 MB result left the server
# 67-170 MB above where it started instead of 400-590 MB (bench/sql_memory.py dashboard).
MEMORY_ENV = {"MALLOC_ARENA_MAX": "2", "ARROW_DEFAULT_MEMORY_POOL": "system"}


@dataclass(frozen=True)
class ServeOptions:
    port: int = 8501
    address: str = "127.0.0.1"  # this machine only; pass 0.0.0.0 to share on a network


def streamlit_command(options: ServeOptions) -> list[str]:
    """The `streamlit run` command line: XSRF protection on, uploads capped at a picture's
    size, no tracebacks in the browser, no usage statistics sent anywhere."""
    flags = {
        "server.address": options.address,
        "server.port": options.port,
        "server.headless": "true",
        "server.enableXsrfProtection": "true",
        "server.maxUploadSize": MAX_UPLOAD_MB,
        "server.fileWatcherType": "none",
        "client.showErrorDetails": "none",
        "client.toolbarMode": "viewer",
        "browser.gatherUsageStats": "false",
        "global.developmentMode": "false",
    }
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        *(f"--{key}={value}" for key, value in flags.items()),
    ]


def serve(settings: Settings, options: ServeOptions) -> int:
    """Check the warehouse, the model folder and the frames, then replace this process with the
    Streamlit server, which serves until interrupted."""
    if settings.frames is not None:
        boxes.frame_names(settings.frames)  # names the folder and what is wrong with it
        boxes.load(settings.frames)
    if settings.warehouse is not None:
        _check_warehouse(settings)
    where = settings.warehouse or settings.frames
    print(
        f"Serving {where} on http://{options.address}:{options.port} (Ctrl+C stops it)",
        flush=True,
    )
    env = MEMORY_ENV | os.environ | settings.to_env()
    # become the server, so that a signal to this process (Ctrl+C, a service manager's SIGTERM)
    # reaches Streamlit itself and no server is left behind
    command = streamlit_command(options)
    os.execve(command[0], command, env)
    return 0  # not reached


def _check_warehouse(settings: Settings) -> None:
    reader.snapshot_path(settings.warehouse)  # FileNotFoundError names the folder and the fix
    weights = settings.model / "model.keras"
    if not weights.is_file():
        raise FileNotFoundError(f"{settings.model}: not a model folder (no model.keras)")
    with reader.connect(settings.warehouse) as con:
        used = catalog.models_used(con)
    sha = hashlib.sha256(weights.read_bytes()).hexdigest()
    if used and sha not in used:
        raise ValueError(
            f"{settings.model}: the warehouse was indexed with another model "
            f"({', '.join(sorted(u[:12] for u in used))}); pass that one with --model"
        )
