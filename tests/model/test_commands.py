"""`toon train|evaluate|classify|compare-optimizers|visualize` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import keras
import pytest

from model.store import EmotionModel, sha256
from synth import EMOTIONS
from tests.model.conftest import run, run_here

MODEL_FILES = {
    "model.keras",
    "config.json",
    "classes.json",
    "metrics.json",
    "history.json",
    "accuracy.png",
    "loss.png",
    "model.sha256",
}


def test_train_writes_a_self_describing_folder(toon_model: Path) -> None:
    assert MODEL_FILES <= {p.name for p in toon_model.iterdir()}
    classes = json.loads((toon_model / "classes.json").read_text())
    assert classes["emotions"] == sorted(EMOTIONS)
    assert classes["characters"] == ["tom", "jerry", "other"]
    config = json.loads((toon_model / "config.json").read_text())
    assert config["arch"] == "toon" and config["input_size"] == 64 and config["epochs"] == 2
    assert config["images"]["nonface"] == 24 and config["split"]["seed"] == 12379231
    assert (toon_model / "model.sha256").read_text().split()[0] == sha256(
        toon_model / "model.keras"
    )
    history = json.loads((toon_model / "history.json").read_text())
    assert len(history["accuracy"]) == len(history["val_accuracy"]) == 2
    keras.models.load_model(toon_model / "model.keras", safe_mode=True)
    # The held-out fifth: 168 faces * 0.2, stratified by emotion.
    metrics = json.loads((toon_model / "metrics.json").read_text())
    assert sum(c["support"] for c in metrics["per_class"].values()) == 35
    # Non-faces carry no emotion: the epoch's test accuracy is over faces only, as metrics are.
    assert abs(history["val_accuracy"][-1] - metrics["accuracy"]) < 0.02


def test_model_gives_unit_embeddings_and_both_heads(toon_model: Path, faces_dir: Path) -> None:
    import numpy as np

    model = EmotionModel(toon_model)
    faces = model.read(sorted(faces_dir.rglob("*.png"))[:5])
    pred = model.predict(faces)
    assert pred.emotion.shape == (5, 7) and pred.character.shape == (5, 3)
    assert pred.embedding.shape == (5, 128)
    assert np.allclose(np.linalg.norm(pred.embedding, axis=1), 1.0, atol=1e-4)
    assert np.allclose(pred.emotion.sum(axis=1), 1.0, atol=1e-4)


def test_evaluate_json_shape(toon_model: Path, faces_dir: Path, tmp_path: Path) -> None:
    png = tmp_path / "cm.png"
    res = run("evaluate", toon_model, faces_dir, "--json", "--confusion", png)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert {"accuracy", "balanced_accuracy", "per_class", "confusion", "classes"} <= set(out)
    assert out["classes"] == sorted(EMOTIONS)
    assert set(out["per_class"]["happy"]) == {"precision", "recall", "f1", "support"}
    assert sum(map(sum, out["confusion"])) == 168 and out["images"] == 168
    assert png.stat().st_size > 1000


def test_classify(toon_model: Path, faces_dir: Path) -> None:
    images = sorted((faces_dir / "jerry" / "sad").glob("*.png"))[:2]
    res = run("classify", toon_model, *images, "--json")
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)
    assert [r["image"] for r in rows] == [str(p) for p in images]
    for r in rows:
        assert r["emotion"] in EMOTIONS and r["character"] in ("tom", "jerry", "other")
        assert abs(sum(r["probabilities"].values()) - 1) < 1e-3
    text = run_here("classify", toon_model, images[0])
    assert text.returncode == 0 and str(images[0]) in text.stdout


def test_visualize_every_convolution(toon_model: Path, tmp_path: Path) -> None:
    res = run("visualize", toon_model, "--out", tmp_path, "--json")
    assert res.returncode == 0, res.stderr
    names = {Path(p).name for p in json.loads(res.stdout)}
    convs = ["stem_conv", "b1_conv", "b2_conv", "b3_conv", "b4_conv", "b5_conv"]
    for i, layer in enumerate(convs):
        assert f"{i:02d}-{layer}-filters.png" in names
        assert f"{i:02d}-{layer}-activations.png" in names


def test_seed_network_and_optimizer_table(faces_dir: Path, tmp_path: Path) -> None:
    args = ["compare-optimizers", faces_dir, "--out", tmp_path, "--optimizers", "sgd,adadelta"]
    args += ["--classes", "happy,angry,surprise", "--epochs", 1]
    res = run(*args, "--runs", 2)
    assert res.returncode == 0, res.stderr
    # Runs go round the optimizers, so a comparison that stops early keeps a balanced table.
    started = [line for line in res.stderr.splitlines() if " run " in line and "/2" in line]
    assert started == ["sgd run 1/2", "adadelta run 1/2", "sgd run 2/2", "adadelta run 2/2"]
    rows = json.loads((tmp_path / "results.json").read_text())
    assert [(r["optimizer"], r["run"]) for r in rows] == [
        ("sgd", 1), ("sgd", 2), ("adadelta", 1), ("adadelta", 2),
    ]  # fmt: skip
    assert all(0 <= r["accuracy"] <= 1 for r in rows)
    table = (tmp_path / "results.md").read_text()
    assert "| sgd |" in table and "| adadelta |" in table and table in res.stdout
    assert len((tmp_path / "results.csv").read_text().splitlines()) == 5
    for name in ("sgd-accuracy.png", "sgd-loss.png", "adadelta-accuracy.png"):
        assert (tmp_path / name).exists()

    # A finished table is not touched by a new comparison into the same folder.
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    res = run_here(*args, "--runs", 3, "--json")
    assert res.returncode == 2 and "--resume" in res.stderr and res.stderr.count("\n") == 1
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    # --resume adds the missing runs and keeps the rest.
    res = run(*args, "--runs", 3, "--resume", "--json")
    assert res.returncode == 0, res.stderr
    more = json.loads(res.stdout)
    assert [(r["optimizer"], r["run"]) for r in more] == [
        ("sgd", 1), ("sgd", 2), ("sgd", 3), ("adadelta", 1), ("adadelta", 2), ("adadelta", 3),
    ]  # fmt: skip
    assert [r for r in more if r["run"] < 3] == rows
    assert "| run 3 |" in (tmp_path / "results.md").read_text()
    assert set(json.loads((tmp_path / "histories.json").read_text())["sgd"]) == {
        "run 1", "run 2", "run 3",
    }  # fmt: skip
    # Other settings, or a folder without its curves file, are refused untouched.
    res = run_here(*args[:-1], 2, "--runs", 4, "--resume")
    assert res.returncode == 2 and "other settings" in res.stderr
    # A run whose curves were not kept keeps its row; the curves drawn are the kept ones.
    kept = json.loads((tmp_path / "histories.json").read_text())
    del kept["sgd"]["run 1"]
    (tmp_path / "histories.json").write_text(json.dumps(kept))
    # So does a comparison begun before its images were fingerprinted.
    settings = json.loads((tmp_path / "settings.json").read_text())
    del settings["images_sha1"]
    (tmp_path / "settings.json").write_text(json.dumps(settings))
    res = run(*args, "--runs", 4, "--resume", "--json")
    assert res.returncode == 0, res.stderr
    assert [r for r in json.loads(res.stdout) if r["run"] < 4] == more
    assert set(json.loads((tmp_path / "histories.json").read_text())["sgd"]) == {
        "run 2", "run 3", "run 4",
    }  # fmt: skip
    (tmp_path / "histories.json").unlink()
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    res = run_here(*args, "--runs", 5, "--resume")
    assert res.returncode == 2 and "cannot resume" in res.stderr and res.stderr.count("\n") == 1
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_seed_network_is_the_methods(faces_dir: Path, tmp_path: Path) -> None:
    from model.arch import seed_net

    net = seed_net(3)
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == [
        "InputLayer",
        "Rescaling",
        "Conv2D",
        "MaxPooling2D",
        "Conv2D",
        "MaxPooling2D",
        "Dropout",
        "Flatten",
        "Dense",
        "Dense",
    ]
    assert net.input_shape == (None, 60, 60, 3) and net.get_layer("embedding").units == 512


def _one_corrupt_image(data: Path) -> None:
    import shutil

    for emotion in ("happy", "sad"):
        (data / emotion).mkdir(parents=True)
    shutil.copy(sorted(FACES_SEEN[0].rglob("*.png"))[0], data / "sad" / "ok.png")
    (data / "happy" / "x.png").write_text("not a png")


FACES_SEEN: list[Path] = []


@pytest.mark.parametrize(
    ("make", "args", "message"),
    [
        (lambda d: d.mkdir(), [], "no images"),
        (_one_corrupt_image, [], "x.png: not an image"),
        (None, ["--classes", "happy,bored"], "no images of bored"),
    ],
)
def test_train_errors_leave_the_old_model(
    make, args: list, message: str, faces_dir: Path, toon_model: Path, tmp_path: Path
) -> None:
    data = faces_dir
    FACES_SEEN[:] = [faces_dir]
    if make:
        data = tmp_path / "data"
        make(data)
    before = (toon_model / "model.sha256").read_text()
    res = run_here("train", data, "--out", toon_model, "--epochs", 1, *args)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and message in res.stderr
    assert (toon_model / "model.sha256").read_text() == before
    assert not [p for p in toon_model.parent.iterdir() if p.name.startswith(".")]


def test_a_damaged_model_is_refused(toon_model: Path, tmp_path: Path, faces_dir: Path) -> None:
    import shutil

    copy = tmp_path / "m"
    shutil.copytree(toon_model, copy)
    with (copy / "model.keras").open("ab") as f:
        f.write(b"x")
    res = run_here("evaluate", copy, faces_dir)
    assert res.returncode == 2 and "does not match model.sha256" in res.stderr
    res = run_here("classify", tmp_path / "nothing", faces_dir / "x.png")
    assert res.returncode == 2 and "not a model folder" in res.stderr


def test_fine_tune_from_a_model_with_a_small_set_oversampled(
    toon_model: Path, faces_dir: Path, tmp_path: Path
) -> None:
    """`--init` starts from a model's weights; `--oversample` repeats a linked-in small set."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "synth").symlink_to(faces_dir, target_is_directory=True)
    small = data / "extra" / "happy"
    small.mkdir(parents=True)
    for k, p in enumerate(sorted((faces_dir / "tom" / "happy").glob("*.png"))[:5]):
        cv2.imwrite(str(small / f"{k}.png"), cv2.flip(cv2.imread(str(p)), 1))  # new images
    out = tmp_path / "tuned"
    res = run(
        "train", data, "--out", out, "--epochs", 1, "--init", toon_model,
        "--oversample", "extra=4", "--json",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    config = json.loads((out / "config.json").read_text())
    assert config["init"] == str(toon_model) and config["oversample"] == [["extra", 4]]
    assert config["init_sha256"] == sha256(toon_model / "model.keras")
    # 168 + 5 faces and 24 non-faces, read through the link. What the start held out (35 faces,
    # 5 non-faces) stays held out, what it trained on (152) stays in training, and the 5 new
    # faces are split 4/1; only then are the 4 repeated: 152 + 4 x 4 samples an epoch.
    assert sum(v for k, v in config["images"].items() if k != "nonface") == 173
    assert config["held_out_unseen_by_init"] is True
    assert config["train_images_per_epoch"] == 168
    assert sum(c["support"] for c in json.loads(res.stdout)["per_class"].values()) == 36
    # The start's split is split() of its data; the fine-tuned model's contains it.
    from model.data import content_key, load, scan, split
    from model.train import remade_split

    first, second = remade_split(toon_model), remade_split(out)
    faces = load(scan(faces_dir), tuple(sorted(EMOTIONS)), ("tom", "jerry"), 8)
    keys = [content_key(p) for p in faces.paths]
    train, test = split(faces)
    assert first.train == {keys[k] for k in train} and first.test == {keys[k] for k in test}
    assert first.train < second.train and first.test < second.test
    assert len(second.test - first.test) == 1 and len(second.train - first.train) == 4
    # One epoch at the fine-tuning rate moves the weights, from the start's, not from new ones.
    import numpy as np

    start, tuned = EmotionModel(toon_model).keras, EmotionModel(out).keras
    a, b = start.get_layer("emotion").get_weights()[0], tuned.get_layer("emotion").get_weights()[0]
    assert not np.array_equal(a, b)
    assert np.abs(a - b).mean() < 0.1 * np.abs(a).mean()


def test_a_start_whose_data_or_weights_changed_has_no_split(
    toon_model: Path, faces_dir: Path, tmp_path: Path
) -> None:
    """remade_split gives up, rather than guess, when what the model saw is not there."""
    import shutil

    from model.train import remade_split

    data, model = tmp_path / "data", tmp_path / "model"
    shutil.copytree(faces_dir, data)
    shutil.copytree(toon_model, model)
    config = json.loads((model / "config.json").read_text())
    config["data"] = str(data)
    (model / "config.json").write_text(json.dumps(config))
    assert remade_split(model) == remade_split(toon_model) is not None  # copies are the same
    # One image swapped for another of the same emotion: the counts agree, the paths do not.
    happy = sorted((data / "tom" / "happy").glob("*.png"))
    happy[0].rename(happy[0].with_name("renamed.png"))
    assert remade_split(model) is None
    happy[0].with_name("renamed.png").rename(happy[0])
    # A start that was kept but has changed since, or that is the model itself.
    config |= {"held_out_unseen_by_init": True, "init": str(model), "init_sha256": "0" * 64}
    (model / "config.json").write_text(json.dumps(config))
    assert remade_split(model) is None
    config["init_sha256"] = sha256(model / "model.keras")
    (model / "config.json").write_text(json.dumps(config))
    assert remade_split(model) is None


def test_fine_tune_from_labels_of_a_few_emotions(
    toon_model: Path, faces_dir: Path, tmp_path: Path
) -> None:
    """The Label page's folder holds some emotions only: a fine-tune keeps the start's."""
    labels = tmp_path / "labels"
    for emotion in ("happy", "sad"):
        (labels / "tom" / emotion).mkdir(parents=True)
        for p in sorted((faces_dir / "tom" / emotion).glob("*.png"))[:5]:
            (labels / "tom" / emotion / p.name).write_bytes(p.read_bytes())
    (labels / "nonface").mkdir()
    for p in sorted((faces_dir / "nonface").glob("*.png"))[:2]:
        (labels / "nonface" / p.name).write_bytes(p.read_bytes())
    out = tmp_path / "tuned"
    res = run("train", labels, "--out", out, "--epochs", 1, "--init", toon_model, "--json")
    assert res.returncode == 0, res.stderr
    assert EmotionModel(out).classes == EmotionModel(toon_model).classes
    counts = json.loads((out / "config.json").read_text())["images"]
    assert {k: v for k, v in counts.items() if v} == {"happy": 5, "sad": 5, "nonface": 2}
    (labels / "tom" / "sad").rename(labels / "tom" / "joy")
    (labels / "tom" / "happy").rename(labels / "tom" / "glee")
    res = run_here("train", labels, "--out", tmp_path / "none", "--epochs", 1, "--init", toon_model)
    assert res.returncode == 2 and "no images of" in res.stderr


def test_a_cast_of_its_own(faces_dir: Path, toon_model: Path, tmp_path: Path) -> None:
    """--characters names the head's cast; the model folder carries it."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "cat").symlink_to(faces_dir / "tom", target_is_directory=True)
    (data / "mouse").symlink_to(faces_dir / "jerry", target_is_directory=True)
    (data / "nonface").symlink_to(faces_dir / "nonface", target_is_directory=True)
    out = tmp_path / "cast"
    res = run("train", data, "--out", out, "--epochs", 1, "--characters", "cat,mouse", "--json")
    assert res.returncode == 0, res.stderr
    assert EmotionModel(out).characters == ("cat", "mouse", "other")
    from model.settings import TrainSettings
    from model.train import load_data

    faces = load_data(data, TrainSettings(characters=("cat", "mouse")).resolved())
    counts = {c: int((faces.character == k).sum()) for k, c in enumerate(faces.characters)}
    assert counts == {
        "cat": len(list((faces_dir / "tom").rglob("*.png"))),
        "mouse": len(list((faces_dir / "jerry").rglob("*.png"))),
    } | {"other": len(list((faces_dir / "nonface").rglob("*.png")))}
    for args, message in [
        (["--characters", "cat,dog"], "no images of dog (a character's images sit under a folder"),
        (["--characters", "cat,other"], "character name 'other' is not allowed"),
        (["--characters", "Bugs Bunny"], "character name 'Bugs Bunny' is not allowed"),
        (["--characters", "cat,cat"], "needs one or more distinct names, got 'cat,cat'"),
        (["--characters", "cat,mouse", "--arch", "seed"], "--characters needs --arch toon"),
    ]:
        res = run_here("train", data, "--out", tmp_path / "no", "--epochs", 1, *args)
        assert res.returncode == 2 and res.stderr.count("\n") == 1, res.stderr
        assert message in res.stderr and not (tmp_path / "no").exists()


def test_a_new_cast_from_a_start(faces_dir: Path, toon_model: Path, tmp_path: Path) -> None:
    """A start of another cast lends its network; its character head starts afresh, learning
    from faces with no emotion named (`<character>/unlabelled/`) as well as labelled ones."""
    data = tmp_path / "data"
    (data / "cat").mkdir(parents=True)
    (data / "mouse").mkdir()
    (data / "cat" / "unlabelled").symlink_to(faces_dir / "tom" / "happy", target_is_directory=True)
    (data / "mouse" / "angry").symlink_to(faces_dir / "jerry" / "angry", target_is_directory=True)
    (data / "old").symlink_to(faces_dir, target_is_directory=True)  # the start's faces: other
    out = tmp_path / "new"
    args = ["--epochs", 1, "--init", toon_model, "--characters", "cat,mouse", "--json"]
    res = run("train", data, "--out", out, *args)
    assert res.returncode == 0, res.stderr
    model = EmotionModel(out)
    assert model.characters == ("cat", "mouse", "other")
    assert model.classes == EmotionModel(toon_model).classes  # it still knows every emotion
    from model.settings import TrainSettings
    from model.train import load_data

    s = TrainSettings(characters=("cat", "mouse")).resolved()
    faces = load_data(data, s, EmotionModel(toon_model))
    cat = faces.character == faces.characters.index("cat")
    assert cat.sum() == len(list((faces_dir / "tom" / "happy").glob("*.png")))
    assert (faces.emotion[cat] == -1).all()  # unlabelled: the emotion head learns nothing of them
    # an unlabelled face must say whose it is
    (data / "unlabelled").mkdir()
    one = next((faces_dir / "tom" / "sad").glob("*.png"))
    (data / "unlabelled" / one.name).write_bytes(one.read_bytes())
    res = run_here("train", data, "--out", tmp_path / "no", *args)
    assert res.returncode == 2 and "needs a folder of the cast above it" in res.stderr
    assert not (tmp_path / "no").exists()


def test_fine_tune_refuses_a_model_of_other_emotions(
    toon_model: Path, faces_dir: Path, tmp_path: Path
) -> None:
    res = run_here(
        "train", faces_dir, "--out", tmp_path / "m", "--epochs", 1, "--init", toon_model,
        "--classes", "happy,sad",
    )  # fmt: skip
    assert res.returncode == 2 and res.stderr.count("\n") == 1
    assert "cannot start from it" in res.stderr and not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--oversample", "extra=0"], "FOLDER=N"),
        (["--oversample", "emoij=20"], "--oversample emoij: no images under a folder"),
        (["--learning-rate", "0"], "--learning-rate must be above 0"),
        (["--learning-rate", "inf"], "--learning-rate must be above 0"),
    ],
)
def test_train_rejects_bad_settings(
    args: list, message: str, faces_dir: Path, tmp_path: Path
) -> None:
    res = run_here("train", faces_dir, "--out", tmp_path / "m", "--epochs", 1, *args)
    assert res.returncode == 2 and res.stderr.count("\n") == 1, res.stderr
    assert message in res.stderr and not (tmp_path / "m").exists()


@pytest.mark.parametrize("flag", ["--epochs", "--batch-size"])
def test_zero_is_refused_not_replaced_by_the_default(
    tmp_path: Path, capsys: pytest.CaptureFixture, flag: str
) -> None:
    from toon.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["train", str(tmp_path), "--out", str(tmp_path / "m"), flag, "0"])
    assert stop.value.code == 2
    assert f"argument {flag}: must be at least 1, got 0" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
