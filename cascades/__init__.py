"""Finding faces: per-character Haar cascades (a Viola-Jones trainer that writes OpenCV's cascade
XML), the learned proposer, their training and tuning, and the finder that combines them."""

from pathlib import Path

# the shipped detectors (NAME.xml and NAME.json per character, proposer.keras and proposer.json);
# here, not in finder.py, so that naming the folder loads neither OpenCV nor TensorFlow
DEFAULT = Path(__file__).resolve().parent / "weights" / "default"
# the shipped finder of any cartoon face (a proposer of one class, `face`, and no cascade): it
# finds the faces of a cast it never saw, for `toon cast propose` and `toon index --cascades`
FINDER = Path(__file__).resolve().parent / "weights" / "finder"
