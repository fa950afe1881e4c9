"""Augmentation that teaches emotion rather than drawing style.

Geometry (flips, small rotations, scale and shifts), colour (palette permutations, hue,
saturation, brightness, contrast, grey), blur and JPEG artefacts, and line art: a face redrawn
as dark strokes on paper, so that a sketch and a coloured face of one emotion land together in
the embedding. Line art is computed once per image with OpenCV; the rest runs in `tf.data`.
"""

from __future__ import annotations

import cv2
import numpy as np

from core.backend import keras, tf

layers = keras.layers

LINE_ART_P = 0.3
GREY_P = 0.1
BLUR_P = 0.2
JPEG_P = 0.3


def line_art(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Edges of a face as dark strokes on light paper (H, W, 3) uint8."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    grey = cv2.GaussianBlur(grey, (3, 3), 0)
    low = int(rng.integers(30, 70))
    edges = cv2.Canny(grey, low, low * 3)
    if rng.random() < 0.5:
        edges = cv2.dilate(edges, np.ones((2, 2), np.uint8))
    paper = int(rng.integers(225, 256))
    ink = int(rng.integers(0, 70))
    out = np.where(edges > 0, ink, paper).astype(np.uint8)
    return np.repeat(out[:, :, None], 3, axis=2)


def line_arts(images: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([line_art(im, rng) for im in images]) if len(images) else images.copy()


def _per_image(image: tf.Tensor, sketch: tf.Tensor) -> tf.Tensor:
    """Colour, blur and JPEG on one uint8 image; line art replaces it with probability p."""
    image = tf.where(tf.random.uniform(()) < LINE_ART_P, sketch, image)
    x = tf.image.convert_image_dtype(image, tf.float32)
    # palette: a random order of the colour channels, then hue and saturation
    x = tf.gather(x, tf.random.shuffle(tf.range(3)), axis=-1)
    x = tf.image.random_hue(x, 0.08)
    x = tf.image.random_saturation(x, 0.6, 1.4)
    x = tf.image.random_brightness(x, 0.15)
    x = tf.image.random_contrast(x, 0.7, 1.3)
    x = tf.where(
        tf.random.uniform(()) < GREY_P, tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(x)), x
    )
    x = tf.clip_by_value(x, 0.0, 1.0)
    blurred = tf.nn.avg_pool2d(x[None], 3, 1, "SAME")[0]
    x = tf.where(tf.random.uniform(()) < BLUR_P, blurred, x)
    jpeg = tf.image.adjust_jpeg_quality(x, tf.random.uniform((), 20, 70, tf.int32))
    x = tf.where(tf.random.uniform(()) < JPEG_P, jpeg, x)
    return tf.image.convert_image_dtype(x, tf.uint8, saturate=True)


def geometry(seed: int) -> layers.Layer:
    """Batch-wise flips, rotations up to 12 degrees, scale +-12% and shifts up to 6%."""
    return keras.Sequential(
        [
            layers.RandomFlip("horizontal", seed=seed),
            layers.RandomRotation(12 / 360, fill_mode="reflect", seed=seed + 1),
            layers.RandomZoom(0.12, fill_mode="reflect", seed=seed + 2),
            layers.RandomTranslation(0.06, 0.06, fill_mode="reflect", seed=seed + 3),
        ]
    )


def pipeline(
    images: np.ndarray,
    sketches: np.ndarray | None,
    targets: dict[str, np.ndarray] | np.ndarray,
    weights: dict[str, np.ndarray] | None,
    batch_size: int,
    seed: int,
    augment: bool,
) -> tf.data.Dataset:
    """A shuffled, batched dataset of (images, targets[, weights]), augmented if asked."""
    n = len(images)
    parts = (images, targets) if weights is None else (images, targets, weights)
    ds = tf.data.Dataset.from_tensor_slices(parts)
    if augment:
        if sketches is None:
            raise ValueError("augmentation needs the line-art copies of the images")
        ds = tf.data.Dataset.zip((ds, tf.data.Dataset.from_tensor_slices(sketches)))
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
        ds = ds.map(lambda p, s: (_per_image(p[0], s), *p[1:]), num_parallel_calls=tf.data.AUTOTUNE)
        geo = geometry(seed)
        ds = ds.batch(batch_size).map(
            lambda x, *rest: (
                tf.cast(geo(tf.cast(x, tf.float32), training=True), tf.float32),
                *rest,
            ),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    else:
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    return ds.prefetch(tf.data.AUTOTUNE)
