"""How well a warehouse matches synth truth, on the frames the pass looked at.

Detection: a stored face is a hit when its box overlaps an owed truth face of the same
character by IoU >= 0.5 (each truth face matched once, best first). Truth faces with
`visible` < 0.5 are "don't care": not owed, and a face on one is not a false positive. Truth
faces of characters the warehouse has no cascade for (the distractor `spike`) are not owed, but
a face stored on one is a false positive.
Emotion: accuracy and balanced accuracy over the hits.
When the truth names characters the index does not know, the report names them; when nothing
at all was owed, there is nothing to score and `evaluate_warehouse` says so instead of
reporting precision and recall of 0.
Ranking: Spearman's rho, over (episode, character) pairs, of the stored share of `happy`
screen time against the true share (over every frame of the truth, visible faces only); and the
same for each of the seven emotions, with their mean (an emotion whose true or stored share is
the same for every pair has no ranking to score and is left out of the mean).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import numpy as np
from scipy.stats import spearmanr

from core.detections import iou
from core.truth import DONT_CARE_VISIBLE, TruthRow, read_truth
from warehouse.schema import EMOTIONS

MATCH_IOU = 0.5
RANKED_EMOTION = "happy"


@dataclass(frozen=True)
class StoredFaces:
    """One episode's stored faces (N) and the frames its pass looked at (S)."""

    episode_id: str
    sample_frames: np.ndarray  # (S,)
    frame: np.ndarray  # (N,)
    character: np.ndarray  # (N,) str
    xyxy: np.ndarray  # (N, 4)
    emotion: np.ndarray  # (N,) str
    seconds: np.ndarray  # (N,)


@dataclass
class Tally:
    hits: int = 0
    false_positives: int = 0
    owed: int = 0

    def add(self, other: Tally) -> None:
        self.hits += other.hits
        self.false_positives += other.false_positives
        self.owed += other.owed


def match_frame(
    xyxy: np.ndarray, character: np.ndarray, truth: list[TruthRow], cast: set[str]
) -> tuple[Tally, list[tuple[int, TruthRow]]]:
    """Score one frame's stored faces against its truth rows; returns the tally and the
    (stored face index, truth row) pairs that hit."""
    owed = [r for r in truth if r.character in cast and r.visible >= DONT_CARE_VISIBLE]
    ignore = [r for r in truth if r.character in cast and r.visible < DONT_CARE_VISIBLE]
    pairs: list[tuple[int, TruthRow]] = []
    free = np.ones(len(xyxy), bool)
    if len(xyxy) and owed:
        m = iou(xyxy, np.array([r.xyxy for r in owed], np.float64))
        same = character[:, None] == np.array([r.character for r in owed], dtype=object)[None]
        m = np.where(same, m, -1.0)
        while m.size and m.max() >= MATCH_IOU:
            i, j = np.unravel_index(np.argmax(m), m.shape)
            pairs.append((int(i), owed[j]))
            free[i] = False
            m[i, :] = -1
            m[:, j] = -1
    if free.any() and ignore:
        on_ignored = (iou(xyxy, np.array([r.xyxy for r in ignore], np.float64)) >= MATCH_IOU).any(1)
        free &= ~on_ignored
    return Tally(len(pairs), int(free.sum()), len(owed)), pairs


def _balanced(truth: list[str], predicted: list[str]) -> tuple[float, float]:
    if not truth:
        return 0.0, 0.0
    t, p = np.array(truth), np.array(predicted)
    recalls = [float((p[t == e] == e).mean()) for e in EMOTIONS if (t == e).any()]
    return float((t == p).mean()), float(np.mean(recalls))


def true_shares(truth: list[TruthRow], cast: set[str]) -> dict[str, np.ndarray]:
    """Per character of the cast: the share of its visible frames showing each emotion
    (in `EMOTIONS` order)."""
    out: dict[str, np.ndarray] = {}
    for c in sorted(cast):
        rows = [r for r in truth if r.character == c and r.visible >= DONT_CARE_VISIBLE]
        if rows:
            shown = [r.emotion for r in rows]
            out[c] = np.array([shown.count(e) for e in EMOTIONS]) / len(rows)
    return out


def stored_shares(stored: StoredFaces, character: str) -> np.ndarray:
    """One character's share of stored screen time per emotion (in `EMOTIONS` order)."""
    mine = stored.character == character
    seconds = stored.seconds[mine].sum()
    if seconds <= 0:
        return np.zeros(len(EMOTIONS))
    return (
        np.array([stored.seconds[mine & (stored.emotion == e)].sum() for e in EMOTIONS]) / seconds
    )


def _spearman(stored: np.ndarray, true: np.ndarray) -> float:
    """Spearman's rho of the stored shares against the true ones: NaN where there is no true
    ranking to find (fewer than three pairs, or every true share the same), 0 where the stored
    shares are all the same (a pass that never names the emotion ranks nothing)."""
    if len(true) < 3 or np.ptp(true) == 0:
        return float("nan")
    if np.ptp(stored) == 0:
        return 0.0
    return float(spearmanr(stored, true).statistic)


@dataclass(frozen=True)
class CharacterDetection:
    character: str
    precision: float
    recall: float


@dataclass(frozen=True)
class DetectionScore:
    """Stored faces against owed truth faces, on the frames the pass looked at."""

    precision: float
    recall: float
    hits: int
    false_positives: int
    owed: int
    per_character: tuple[CharacterDetection, ...]


@dataclass(frozen=True)
class EmotionScore:
    """The stored emotion of every hit against its truth."""

    accuracy: float
    balanced_accuracy: float
    faces: int


@dataclass(frozen=True)
class RankingScore:
    """Spearman's rho of stored against true shares over (episode, character) pairs: for
    `RANKED_EMOTION`, per emotion (None: no true ranking to score), and their mean."""

    spearman: float | None
    pairs: int
    per_emotion: dict[str, float | None]
    mean_spearman: float | None


@dataclass(frozen=True)
class IndexScore:
    """How well a warehouse matches the truth: `toon evaluate-index`'s report."""

    detection: DetectionScore
    emotion: EmotionScore
    ranking: RankingScore
    episodes: int
    truth_faces: dict[str, int]  # visible truth faces per character, on the frames looked at
    unknown: tuple[str, ...]  # characters of the truth that the index's cast does not name

    def as_json(self) -> dict:
        """The `toon evaluate-index --json` object (a contract: keys are only ever added)."""
        d = self.detection
        return {
            "detection": {
                "precision": d.precision,
                "recall": d.recall,
                "hits": d.hits,
                "false_positives": d.false_positives,
                "owed": d.owed,
                "per_character": {
                    c.character: {"precision": c.precision, "recall": c.recall}
                    for c in d.per_character
                },
            },
            "emotion": asdict(self.emotion),
            "ranking": asdict(self.ranking),
            "episodes": self.episodes,
            "truth": {"faces": dict(self.truth_faces), "unknown": list(self.unknown)},
        }

    def notes(self) -> list[str]:
        """What a reader of the figures must know: the truth's characters the index does not
        know (not owed; a face stored on one is a false positive)."""
        if not self.unknown:
            return []
        named = ", ".join(f"{c} ({self.truth_faces[c]} faces)" for c in self.unknown)
        return [
            f"the truth names {named}, which the index's cast does not: not owed, and a face "
            "stored on one counts as a false positive"
        ]

    def as_row(self) -> dict:
        """The headline figures as one flat row, for a benchmark's table."""
        return {
            "precision": self.detection.precision,
            "recall": self.detection.recall,
            "emotion_accuracy": self.emotion.accuracy,
            "emotion_balanced_accuracy": self.emotion.balanced_accuracy,
            "happy_spearman": self.ranking.spearman,
            "mean_spearman": self.ranking.mean_spearman,
            "per_emotion_spearman": self.ranking.per_emotion,
        }


def score(episodes: list[tuple[StoredFaces, list[TruthRow]]], cast: set[str]) -> IndexScore:
    """Stored faces scored against their truth."""
    total = Tally()
    per_character = {c: Tally() for c in sorted(cast)}
    true_e: list[str] = []
    pred_e: list[str] = []
    stored_share: list[np.ndarray] = []
    real_share: list[np.ndarray] = []
    truth_faces: dict[str, int] = {}
    for stored, truth in episodes:
        by_frame: dict[int, list[TruthRow]] = {}
        for r in truth:
            by_frame.setdefault(r.frame, []).append(r)
        for f in stored.sample_frames:
            here = stored.frame == f
            rows = by_frame.get(int(f), [])
            for r in rows:
                if r.visible >= DONT_CARE_VISIBLE:
                    truth_faces[r.character] = truth_faces.get(r.character, 0) + 1
            for c in cast:
                mine = here & (stored.character == c)
                tally, pairs = match_frame(
                    stored.xyxy[mine],
                    stored.character[mine],
                    [r for r in rows if r.character == c],
                    cast,
                )
                per_character[c].add(tally)
                idx = np.flatnonzero(mine)
                for i, row in pairs:
                    true_e.append(row.emotion)
                    pred_e.append(str(stored.emotion[idx[i]]))
        for c, share in true_shares(truth, cast).items():
            stored_share.append(stored_shares(stored, c))
            real_share.append(share)
    for t in per_character.values():
        total.add(t)
    accuracy, balanced = _balanced(true_e, pred_e)
    got = np.array(stored_share).reshape(-1, len(EMOTIONS))
    real = np.array(real_share).reshape(-1, len(EMOTIONS))
    rhos = {e: _spearman(got[:, k], real[:, k]) for k, e in enumerate(EMOTIONS)}
    scored = [r for r in rhos.values() if not np.isnan(r)]
    return IndexScore(
        detection=DetectionScore(
            precision=_ratio(total.hits, total.hits + total.false_positives),
            recall=_ratio(total.hits, total.owed),
            hits=total.hits,
            false_positives=total.false_positives,
            owed=total.owed,
            per_character=tuple(
                CharacterDetection(
                    c, _ratio(t.hits, t.hits + t.false_positives), _ratio(t.hits, t.owed)
                )
                for c, t in per_character.items()
            ),
        ),
        emotion=EmotionScore(round(accuracy, 4), round(balanced, 4), len(true_e)),
        ranking=RankingScore(
            spearman=_rounded(rhos[RANKED_EMOTION]),
            pairs=len(real_share),
            per_emotion={e: _rounded(r) for e, r in rhos.items()},
            mean_spearman=_rounded(float(np.mean(scored))) if scored else None,
        ),
        episodes=len(episodes),
        truth_faces=dict(sorted(truth_faces.items())),
        unknown=tuple(sorted(set(truth_faces) - cast)),
    )


def _rounded(x: float) -> float | None:
    return None if np.isnan(x) else round(float(x), 4)


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def stored_faces(con: duckdb.DuckDBPyConnection, episode_id: str) -> StoredFaces:
    """One episode's faces and samples as the warehouse holds them."""
    f = con.execute(
        "SELECT frame, character, x1, y1, x2, y2, emotion, seconds FROM faces "
        "WHERE episode_id = ? ORDER BY face_id",
        [episode_id],
    ).fetchnumpy()
    s = con.execute(
        "SELECT frame FROM samples WHERE episode_id = ? ORDER BY frame", [episode_id]
    ).fetchnumpy()
    return StoredFaces(
        episode_id=episode_id,
        sample_frames=np.asarray(s["frame"], np.int64),
        frame=np.asarray(f["frame"], np.int64),
        character=np.asarray(f["character"], dtype=object),
        xyxy=np.column_stack([f["x1"], f["y1"], f["x2"], f["y2"]])
        .astype(np.float64)
        .reshape(-1, 4),
        emotion=np.asarray(f["emotion"], dtype=object),
        seconds=np.asarray(f["seconds"], np.float64),
    )


def evaluate_warehouse(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> IndexScore:
    """Score every indexed episode that has `<episode_id>.truth.csv` in `truth_dir`."""
    if not truth_dir.is_dir():
        raise NotADirectoryError(f"{truth_dir}: not a folder")
    ids = [
        r[0]
        for r in con.execute(
            "SELECT episode_id FROM episodes WHERE status = 'indexed' ORDER BY 1"
        ).fetchall()
    ]
    pairs = []
    for episode_id in ids:
        path = truth_dir / f"{episode_id}.truth.csv"
        if path.exists():
            pairs.append((stored_faces(con, episode_id), list(read_truth(path))))
    if not pairs:
        raise ValueError(
            f"{truth_dir}: no truth file for any indexed episode "
            f"(looked for <episode_id>.truth.csv for {len(ids)} episodes)"
        )
    cast = set(r[0] for r in con.execute("SELECT DISTINCT character FROM faces").fetchall()) | set(
        _cast_of(con)
    )
    report = score(pairs, cast)
    if report.detection.owed == 0:
        known = ", ".join(sorted(cast)) or "no character"
        if report.unknown:
            raise ValueError(
                f"{truth_dir}: nothing to score: the truth's characters "
                f"({', '.join(report.unknown)}) are none of the index's cast ({known}); "
                "index this show with its own cascades and model (--cascades, --model)"
            )
        raise ValueError(
            f"{truth_dir}: nothing to score: the truth shows no visible face of the index's "
            f"cast ({known}) on the frames the pass looked at"
        )
    return report


def _cast_of(con: duckdb.DuckDBPyConnection) -> list[str]:
    row = con.execute("SELECT value FROM meta WHERE key = 'cast'").fetchone()
    return row[0].split(",") if row and row[0] else []
