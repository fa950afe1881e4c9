"""TensorFlow and Keras, imported once and quietly.

TensorFlow's C++ side writes start-up chatter to stderr (oneDNN notes, "could not find cuda
drivers", a failed cuInit on machines without a GPU) that no environment variable silences in
2.21. It would bury a command's one-line error, so the import and the device probe run with the
process's stderr pointed at /dev/null. Python exceptions are unaffected. A GPU, when there is one,
is used as TensorFlow does by itself.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _import_quietly():  # noqa: ANN202
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        import keras
        import tensorflow as tf

        tf.config.list_physical_devices()  # the device probe logs too
        return tf, keras
    finally:
        os.dup2(saved, 2)
        os.close(null)
        os.close(saved)


tf, keras = _import_quietly()
