"""The emotion CNN: train, evaluate, visualise, and the shipped weights."""

from pathlib import Path

# the shipped model folder; here, not in store.py, so that naming it does not load TensorFlow
DEFAULT = Path(__file__).resolve().parent / "weights" / "default"

ARCHS = ("seed", "toon")
OPTIMIZERS = ("sgd", "adagrad", "adadelta", "rmsprop", "adam")
