"""Naming a new show's cast instead of boxing it.

A finder of any face (`cascades.proposer.ANY_FACE`) proposes the faces in a person's episodes;
faces are linked into tracks across sampled frames (`indexer.tracks.Tracker`), and tracks are
grouped into candidate characters by how their faces look: the model's embedding of each face
beside the colours of its middle (a hue-saturation histogram: a cast the model never learned is
told apart by its colours before anything else), averaged over the track, clustered by average
linkage on cosine distance. A person then looks at each group's
contact sheet and names it, gives two groups one name (a merge), or rejects it (no face, or no
one to follow); the named faces become a training folder for the model's character head.

The cast folder `propose_cast` writes:

    OUT/cast.json          what was proposed, from what, and the groups (largest first)
    OUT/faces.csv          face_id,episode,path,frame,time_s,x1,y1,x2,y2,score,track,group
    OUT/crops/<face_id>.png   every face as the model reads it
    OUT/groups/<group>.png    a contact sheet of each group
    OUT/names.json         the person's names and rejections (written only by `name_groups`)

`propose_cast` replaces its own folder whole but never one that holds names.json: those are a
person's work. `export_cast` writes `DATA/<name>/unlabelled/<face_id>.png` for named groups and
`DATA/nonface/<face_id>.png` for rejected ones: the layout `toon train` reads.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from core.names import check_name
from core.outputs import check_output_folder, staged_folder
from core.video import read_frames
from core.vocabulary import NONFACE, UNLABELLED

MARKER = "cast.json"
NAMES = "names.json"
FACES = "faces.csv"
# Tracks whose mean looks are closer than this (cosine distance, average linkage) are one group.
# Chosen on the renderer's artist shows 1150-1159 (bench/cast_groups.py: the fewest groups to
# decide on at purity >= 0.9), never on the shows the journey is judged on.
GROUP_DISTANCE = 0.15
HUE_BINS, SATURATION_BINS = 12, 4
MIN_GROUP_FACES = 4  # smaller groups are listed together as `rest`, not shown one by one
SHEET_FACES = 30  # faces on a group's contact sheet, spread over its tracks
BATCH = 16  # sampled frames the finder and the model see at once
REST = "rest"


@dataclass(frozen=True)
class ProposedFace:
    face_id: int
    episode: str
    path: str
    frame: int
    time_s: float
    xyxy: tuple[float, float, float, float]
    score: float
    track: int  # unique over the whole proposal
    group: str = REST


@dataclass(frozen=True)
class Group:
    name: str  # g01, g02, ... largest first; `rest` holds the small ones
    faces: int
    tracks: int
    episodes: int


@dataclass(frozen=True)
class CastProposal:
    out: Path
    groups: tuple[Group, ...]
    faces: int
    sampled_frames: int
    episodes: int

    def as_json(self) -> dict:
        return {
            "out": str(self.out),
            "faces": self.faces,
            "sampled_frames": self.sampled_frames,
            "episodes": self.episodes,
            "groups": [g.__dict__ for g in self.groups],
        }


def _episode_id(path: Path) -> str:
    from core.names import episode_slug

    return episode_slug(path.stem)


def _batches(video: Path, sample_fps: float) -> Iterable[list]:
    """The sampled frames of one video, BATCH at a time."""
    batch = []
    for frame in read_frames(video, sample_fps=sample_fps):
        batch.append(frame)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def find_faces(
    videos: Sequence[Path],
    finder,  # noqa: ANN001 (cascades.proposer.Proposer)
    classifier,  # noqa: ANN001 (indexer.faces.FaceClassifier)
    sample_fps: float,
    on_frames: Callable[[int], None] = lambda _: None,
) -> tuple[list[ProposedFace], np.ndarray, np.ndarray, int]:
    """Every face the finder proposes on the sampled frames: the faces (tracks linked within
    each episode, numbered over all), their (N, D) embeddings and (N, S, S, 3) RGB crops, and
    how many frames were sampled."""
    from indexer.faces import crops
    from indexer.tracks import Tracker, TrackSettings

    faces: list[ProposedFace] = []
    embeddings, windows = [], []
    sampled = 0
    tracks: dict[tuple[str, int], int] = {}  # (video, the tracker's id) -> track
    for video in videos:
        episode = _episode_id(video)
        tracker = Tracker(TrackSettings(max_gap=1))
        for batch in _batches(video, sample_fps):
            found = finder.propose([f.bgr for f in batch])
            for frame, dets in zip(batch, found, strict=True):
                ids, _ = tracker.step(sampled, dets.xyxy)
                sampled += 1
                if not len(dets):
                    continue
                rgb = crops(frame.bgr, dets.xyxy, classifier.size)
                embeddings.append(classifier.classify(rgb).embedding)
                windows.append(rgb)
                for k, (box, score) in enumerate(zip(dets.xyxy, dets.score, strict=True)):
                    track = tracks.setdefault((str(video), int(ids[k])), len(tracks))
                    xyxy = tuple(round(float(v), 1) for v in box)
                    faces.append(
                        ProposedFace(len(faces), episode, str(video), frame.index,
                                     round(frame.time_s, 3), xyxy, round(float(score), 3), track)
                    )  # fmt: skip
            on_frames(len(batch))
    dim = classifier.embedding_dim
    emb = np.concatenate(embeddings) if embeddings else np.zeros((0, dim), np.float32)
    size = classifier.size
    rgb = np.concatenate(windows) if windows else np.zeros((0, size, size, 3), np.uint8)
    return faces, emb, rgb, sampled


def looks(embedding: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """What grouping compares: each face's (L2-normalised) embedding beside the normalised
    hue-saturation histogram of the middle half of its crop, equally weighted: (N, D + 48)."""
    hist = np.zeros((len(rgb), HUE_BINS * SATURATION_BINS), np.float32)
    s = rgb.shape[1] if len(rgb) else 0
    for i, im in enumerate(rgb):
        hsv = cv2.cvtColor(np.ascontiguousarray(im[s // 4 : 3 * s // 4, s // 4 : 3 * s // 4]),
                           cv2.COLOR_RGB2HSV)  # fmt: skip
        h = cv2.calcHist([hsv], [0, 1], None, [HUE_BINS, SATURATION_BINS], [0, 180, 0, 256])
        hist[i] = h.ravel()
    hist /= np.maximum(np.linalg.norm(hist, axis=1, keepdims=True), 1e-9)
    emb = embedding / np.maximum(np.linalg.norm(embedding, axis=1, keepdims=True), 1e-9)
    return np.hstack([emb, hist])


def group_tracks(
    track: np.ndarray, embedding: np.ndarray, distance: float = GROUP_DISTANCE
) -> np.ndarray:
    """A group number for each face: its track's, tracks clustered by the mean embedding of
    their faces (average linkage, cosine distance, cut at `distance`). Groups are numbered
    largest first (by faces)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    tracks, inverse = np.unique(track, return_inverse=True)
    if len(tracks) == 0:
        return np.zeros(0, int)
    means = np.stack([embedding[inverse == k].mean(0) for k in range(len(tracks))])
    means /= np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-9)
    if len(tracks) == 1:
        cluster = np.zeros(1, int)
    else:
        cluster = fcluster(linkage(means, "average", metric="cosine"), distance, "distance") - 1
    per_face = cluster[inverse]
    sizes = np.bincount(per_face)
    order = np.argsort(-sizes, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[per_face]


def _sheet(rgb: np.ndarray, tracks: np.ndarray, cols: int = 10) -> np.ndarray:
    """Up to SHEET_FACES faces of one group, evenly spread over its faces in track order (so
    every large track shows), as one BGR image."""
    by_track = np.argsort(tracks, kind="stable")
    pick = by_track[
        np.unique(np.linspace(0, len(rgb) - 1, min(SHEET_FACES, len(rgb))).round().astype(int))
    ]
    s = rgb.shape[1]
    rows = -(-len(pick) // cols)
    sheet = np.full((rows * s, min(cols, len(pick)) * s, 3), 255, np.uint8)
    for n, i in enumerate(pick):
        r, c = divmod(n, cols)
        sheet[r * s : (r + 1) * s, c * s : (c + 1) * s] = rgb[i]
    return cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR)


def _write_png(path: Path, bgr: np.ndarray) -> None:
    ok, buf = cv2.imencode(".png", bgr)
    if not ok:
        raise OSError(f"{path}: could not encode PNG")
    path.write_bytes(buf.tobytes())


def propose_cast(
    videos: Sequence[Path],
    out: Path,
    finder_dir: Path,
    model_dir: Path,
    sample_fps: float = 1.0,
    distance: float = GROUP_DISTANCE,
    on_frames: Callable[[int], None] = lambda _: None,
) -> CastProposal:
    """Find the faces in `videos`, group them, and write the cast folder `out` (see above)."""
    from cascades.proposer import Proposer
    from indexer.faces import FaceClassifier
    from model import check_model_folder

    if (out / NAMES).exists():
        raise FileExistsError(
            f"{out}: holds {NAMES}, names a person gave; propose into a new folder"
        )
    check_output_folder(out, marker=MARKER, what="cast", inputs=list(videos))
    check_model_folder(model_dir)
    finder = Proposer.load(finder_dir)
    if not finder.config.any_face:
        raise ValueError(
            f"{finder_dir}: a proposer of {', '.join(finder.config.characters)}, not a finder "
            "of any face (train one with `toon proposer train --any-face`)"
        )
    from model.store import EmotionModel

    classifier = FaceClassifier(EmotionModel(model_dir))
    faces, emb, rgb, sampled = find_faces(videos, finder, classifier, sample_fps, on_frames)
    track = np.array([f.track for f in faces], int)
    group = group_tracks(track, looks(emb, rgb), distance)
    sizes = np.bincount(group) if len(group) else np.zeros(0, int)
    names = [f"g{k + 1:02d}" if sizes[k] >= MIN_GROUP_FACES else REST for k in range(len(sizes))]
    faces = [
        ProposedFace(**{**f.__dict__, "group": names[g]}) for f, g in zip(faces, group, strict=True)
    ]
    groups = []
    for name in sorted(set(names), key=lambda n: (n == REST, n)):  # g01, g02, ..., then rest
        mine = [f for f in faces if f.group == name]
        groups.append(
            Group(name, len(mine), len({f.track for f in mine}), len({f.episode for f in mine}))
        )
    proposal = CastProposal(out, tuple(groups), len(faces), sampled, len(videos))
    with staged_folder(out) as tmp:
        (tmp / "crops").mkdir()
        (tmp / "groups").mkdir()
        for f in faces:
            _write_png(
                tmp / "crops" / f"{f.face_id}.png", cv2.cvtColor(rgb[f.face_id], cv2.COLOR_RGB2BGR)
            )
        for g in groups:
            members = np.array([f.face_id for f in faces if f.group == g.name])
            _write_png(tmp / "groups" / f"{g.name}.png", _sheet(rgb[members], track[members]))
        with open(tmp / FACES, "w", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(("face_id", "episode", "path", "frame", "time_s", "x1", "y1", "x2", "y2",
                        "score", "track", "group"))  # fmt: skip
            for f in faces:
                w.writerow((f.face_id, f.episode, f.path, f.frame, f.time_s, *f.xyxy, f.score,
                            f.track, f.group))  # fmt: skip
        doc = proposal.as_json() | {
            "finder": str(finder_dir),
            "model": str(model_dir),
            "sample_fps": sample_fps,
            "distance": distance,
            "videos": [str(v) for v in videos],
        }
        (tmp / MARKER).write_text(json.dumps(doc, indent=2) + "\n")
    return proposal


def read_proposal(folder: Path) -> dict:
    """cast.json of a cast folder; a clear error when it is not one."""
    try:
        doc = json.loads((folder / MARKER).read_text())
        doc["groups"] = {g["name"]: g for g in doc["groups"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(
            f"{folder}: not a cast folder `toon cast propose` wrote ({MARKER}: {exc})"
        ) from None
    return doc


def read_names(folder: Path) -> dict[str, str | None]:
    """The person's decisions so far: group -> character name, or None for rejected."""
    path = folder / NAMES
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text())
        return {str(k): (None if v is None else check_name(v, what="character", source=path))
                for k, v in raw["groups"].items()}  # fmt: skip
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: not the names `toon cast name` writes ({exc})") from None


def name_groups(
    folder: Path, named: dict[str, str], rejected: Iterable[str] = (), clear: Iterable[str] = ()
) -> dict[str, str | None]:
    """Record the person's decisions: `named` group -> character (two groups with one name are
    one character), `rejected` groups are no one's faces, `clear` forgets a decision. Returns
    every decision so far, written to names.json through a temporary file."""
    proposal = read_proposal(folder)
    decisions = read_names(folder)
    rejected, clear = list(rejected), list(clear)
    for g in [*named, *rejected, *clear]:
        if g == REST:
            raise ValueError(f"{folder}: {REST} holds the small groups together; it has no name")
        if g not in proposal["groups"]:
            raise ValueError(f"{folder}: no group {g!r} (groups: {', '.join(proposal['groups'])})")
    for g, name in named.items():
        decisions[g] = check_name(name, what="character")
    for g in rejected:
        decisions[g] = None
    for g in clear:
        decisions.pop(g, None)
    tmp = folder / f".{NAMES}.part"
    tmp.write_text(json.dumps({"groups": dict(sorted(decisions.items()))}, indent=2) + "\n")
    os.replace(tmp, folder / NAMES)
    return decisions


def cast_faces(folder: Path) -> list[dict]:
    """faces.csv of a cast folder, one dict a face."""
    with open(folder / FACES, newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class Export:
    out: Path
    characters: dict[str, int]  # faces per named character
    rejected: int  # faces of rejected groups, written as nonface

    def as_json(self) -> dict:
        return {"out": str(self.out), "characters": self.characters, "rejected": self.rejected}


def export_cast(folder: Path, out: Path) -> Export:
    """The named groups' faces as `OUT/<name>/unlabelled/<face_id>.png` and the rejected ones'
    as `OUT/nonface/<face_id>.png`; groups nobody decided on stay out."""
    read_proposal(folder)
    decisions = read_names(folder)
    if not any(v is not None for v in decisions.values()):
        raise ValueError(f"{folder}: no group is named yet (`toon cast name {folder} g01=NAME`)")
    check_output_folder(out, marker=".cast-export", what="cast export", inputs=[folder])
    counts: dict[str, int] = {}
    rejected = 0
    with staged_folder(out) as tmp:
        for row in cast_faces(folder):
            if row["group"] not in decisions:
                continue
            name = decisions[row["group"]]
            dest = tmp / (NONFACE if name is None else Path(name) / UNLABELLED)
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(
                folder / "crops" / f"{row['face_id']}.png", dest / f"{row['face_id']}.png"
            )
            if name is None:
                rejected += 1
            else:
                counts[name] = counts.get(name, 0) + 1
        (tmp / ".cast-export").write_text(str(folder) + "\n")
    return Export(out, dict(sorted(counts.items())), rejected)
