"""Conv2D's two im2col constructions (direct strided copies for few input channels, the padded
sliding-window view otherwise) give identical matrices, and so identical outputs and filter gradients."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import trainer as tf
from trainer.ops import conv_ops

GEOMETRIES = [
    # (h, w, kh, kw, strides, dilations, padding)
    (7, 9, 3, 3, (1, 1), (1, 1), "SAME"),
    (7, 9, 3, 3, (2, 2), (1, 1), "SAME"),
    (8, 6, 3, 2, (2, 3), (1, 1), "VALID"),
    (9, 9, 3, 3, (1, 2), (2, 1), "SAME"),
    (5, 5, 5, 5, (1, 1), (1, 1), "SAME"),  # windows larger than half the input
    (4, 6, 1, 1, (3, 2), (1, 1), "SAME"),
    (10, 7, 4, 3, (3, 1), (2, 2), "VALID"),
]


@pytest.mark.parametrize(("geom", "c"), list(itertools.product(GEOMETRIES, [1, 2, 3])))
def test_direct_im2col_equals_the_sliding_window_view(geom: tuple, c: int) -> None:
    h, w, kh, kw, strides, dilations, padding = geom
    a = {"strides": strides, "dilations": dilations, "padding": padding}
    x = np.random.default_rng(h * 100 + c).standard_normal((2, h, w, c)).astype(np.float32)
    win, oh, ow = conv_ops._windows(np, x, kh, kw, a)
    cols, oh2, ow2 = conv_ops._cols_direct(x, kh, kw, a)
    assert (oh2, ow2) == (oh, ow)
    np.testing.assert_array_equal(cols, win.reshape(-1, kh * kw * c))


def _conv_and_grads(small_c: int, monkeypatch: pytest.MonkeyPatch) -> list[np.ndarray]:
    monkeypatch.setattr(conv_ops, "SMALL_C", small_c)
    rng = np.random.default_rng(3)
    g = tf.Graph()
    with g.as_default():
        x = tf.constant(rng.standard_normal((3, 9, 8, 1)).astype(np.float32))
        w = tf.constant(rng.standard_normal((3, 3, 1, 4)).astype(np.float32))
        y = tf.nn.conv2d(x, w, strides=[1, 2, 1, 1], padding="SAME")
        loss = tf.reduce_sum(y * y)
        grads = tf.gradients(loss, [x, w])
        with tf.Session() as sess:
            return sess.run([y, *grads])


def test_session_results_do_not_depend_on_the_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    direct = _conv_and_grads(conv_ops.SMALL_C, monkeypatch)
    view = _conv_and_grads(0, monkeypatch)
    for a, b in zip(direct, view, strict=True):
        np.testing.assert_array_equal(a, b)
