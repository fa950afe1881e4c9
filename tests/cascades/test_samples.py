from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from cascades.annotations import boxes_by_character, frames_from
from cascades.evaluate import eval_frames
from cascades.samples import check_truth_folder, frames_from_truth
from core.truth import write_truth
from core.video import count_frames, probe, read_frames
from tests.cascades.conftest import episode_with_extra_face


def _image(path: Path, w: int = 64, h: int = 48) -> Path:
    cv2.imwrite(str(path), np.random.default_rng(0).integers(0, 255, (h, w, 3), np.uint8))
    return path


def test_truth_frames(truth_dir: Path) -> None:
    frames = list(frames_from_truth(truth_dir, "tom", frame_step=16))
    assert len(frames) == 2 * 12  # 2 episodes x 192 frames / 16
    assert frames[0].image.shape == (360, 640, 3)
    assert sum(len(f.boxes_xyxy) for f in frames) > 0


def test_annotation_list(tmp_path: Path) -> None:
    _image(tmp_path / "a.png")
    _image(tmp_path / "b.png")
    listing = tmp_path / "faces.txt"
    listing.write_text("a.png 2 1 2 10 12 20 20 5 5\nb.png 0\n")
    frames = list(frames_from(listing, "tom"))
    assert [len(f.boxes_xyxy) for f in frames] == [2, 0]
    np.testing.assert_array_equal(frames[0].boxes_xyxy[0], [1, 2, 11, 14])


def test_coco(tmp_path: Path) -> None:
    _image(tmp_path / "a.png")
    coco = {
        "images": [{"id": 1, "file_name": "a.png"}],
        "categories": [{"id": 3, "name": "Tom"}, {"id": 4, "name": "jerry"}],
        "annotations": [
            {"image_id": 1, "category_id": 3, "bbox": [1, 2, 10, 12]},
            {"image_id": 1, "category_id": 4, "bbox": [30, 2, 10, 12]},
        ],
    }
    (tmp_path / "c.json").write_text(json.dumps(coco))
    frames = list(frames_from(tmp_path / "c.json", "tom"))
    np.testing.assert_array_equal(frames[0].boxes_xyxy, [[1, 2, 11, 14]])
    np.testing.assert_array_equal(frames[0].others_xyxy, [[30, 2, 40, 14]])  # jerry's
    (image, bgr, boxes, hidden), *rest = boxes_by_character(tmp_path / "c.json")
    assert not rest and image == tmp_path / "a.png" and bgr.shape == (48, 64, 3)
    assert {k: v.tolist() for k, v in boxes.items()} == {
        "jerry": [[30, 2, 40, 14]],
        "tom": [[1, 2, 11, 14]],
    }
    assert hidden.shape == (0, 4)
    with pytest.raises(ValueError, match="no category named 'spike'"):
        list(frames_from(tmp_path / "c.json", "spike"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["annotations"][0].update(category_id=9), "annotation 7: no category 9"),
        (lambda c: c["annotations"][0].update(image_id=2), "annotation 7: no image 2"),
        (lambda c: c["annotations"][0].pop("bbox"), "not COCO JSON.*bbox"),
        (lambda c: c["annotations"][0].update(bbox=[1, 2]), "bbox needs 4 numbers"),
        (lambda c: c["images"][0].pop("file_name"), "not COCO JSON.*file_name"),
        (lambda c: c.pop("categories"), "not COCO JSON.*categories"),
    ],
)
def test_bad_coco(tmp_path: Path, change, message: str) -> None:  # noqa: ANN001
    _image(tmp_path / "a.png")
    coco = {
        "images": [{"id": 1, "file_name": "a.png"}],
        "categories": [{"id": 3, "name": "tom"}],
        "annotations": [{"id": 7, "image_id": 1, "category_id": 3, "bbox": [1, 2, 10, 12]}],
    }
    change(coco)
    (tmp_path / "c.json").write_text(json.dumps(coco))
    for read in (lambda p: frames_from(p, "tom"), boxes_by_character):
        with pytest.raises(ValueError, match=f"c.json: .*{message}"):
            list(read(tmp_path / "c.json"))
    with pytest.raises(ValueError, match="COCO \\(.json\\) or an opencv_annotation list"):
        list(boxes_by_character(tmp_path / "a.png"))


def test_empty_truth_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no \\*.truth.csv files"):
        list(frames_from(tmp_path, "tom"))


def test_truth_box_outside_the_frame(truth_dir: Path, tmp_path: Path) -> None:
    for p in truth_dir.glob("s21-e01.*"):
        shutil.copy(p, tmp_path / p.name)
    truth = tmp_path / "s21-e01.truth.csv"
    lines = truth.read_text().splitlines()
    cells = lines[1].split(",")
    cells[7] = "700"  # x2 beyond the 640-pixel frame
    truth.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")
    with pytest.raises(ValueError, match="lies outside the 640x360 frame") as info:
        list(frames_from(tmp_path, "tom"))
    assert str(truth) in str(info.value)


def test_corrupt_image(tmp_path: Path) -> None:
    (tmp_path / "bad.png").write_bytes(b"\x89PNG not really")
    (tmp_path / "faces.txt").write_text("bad.png 1 1 1 5 5\n")
    with pytest.raises(ValueError, match="bad.png: cannot decode image"):
        list(frames_from(tmp_path / "faces.txt", "tom"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a.png 2 1 1 5 5\n", "says 2 boxes but gives 4 numbers"),
        ("a.png x\n", "expected `path n x y w h"),
        ("a.png 1 40 40 50 50\n", "lies outside the 64x48 frame"),
    ],
)
def test_bad_annotation_lists(tmp_path: Path, text: str, message: str) -> None:
    _image(tmp_path / "a.png")
    (tmp_path / "faces.txt").write_text(text)
    with pytest.raises(ValueError, match=message):
        list(frames_from(tmp_path / "faces.txt", "tom"))


@pytest.mark.parametrize("frame_step", [1, 7])
def test_truth_readers_agree_with_synth_frames(truth_dir: Path, frame_step: int) -> None:
    """Training's and evaluation's frames are `core.video.read_frames`' frames, with the same
    faces owed and ignored."""
    decoded = [
        (video, frame)
        for video in sorted(truth_dir.glob("*.mp4"))
        for frame in read_frames(video, frame_step=frame_step)
    ]
    training = list(frames_from_truth(truth_dir, "tom", frame_step))
    evaluation = list(eval_frames(truth_dir, "tom", frame_step))
    assert len(training) == len(evaluation) == len(decoded) == 2 * -(-192 // frame_step)
    for (video, frame), a, e in zip(decoded, training, evaluation, strict=True):
        assert a.source == f"{video}:{frame.index}"
        np.testing.assert_array_equal(a.image, frame.bgr)
        np.testing.assert_array_equal(e.image, frame.bgr)
        np.testing.assert_array_equal(a.boxes_xyxy, e.owed_xyxy)
        np.testing.assert_array_equal(a.ignore_xyxy, e.ignore_xyxy)
    assert sum(len(e.owed_xyxy) for e in evaluation) > 0


def test_truth_frame_past_the_video(truth_dir: Path, tmp_path: Path) -> None:
    episode_with_extra_face(truth_dir, tmp_path, frame=192)
    message = "frame 192 is outside s21-e01.mp4, which has 192 frames"
    with pytest.raises(ValueError, match=message):
        check_truth_folder(tmp_path)
    with pytest.raises(ValueError, match=message):
        next(eval_frames(tmp_path, "tom"))  # checked before a frame is decoded


def test_a_video_shorter_than_it_says(tmp_path: Path) -> None:
    """Its container says 10 frames; the file ends after fewer: every frame there is, then an
    error saying how many there were."""
    avi = tmp_path / "e.avi"
    writer = cv2.VideoWriter(str(avi), cv2.VideoWriter_fourcc(*"MJPG"), 24, (64, 48))
    for i in range(10):
        writer.write(np.random.default_rng(i).integers(0, 255, (48, 64, 3), np.uint8))
    writer.release()
    data = avi.read_bytes()
    (tmp_path / "e.mp4").write_bytes(data[: len(data) * 6 // 10])
    avi.unlink()
    write_truth(tmp_path / "e.truth.csv", [])
    decoded, _ = count_frames(tmp_path / "e.mp4")
    assert 0 < decoded < probe(tmp_path / "e.mp4").frames == 10
    frames = []
    with pytest.raises(
        ValueError,
        match=f"e.mp4: cut short \\(its header promises 10 frames, {decoded} could be decoded\\)$",
    ):
        frames.extend(frames_from_truth(tmp_path, "tom"))
    assert len(frames) == decoded


def _coco_file(tmp_path: Path, bbox: list, file_name: str = "a.png") -> Path:
    (tmp_path / "c.json").write_text(
        json.dumps(
            {
                "images": [{"id": 1, "file_name": file_name}],
                "categories": [{"id": 3, "name": "tom"}],
                "annotations": [{"id": 7, "image_id": 1, "category_id": 3, "bbox": bbox}],
            }
        )
    )
    return tmp_path / "c.json"


@pytest.mark.parametrize(
    ("bbox", "xyxy", "said"),
    [
        ([1, 2, 10, 12], [1, 2, 11, 14], []),
        ([54.4, 2, 10, 12], [54.4, 2, 64, 14], ["1 box within a pixel past the frame edge"]),
        ([-1, -0.5, 10, 48.5], [0, 0, 9, 48], ["1 box within a pixel past the frame edge"]),
    ],
)
def test_coco_boxes_a_hair_past_the_edge_are_clipped(
    tmp_path: Path, bbox: list, xyxy: list, said: list[str]
) -> None:
    _image(tmp_path / "a.png")
    path = _coco_file(tmp_path, bbox)
    warned: list[str] = []
    (frame,) = frames_from(path, "tom", warn=warned.append)
    np.testing.assert_allclose(frame.boxes_xyxy, [xyxy])
    assert warned == [f"{path}: {s} was clipped to it" for s in said]
    warned.clear()
    ((_, _, boxes, _),) = boxes_by_character(path, warn=warned.append)
    np.testing.assert_allclose(boxes["tom"], [xyxy])
    assert warned == [f"{path}: {s} was clipped to it" for s in said]


def test_annotation_list_boxes_a_pixel_past_the_edge_are_clipped(tmp_path: Path) -> None:
    _image(tmp_path / "a.png")
    listing = tmp_path / "tom.txt"
    listing.write_text("a.png 2 60 10 5 5 -1 0 10 49\n")
    warned: list[str] = []
    (frame,) = frames_from(listing, "tom", warn=warned.append)
    np.testing.assert_array_equal(frame.boxes_xyxy, [[60, 10, 64, 15], [0, 0, 9, 48]])
    assert warned == [f"{listing}: 2 boxes within a pixel past the frame edge were clipped to it"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a.png 1 40 10 -5 5\n", ":1: box 40,10,35,15 has a negative width \\(-5 px\\)$"),
        ("a.png 1 40 10 5 0\n", ":1: box 40,10,45,10 has a zero height \\(0 px\\)$"),
        ("a.png 1 62 10 5 5\n", ":1: box 62,10,67,15 lies outside the 64x48 frame$"),
        ("../a.png 0\n", ":1: image '../a.png' lies outside the annotation file's folder"),
    ],
)
def test_bad_boxes_and_images_of_a_list(tmp_path: Path, text: str, message: str) -> None:
    _image(tmp_path / "a.png")
    (tmp_path / "sub").mkdir()
    _image(tmp_path / "sub" / "a.png")
    listing = tmp_path / "sub" / "tom.txt"
    listing.write_text(text)
    with pytest.raises(ValueError, match=f"^{listing}{message}"):
        list(frames_from(listing, "tom"))


def test_check_annotations_reads_no_pixels(tmp_path: Path) -> None:
    """Names and image paths are checked from the file alone: an image that is missing (or not
    yet decoded) does not matter; one outside the folder does, unless allowed."""
    from cascades.annotations import check_annotations

    check_annotations(_coco_file(tmp_path, [1, 2, 3, 4], file_name="missing.png"))
    path = _coco_file(tmp_path, [1, 2, 3, 4], file_name="../x.png")
    with pytest.raises(ValueError, match="image '../x.png' lies outside"):
        check_annotations(path)
    check_annotations(path, allow_outside_images=True)
    (tmp_path / "..txt").write_text("a.png 0\n")
    with pytest.raises(ValueError, match=r"\.\.txt: character name '\.' is not allowed"):
        list(boxes_by_character(tmp_path / "..txt"))
