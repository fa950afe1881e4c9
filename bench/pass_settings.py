"""Choosing the pass's settings on what users read: every emotion's ranking, against the time.

For each sample rate (and each detector variant) indexes the validation episodes into a fresh
warehouse with the real `index_library`, scores it with `toon evaluate-index`'s function, and
prints one JSON line per (footage, setting): detection, emotion balanced accuracy, the happy
share's Spearman, the mean Spearman over the seven emotions, and the whole pass's wall time
(decode, detect, classify, track, store; the model loaded beforehand) as x real time.

With `--ceiling`, first the same Spearman figures from the truth alone at each rate: every
face of the sampled frames found and named right, the shares off only because the pass sees
some frames and the truth counts every one. No setting of the detector or the model can rank
better than that at that rate.

The episodes are validation ones (seed 210, their old transfers 211): never the test seed.

    .venv/bin/python bench/pass_settings.py --episodes data/val-index \\
        [--fps 1,1.5,2,3] [--detect 'shipped' --detect 'jerry:min_neighbors=1']
        [--cascades DIR --detect proposer:off --detect proposer:threshold=0.5]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/cascades.py would hide the cascades package


def variant(cascades, spec: str):  # noqa: ANN001, ANN201
    """The shipped cascades with `character:key=value,key=value;...` detect settings changed."""
    from cascades.detect import Detector

    if spec == "shipped":
        return cascades
    changes: dict[str, dict] = {}
    for part in spec.split(";"):
        name, _, kv = part.partition(":")
        if name.strip() == "proposer":
            cascades = _proposer_variant(cascades, spec, kv)
            continue
        if name.strip() not in cascades.characters:
            sys.exit(f"--detect {spec!r}: no cascade {name.strip()!r} ({cascades.characters})")
        for item in kv.split(","):
            key, _, value = item.partition("=")
            if not hasattr(cascades.detectors[0].settings, key.strip()):
                sys.exit(f"--detect {spec!r}: cascades have no setting {key.strip()!r}")
            kind = type(getattr(cascades.detectors[0].settings, key.strip()))
            if kind is bool and value not in ("True", "False"):
                sys.exit(f"--detect {spec!r}: {key.strip()} is True or False, not {value!r}")
            changes.setdefault(name.strip(), {})[key.strip()] = (
                value == "True" if kind is bool else kind(value)
            )
    detectors = tuple(
        Detector(d.path, dataclasses.replace(d.settings, **changes.get(d.path.stem, {})))
        for d in cascades.detectors
    )
    return dataclasses.replace(cascades, detectors=detectors, sha256=cascades.sha256 + spec)


def _proposer_variant(cascades, spec: str, kv: str):  # noqa: ANN001, ANN202
    """`proposer:off` drops the folder's proposer; `proposer:threshold=0.5` moves its cut."""
    from cascades.proposer import Proposer

    if cascades.proposer is None:
        sys.exit(f"--detect {spec!r}: {cascades.folder} holds no proposer")
    if kv.strip() == "off":
        return dataclasses.replace(cascades, proposer=None)
    key, _, value = kv.partition("=")
    if key.strip() != "threshold":
        sys.exit(f"--detect {spec!r}: the proposer takes off or threshold=T")
    p = cascades.proposer
    return dataclasses.replace(
        cascades, proposer=Proposer(p.model, dataclasses.replace(p.config, threshold=float(value)))
    )


def sampling_ceiling(folder: Path, sample_fps: float) -> dict:
    """Spearman of every emotion's share when the sampled frames' truth is what is stored."""
    import numpy as np

    from core.truth import DONT_CARE_VISIBLE, read_truth
    from core.video import count_frames, probe, sampled_indices
    from indexer.evaluate import StoredFaces, score

    episodes = []
    for truth_path in sorted(folder.glob("*.truth.csv")):
        video = truth_path.with_name(truth_path.name.replace(".truth.csv", ".mp4"))
        rows = list(read_truth(truth_path))
        fps, (n, _) = probe(video).fps, count_frames(video)
        sampled = sampled_indices([i / fps for i in range(n)], sample_fps)
        at = set(sampled)
        seen = [r for r in rows if r.frame in at and r.visible >= DONT_CARE_VISIBLE]
        stored = StoredFaces(
            truth_path.stem,
            np.array(sampled),
            np.array([r.frame for r in seen], np.int64),
            np.array([r.character for r in seen], dtype=object),
            np.array([r.xyxy for r in seen], np.float64).reshape(-1, 4),
            np.array([r.emotion for r in seen], dtype=object),
            np.full(len(seen), 1 / sample_fps),
        )
        episodes.append((stored, rows))
    r = score(episodes, {"tom", "jerry"}).ranking
    return {
        "footage": "clean",
        "detect": "truth of the sampled frames (the ceiling)",
        "sample_fps": sample_fps,
        "happy_spearman": r.spearman,
        "mean_spearman": r.mean_spearman,
        "per_emotion_spearman": r.per_emotion,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=Path, required=True, help="folder with clean/ and worn/")
    ap.add_argument("--fps", default="1,1.5,2,3")
    ap.add_argument("--detect", action="append", help="detector variant (default: shipped)")
    ap.add_argument("--footage", default="clean,worn")
    ap.add_argument("--cascades", type=Path, help="cascade folder (default: the shipped one)")
    ap.add_argument("--ceiling", action="store_true", help="first, the sampling's own ceiling")
    args = ap.parse_args()
    if args.ceiling:
        for fps in (float(v) for v in args.fps.split(",")):
            print(json.dumps(sampling_ceiling(args.episodes / "clean", fps)), flush=True)

    import duckdb

    from cascades.finder import SHIPPED
    from indexer.evaluate import evaluate_warehouse
    from indexer.library import Indexer, index_library
    from indexer.pipeline import PassSettings
    from model.store import DEFAULT

    base = Indexer.load(DEFAULT, args.cascades or SHIPPED, PassSettings())
    with tempfile.TemporaryDirectory() as tmp:
        for footage in filter(None, args.footage.split(",")):
            folder = args.episodes / footage
            for spec in args.detect or ["shipped"]:
                for fps in (float(v) for v in args.fps.split(",")):
                    ix = dataclasses.replace(
                        base,
                        cascades=variant(base.cascades, spec),
                        settings=dataclasses.replace(PassSettings(), sample_fps=fps),
                    )
                    wh = Path(tmp) / "wh"
                    shutil.rmtree(wh, ignore_errors=True)
                    t = time.perf_counter()
                    summary = index_library([folder], wh, ix)
                    seconds = time.perf_counter() - t
                    with duckdb.connect(str(wh / "toon.duckdb"), read_only=True) as con:
                        r = evaluate_warehouse(con, folder)
                        video_s = con.execute("SELECT sum(duration_s) FROM episodes").fetchone()[0]
                    print(
                        json.dumps(
                            {
                                "footage": footage,
                                "cascades": str(args.cascades or "shipped"),
                                "detect": spec,
                                "sample_fps": fps,
                                **r.as_row(),
                                "faces": summary.as_json()["faces"],
                                "seconds": round(seconds, 1),
                                "x_real_time": round(video_s / seconds, 1),
                            }
                        ),
                        flush=True,
                    )


if __name__ == "__main__":
    main()
