"""What decoding only what the pass looks at would buy: OpenCV's grab/retrieve (what
`core.video` does: every frame decoded, only sampled ones converted) against PyAV with the
decoder's `skip_frame` at DEFAULT, NONREF (skip frames nothing refers to) and NONKEY (key frames
only), each converting the frames a `--sample-fps` pass would keep.

PyAV is not a dependency of the project; this script needs it: `pip install av`. Prints one JSON
line per (file, decoder): wall seconds, x real time, frames decoded, samples kept and the longest
gap between kept samples (a key-frame-only pass keeps what the encoder made key frames).

    .venv/bin/python bench/decode_skip.py VIDEO... [--sample-fps 1.5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)


def opencv(path: Path, sample_fps: float) -> dict:
    from core.video import read_frames

    t = time.perf_counter()
    stream = read_frames(path, sample_fps=sample_fps)
    times = [f.time_s for f in stream]
    return _report(time.perf_counter() - t, stream.frames_decoded, times)


def pyav(path: Path, sample_fps: float, skip: str) -> dict:
    import av

    from core.video import next_sample_time

    t = time.perf_counter()
    decoded, times, due = 0, [], 0.0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.skip_frame = skip
        for frame in container.decode(stream):
            decoded += 1
            ts = float(frame.pts * stream.time_base)
            if ts + 1e-6 >= due:
                frame.to_ndarray(format="bgr24")
                times.append(ts)
                due = next_sample_time(ts, sample_fps)
    return _report(time.perf_counter() - t, decoded, times)


def _report(seconds: float, decoded: int, times: list[float]) -> dict:
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)] or [0.0]
    return {
        "seconds": round(seconds, 2),
        "frames_decoded": decoded,
        "samples": len(times),
        "longest_gap_s": round(max(gaps), 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("videos", nargs="+", type=Path)
    ap.add_argument("--sample-fps", type=float, default=1.5)
    args = ap.parse_args()
    from core.video import count_frames, probe

    for path in args.videos:
        video_s = count_frames(path)[1] + 1 / probe(path).fps
        runs = {"opencv grab/retrieve": lambda p=path: opencv(p, args.sample_fps)}
        for skip in ("DEFAULT", "NONREF", "NONKEY"):
            runs[f"pyav skip_frame={skip}"] = lambda p=path, s=skip: pyav(p, args.sample_fps, s)
        for name, run in runs.items():
            r = run()
            r["x_real_time"] = round(video_s / r["seconds"], 1)
            print(json.dumps({"file": path.name, "decoder": name, **r}), flush=True)


if __name__ == "__main__":
    main()
