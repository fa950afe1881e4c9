"""The learned face proposer: what it is taught, how its answers become boxes, its files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cascades import proposer as P
from cascades.samples import truth_frames
from core.detections import iou

CAST = ("jerry", "tom")


def _faces(tiny_episodes: Path, step: int = 6) -> list:
    return [f for f in truth_frames(tiny_episodes, step) if f.rows]


def test_taught_answers_decode_back_to_the_faces(tiny_episodes: Path) -> None:
    """The network's ideal answer (its training target) decodes to the truth's own boxes."""
    config = P.ProposerConfig(CAST, input_wh=(160, 96))
    frames = _faces(tiny_episodes)
    owed = [{c: f.faces_of(c)[0] for c in CAST} for f in frames]
    hidden = [np.concatenate([f.faces_of(c)[1] for c in CAST]) for f in frames]
    wh = [(f.frame.bgr.shape[1], f.frame.bgr.shape[0]) for f in frames]
    target = P.targets(owed, hidden, wh, config)
    assert target.shape == (len(frames), 24, 40, len(CAST) + 6)
    found_any = 0
    for t, boxes, size in zip(target, owed, wh, strict=True):
        got = P.decode(t[..., : len(CAST) + 4], config, size, threshold=0.99)
        for c in CAST:
            mine = got.xyxy[got.character == c]
            assert len(mine) == len(boxes[c])
            if len(mine):
                best = iou(boxes[c], mine).max(axis=1)
                assert (best > 0.95).all(), best
                found_any += len(mine)
    assert found_any > 10


def test_dont_care_faces_are_neither_taught_nor_punished() -> None:
    config = P.ProposerConfig(("tom",), input_wh=(64, 32))
    target = P.targets(
        [{"tom": np.array([[0.0, 0, 40, 40]])}],
        [np.array([[80.0, 40, 120, 80]])],
        [(128, 64)],
        config,
    )[0]
    weight = target[..., -1]
    assert weight.shape == (8, 16)
    assert weight[5:8, 10:15].max() == 0.0  # the hidden face's cells (x 80-120 -> 10-15)
    assert weight[:4, :4].min() == 1.0
    assert target[..., 0].max() == 1.0 and target[..., 5].sum() == 1.0  # one centre, one mask


def test_saved_proposer_loads_and_answers_the_same(tmp_path: Path) -> None:
    config = P.ProposerConfig(CAST, input_wh=(64, 48), width=8, threshold=0.4)
    made = P.Proposer(P.build(config), config)
    made.save(tmp_path / "p", trained={"frames": 3})
    loaded = P.Proposer.load(tmp_path / "p")
    assert loaded.config == config
    assert json.loads((tmp_path / "p" / P.CONFIG_FILE).read_text())["trained"] == {"frames": 3}
    frames = [np.random.default_rng(0).integers(0, 255, (90, 120, 3), np.uint8)]
    assert np.allclose(made.raw(frames), loaded.raw(frames), atol=1e-6)
    assert made.raw(frames).shape == (1, 12, 16, len(CAST) + 4)
    assert not list((tmp_path / "p").glob("*.part*"))


def test_a_missing_or_damaged_proposer_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="proposer.keras: no such file"):
        P.Proposer.load(tmp_path)
    config = P.ProposerConfig(("tom",), input_wh=(32, 32), width=4)
    P.Proposer(P.build(config), config).save(tmp_path)
    (tmp_path / P.CONFIG_FILE).write_text('{"characters": []}')
    with pytest.raises(ValueError, match="proposer.json: not a proposer's settings"):
        P.Proposer.load(tmp_path)


def test_a_proposer_learns_the_faces_it_is_shown(tiny_episodes: Path) -> None:
    """Fitted on the frames of two tiny episodes, it finds most of their faces again."""
    from cascades.evaluate import match

    config = P.ProposerConfig(CAST, input_wh=(160, 96), width=8)
    frames = _faces(tiny_episodes, 2)
    sx = 160 / frames[0].frame.bgr.shape[1]
    sy = 96 / frames[0].frame.bgr.shape[0]
    scale = np.array([sx, sy, sx, sy])
    owed = [{c: f.faces_of(c)[0] * scale for c in CAST} for f in frames]
    hidden = [np.concatenate([f.faces_of(c)[1] for c in CAST]) * scale for f in frames]
    images = P.resize([f.frame.bgr for f in frames], config.input_wh)
    losses: list[float] = []
    made = P.train(
        images,
        owed,
        hidden,
        config,
        P.TrainSettings(epochs=40, batch=16, learning_rate=5e-3, min_steps=0),
        on_epoch=lambda _, value: losses.append(value),
    )
    assert losses[-1] < losses[0] / 3
    hits = owed_n = false = 0
    for f, got in zip(frames, made.propose([f.frame.bgr for f in frames]), strict=True):
        truth = np.concatenate([f.faces_of(c)[0] for c in CAST])
        h, fp, _ = match(got.xyxy, truth, np.concatenate([f.faces_of(c)[1] for c in CAST]))
        hits, false, owed_n = hits + h, false + fp, owed_n + len(truth)
    assert hits / owed_n > 0.6, (hits, owed_n)  # an untrained one finds none
    assert hits / max(hits + false, 1) > 0.4, (hits, false)


def test_few_frames_get_more_passes_to_reach_the_minimum_steps() -> None:
    s = P.TrainSettings(epochs=8, batch=32, min_steps=1000)
    assert s.steps_per_epoch(100) == 3 and s.epochs_for(100) == 334  # 1,002 steps
    assert s.epochs_for(7200) == 8  # 225 steps a pass: 8 passes are already 1,800
    assert s.steps_per_epoch(5) == 1  # fewer frames than a batch: one batch of them all
    assert P.TrainSettings(epochs=8, min_steps=0).epochs_for(100) == 8
    with pytest.raises(ValueError, match="min_steps"):
        P.TrainSettings(min_steps=-1)
