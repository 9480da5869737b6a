"""Conv2D's two im2col constructions (direct strided copies for few input channels, the padded
sliding-window view otherwise) give identical matrices, and so identical outputs and filter gradients;
MaxPoolGrad (tiled and general paths) against a loop oracle on inputs full of ties."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import trainer as tf
from trainer.ops import conv_ops, conv_runtime


@pytest.fixture(autouse=True)
def _numpy_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    """These are the numpy kernels' tests (tests/trainer/test_conv_runtime.py covers the C runtime's)."""
    monkeypatch.setenv(conv_runtime.ENV_VAR, "numpy")


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


def _max_pool_grad_oracle(x: np.ndarray, dy: np.ndarray, k: int) -> np.ndarray:
    """VALID k x k / stride k MaxPoolGrad by loops: each window's dy goes to its first maximal element."""
    dx = np.zeros_like(x)
    n, oh, ow, c = dy.shape
    for b, i, j, ch in itertools.product(range(n), range(oh), range(ow), range(c)):
        win = x[b, i * k : i * k + k, j * k : j * k + k, ch]
        p, q = np.unravel_index(np.argmax(win), win.shape)  # argmax: the first maximum, row-major
        dx[b, i * k + p, j * k + q, ch] = dy[b, i, j, ch]
    return dx


@pytest.mark.parametrize(("h", "w", "k"), [(6, 8, 2), (7, 8, 2), (9, 6, 3)])
def test_max_pool_grad_with_ties_matches_loops(h: int, w: int, k: int) -> None:
    """Tiled (6x8, 9x6) and general (7x8 leaves a row out) MaxPoolGrad paths; small integers and ReLU
    zeros make many windows hold their maximum more than once."""
    rng = np.random.default_rng(h * w + k)
    xv = np.maximum(rng.integers(-3, 3, (2, h, w, 3)), 0).astype(np.float32)
    g = tf.Graph()
    with g.as_default():
        x = tf.constant(xv)
        y = tf.nn.max_pool(x, ksize=k, strides=k, padding="VALID")
        dyv = rng.standard_normal(tuple(y.shape.as_list())).astype(np.float32)
        (dx,) = tf.gradients(y, [x], grad_ys=[tf.constant(dyv)])
        with tf.Session() as sess:
            got = sess.run(dx)
    np.testing.assert_array_equal(got, _max_pool_grad_oracle(xv, dyv, k))
