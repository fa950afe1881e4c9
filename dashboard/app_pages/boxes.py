"""Boxes: draw each character's face boxes on the frames `toon frames` picked; saved as COCO
(`FRAMES/boxes.json`), which `toon cascade train` reads to learn a cascade per character."""

from __future__ import annotations

import cv2
import streamlit as st

from dashboard import boxes, resources

MAX_WIDTH_PX = 960  # frames wider than this are shown scaled down; boxes are saved in pixels
FRAME = "boxes_frame"  # which frame is shown
LAST_SAVE = "boxes_outcome"

settings = resources.settings()
folder = settings.frames
if folder is None:
    raise ValueError("no frames to box: start the dashboard with --frames DIR (`toon frames`)")
names = boxes.frame_names(folder)
coco = boxes.load(folder)
saved = {im["file_name"] for im in coco["images"]}

st.title("Face boxes")
st.caption(
    f"{folder}: {len(names)} frames, {len(saved)} saved. Name the character, drag a box round "
    "each of its faces (the whole head, ears aside), switch the name for the next character, "
    "and save. A frame saved with no box of a character teaches its cascade what it is not."
)
counts = boxes.summary(coco)
if counts["frames"]:
    st.write(
        f"Boxed so far: {counts['frames']} frames; "
        + ", ".join(f"{k} {v}" for k, v in counts["boxes"].items())
    )

if FRAME not in st.session_state:  # start at the first frame not saved yet
    st.session_state[FRAME] = next((n for n, f in enumerate(names) if f not in saved), 0)
left, middle, right = st.columns([1, 3, 1])


def step(by: int) -> None:
    st.session_state[FRAME] = min(max(st.session_state[FRAME] + by, 0), len(names) - 1)


left.button("Previous", on_click=step, args=(-1,))
right.button("Next", on_click=step, args=(1,))
index = middle.number_input("Frame", 1, len(names), st.session_state[FRAME] + 1) - 1
st.session_state[FRAME] = int(index)
image = names[int(index)]

known = sorted(c["name"] for c in coco["categories"])
typed = st.text_input(
    "Character", value=known[0] if known else "", help="lower case, e.g. bunny", key="boxes_who"
)
try:
    label = boxes.check_name(typed) if typed.strip() else ""
except ValueError as exc:
    st.error(str(exc))
    label = ""

bgr = cv2.imread(str(folder / image), cv2.IMREAD_COLOR)
if bgr is None:
    raise ValueError(f"{folder / image}: cannot decode the frame")
h, w = bgr.shape[:2]
scale = min(1.0, MAX_WIDTH_PX / w)
ok, png = cv2.imencode(".png", bgr)

from streamlit_drawable_canvas import boxes_to_drawing, st_canvas  # noqa: E402  app-only import

shown = [
    {k: v * scale if k != "label" else v for k, v in b.items()} for b in boxes.boxes_of(coco, image)
]
canvas = st_canvas(
    background_image=png.tobytes(),
    width=round(w * scale),
    height=round(h * scale),
    drawing_mode="labeled_rect",
    label=label,
    stroke_width=2,
    stroke_color="#ff2d55",
    fill_color="rgba(255, 45, 85, 0.08)",
    initial_drawing=boxes_to_drawing(shown, stroke_color="#ff2d55", stroke_width=2),
    key=f"boxes-{image}",
)
drawn = [{k: v / scale if k != "label" else v for k, v in b.items()} for b in canvas.boxes]
if drawn and not label and any(not b["label"] for b in drawn):
    st.warning("Name the character before drawing: a box without a name cannot be saved.")


def save() -> None:
    try:
        result = boxes.save_frame(folder, image, drawn, (w, h))
    except (OSError, ValueError) as exc:
        st.session_state[LAST_SAVE] = ("error", str(exc).splitlines()[0])
    else:
        n = len(boxes.boxes_of(result, image))
        st.session_state[LAST_SAVE] = ("saved", f"{image}: {n} boxes")
        step(1)


st.button(f"Save {len(drawn)} boxes and go on", type="primary", on_click=save)
outcome, said = st.session_state.get(LAST_SAVE, (None, None))  # until the next save
if outcome == "saved":
    st.success(f"Saved {said} to {folder / boxes.BOXES}")
elif outcome == "error":
    st.error(f"Not saved: {said}")

if known:
    st.subheader("Then")
    st.caption("A cascade per character from these boxes, the model's new cast, and an index:")
    st.code(boxes.next_commands(folder, coco), "bash")
