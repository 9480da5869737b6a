"""Op cases for control flow (``If``, ``While``, their gradient ops, ``_Arg``) and ``ReverseSequence``:
forward against numpy in test_ops.py, gradients against central differences in test_gradients.py (the
gradient of a cond or while loop goes through its IfGrad/WhileGrad op, so the numeric check covers them).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import trainer as tf
from trainer.errors import InvalidArgumentError

RNG = np.random.default_rng(4321)
X3, W3 = RNG.uniform(-1, 1, 3), RNG.uniform(-1, 1, 3)
X23 = RNG.uniform(-1, 1, (2, 3))
DY3, DY23 = RNG.uniform(-1, 1, 3), RNG.uniform(-1, 1, (2, 3))


def _branches(x: Any, w: Any, big: float) -> list[Any]:
    return tf.cond(
        tf.reduce_sum(x) < big,
        lambda: [tf.tanh(x * w), x + w * w],
        lambda: [x - w, tf.exp(w)],
    )


def _branches_ref(x: np.ndarray, w: np.ndarray, big: float) -> list[np.ndarray]:
    return [np.tanh(x * w), x + w * w] if x.sum() < big else [x - w, np.exp(w)]


def _loop(x: Any, w: Any) -> Any:
    _, h = tf.while_loop(lambda i, h: i < 3, lambda i, h: (i + 1, tf.tanh(h * w + x)), [0, x])
    return h


def _loop_ref(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    h = x
    for _ in range(3):
        h = np.tanh(h * w + x)
    return h


def _loop_cond(x: Any, w: Any) -> Any:
    """A cond inside a loop body, maximum_iterations below what the cond allows."""

    def body(i: Any, h: Any) -> Any:
        return i + 1, tf.cond(tf.equal(i % 2, 0), lambda: h * w, lambda: tf.tanh(h + x))

    _, h = tf.while_loop(lambda i, h: i < 10, body, [0, x], maximum_iterations=4)
    return h


def _loop_cond_ref(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    h = x
    for i in range(4):
        h = h * w if i % 2 == 0 else np.tanh(h + x)
    return h


def _numeric_vjp(f: Any, x: np.ndarray, dy: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        g[idx] = (np.sum(dy * f(xp)) - np.sum(dy * f(xm))) / (2 * eps)
    return g


def _reverse_sequence_ref(x: np.ndarray, lens: np.ndarray) -> np.ndarray:
    out = x.copy()
    for b, n in enumerate(lens):
        out[:n, b] = x[:n, b][::-1]
    return out


def _body_tensor_is_not_fetchable() -> None:
    with tf.Graph().as_default():
        inside = []

        def body(i: Any) -> Any:
            inside.append(i * 2)
            return inside[-1]

        out = tf.while_loop(lambda i: i < 5, body, [1])
        with tf.Session() as sess:
            assert sess.run(out) == 8
            with pytest.raises(InvalidArgumentError, match="inside the body"):
                sess.run(inside[0])


def control_flow_cases(OpCase: Any) -> list[Any]:
    lens = np.array([3, 1, 2], np.int32)
    xs = RNG.uniform(-1, 1, (4, 3, 2))
    return [
        OpCase("If", lambda x, w: _branches(x, w, 100.0), [X3, W3], lambda x, w: _branches_ref(x, w, 100.0)),
        OpCase(
            "If",
            lambda x, w: _branches(x, w, -100.0),
            [X3, W3],
            lambda x, w: _branches_ref(x, w, -100.0),
            name="If_false_branch",
        ),
        OpCase(
            "IfGrad",
            lambda x, w, dy: tf.gradients(_branches(x, w, 100.0)[0], [x, w], grad_ys=dy),
            [X3, W3, DY3],
            lambda x, w, dy: [
                _numeric_vjp(lambda v: _branches_ref(v, w, 100.0)[0], x, dy),
                _numeric_vjp(lambda v: _branches_ref(x, v, 100.0)[0], w, dy),
            ],
            grad=False,
        ),
        OpCase("While", _loop, [X23, W3], _loop_ref),
        OpCase("While", _loop_cond, [X23, W3], _loop_cond_ref, name="While_cond_inside_max_iter"),
        OpCase(
            "WhileGrad",
            lambda x, w, dy: tf.gradients(_loop(x, w), [x, w], grad_ys=dy),
            [X23, W3, DY23],
            lambda x, w, dy: [
                _numeric_vjp(lambda v: _loop_ref(v, w), x, dy),
                _numeric_vjp(lambda v: _loop_ref(x, v), w, dy),
            ],
            grad=False,
        ),
        OpCase("_Arg", lambda: None, custom=_body_tensor_is_not_fetchable),
        OpCase(
            "ReverseSequence",
            lambda x, n: tf.reverse_sequence(x, n, seq_axis=0, batch_axis=1),
            [xs, lens],
            _reverse_sequence_ref,
        ),
    ]
