"""``tf.image`` resizing against TensorFlow: tests/fixtures/resize_ops.npz (scripts/make_resize_fixtures.py,
TF 2.21's ``tf.compat.v1.image.resize_bilinear`` / ``resize_nearest_neighbor`` and their gradients) for the
three legal align_corners / half_pixel_centers pairs, up- and down-sampling, non-integer ratios and size 1;
then ``resize_images``' rules and the errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import trainer as tf
from trainer.errors import InvalidArgumentError, UnimplementedError

FIXTURES = np.load(Path(__file__).resolve().parents[1] / "fixtures" / "resize_ops.npz")
KEYS = sorted(k[:-2] for k in FIXTURES.files if k.endswith("_y"))
FNS = {"bilinear": tf.image.resize_bilinear, "nearest": tf.image.resize_nearest_neighbor}


@pytest.fixture(scope="module")
def tf_results() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every fixture key's (y, dx) from one graph and one Session.run."""
    g = tf.Graph()
    with g.as_default():
        fetch = {}
        for key in KEYS:
            method, mode, src, _, dst = key.split("_")
            x = tf.constant(FIXTURES[f"x_{src}"])
            gy = tf.constant(FIXTURES[f"gy_{dst}"])
            oh, ow = (int(v) for v in dst.split("x"))
            y = FNS[method](x, [oh, ow], align_corners=mode[0] == "1", half_pixel_centers=mode[1] == "1")
            fetch[key] = (y, tf.gradients(tf.reduce_sum(y * gy), x)[0])
        with tf.Session() as sess:
            return sess.run(fetch)


@pytest.mark.parametrize("key", KEYS)
def test_resize_and_gradient_match_tensorflow(tf_results, key: str):
    y, dx = tf_results[key]
    want_y, want_dx = FIXTURES[key + "_y"], FIXTURES[key + "_dx"]
    assert y.dtype == np.float32 and y.shape == want_y.shape
    if key.startswith("nearest"):
        np.testing.assert_array_equal(y, want_y)  # a copy of the same pixels
    else:
        np.testing.assert_allclose(y, want_y, rtol=0, atol=1e-6)  # TF's arithmetic in the same order
    np.testing.assert_allclose(dx, want_dx, rtol=0, atol=2e-6)


def test_resize_bilinear_hand_checked_values():
    """2 -> 4 pixels: legacy i * 0.5; align_corners i / 3; half-pixel (i + 0.5) / 2 - 0.5, clamped."""
    x = np.array([0.0, 3.0], np.float32).reshape(1, 1, 2, 1)
    with tf.Session() as sess:
        legacy, corners, half = sess.run(
            [
                tf.image.resize_bilinear(x, [1, 4]),
                tf.image.resize_bilinear(x, [1, 4], align_corners=True),
                tf.image.resize_bilinear(x, [1, 4], half_pixel_centers=True),
            ]
        )
    np.testing.assert_allclose(legacy.ravel(), [0.0, 1.5, 3.0, 3.0])
    np.testing.assert_allclose(corners.ravel(), [0.0, 1.0, 2.0, 3.0], atol=1e-6)
    np.testing.assert_allclose(half.ravel(), [0.0, 0.75, 2.25, 3.0])


def test_resize_images_methods_ranks_and_dtypes():
    img = np.arange(2 * 3 * 4 * 1, dtype=np.float64).reshape(2, 3, 4, 1)
    with tf.Session() as sess:
        nn = sess.run(tf.image.resize_images(img, [6, 8], method=tf.image.ResizeMethod.NEAREST_NEIGHBOR))
        bl3 = sess.run(tf.image.resize(img[0], [5, 2]))
        u8 = tf.image.resize_bilinear(img.astype(np.uint8), [5, 2])
        u8_v = sess.run(u8)
    np.testing.assert_array_equal(nn, img.repeat(2, axis=1).repeat(2, axis=2))
    assert bl3.shape == (5, 2, 1) and bl3.dtype == np.float64
    np.testing.assert_allclose(bl3, sess_free_bilinear(img[0], 5, 2), atol=1e-12)
    assert u8.dtype == tf.float32 and u8_v.dtype == np.float32
    same = tf.constant(img)
    assert tf.image.resize_images(same, [3, 4]) is same  # TF1 skips a resize to the same static size


def sess_free_bilinear(img: np.ndarray, oh: int, ow: int) -> np.ndarray:
    """Legacy bilinear resize of one [H, W, C] image (scale in / out, no half-pixel offset), in float64."""
    h, w, _ = img.shape
    out = np.zeros((oh, ow, img.shape[2]))
    for i in range(oh):
        sy = i * np.float32(h) / np.float32(oh)
        y0, ly = int(np.floor(sy)), sy - np.floor(sy)
        for j in range(ow):
            sx = j * np.float32(w) / np.float32(ow)
            x0, lx = int(np.floor(sx)), sx - np.floor(sx)
            y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
            top = img[y0, x0] * (1 - lx) + img[y0, x1] * lx
            bot = img[y1, x0] * (1 - lx) + img[y1, x1] * lx
            out[i, j] = top * (1 - ly) + bot * ly
    return out


def test_a_size_fed_at_run_time():
    x = tf.placeholder(tf.float32, [1, 2, 2, 1])
    size = tf.placeholder(tf.int32, [2])
    y = tf.image.resize_nearest_neighbor(x, size)
    assert y.shape.as_list() == [1, None, None, 1]
    with tf.Session() as sess:
        out = sess.run(y, {x: [[[[1.0], [2.0]], [[3.0], [4.0]]]], size: [1, 4]})
    np.testing.assert_array_equal(out.ravel(), [1.0, 1.0, 2.0, 2.0])


@pytest.mark.parametrize(
    ("build", "err", "match"),
    [
        (
            lambda: tf.image.resize_bilinear(tf.zeros([1, 2, 2, 1]), [4, 4], True, half_pixel_centers=True),
            InvalidArgumentError,
            "align_corners must be False",
        ),
        (lambda: tf.image.resize_nearest_neighbor(tf.zeros([2, 2, 1]), [4, 4]), InvalidArgumentError, "4-D"),
        (
            lambda: tf.image.resize_bilinear(tf.zeros([1, 2, 2, 1]), [4, 4, 1]),
            InvalidArgumentError,
            "2 elements",
        ),
        (lambda: tf.image.resize_bilinear(tf.zeros([1, 2, 2, 1]), [0, 4]), InvalidArgumentError, "positive"),
        (
            lambda: tf.image.resize_bilinear(tf.zeros([1, 2, 2, 1]), tf.constant([4, 4], tf.int64)),
            InvalidArgumentError,
            "int32",
        ),
        (
            lambda: tf.image.resize_images(tf.zeros([1, 2, 2, 1]), [4, 4], method=tf.image.ResizeMethod.AREA),
            UnimplementedError,
            "method",
        ),
        (lambda: tf.image.resize_images(tf.zeros([2, 2]), [4, 4]), InvalidArgumentError, "3-D or 4-D"),
    ],
)
def test_user_errors(build, err, match):
    with tf.Graph().as_default(), pytest.raises(err, match=match):
        build()


@pytest.mark.parametrize("module", ["trainer.image", "trainer.ops.image_ops"])
def test_module_examples_run(module: str) -> None:
    import doctest
    import importlib

    with tf.Graph().as_default():
        result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0, result
