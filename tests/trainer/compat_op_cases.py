"""Op cases for the second round of TF1 names: ``tf.TensorArray`` (its write/scatter ops, inside and outside
``tf.while_loop``), ``tf.cumsum``/``tf.cumprod``/``tf.reduce_prod``, ``tf.einsum``, ``tf.Print``/``tf.print``,
``tf.nn.lrn`` and ``tf.nn.embedding_lookup`` over partitioned tables.

Appended to ``trainer_op_cases.CASES``: test_ops.py checks each forward against numpy, test_gradients.py
each gradient against float64 central differences.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
from trainer_op_cases import OpCase, r

import trainer as tf

X34 = r(3, 4)
WITH_ZERO = np.array([[0.5, -1.2, 0.0], [0.7, 0.9, -0.4]])  # reduce_prod's gradient must be exact at the 0


def _np_scan(x, axis, exclusive, reverse, op):
    y = np.flip(x, axis) if reverse else x
    acc = np.cumsum(y, axis) if op == "sum" else np.cumprod(y, axis)
    if exclusive:
        first = np.zeros_like(np.take(y, [0], axis)) if op == "sum" else np.ones_like(np.take(y, [0], axis))
        acc = np.concatenate([first, np.take(acc, range(y.shape[axis] - 1), axis)], axis)
    return np.flip(acc, axis) if reverse else acc


def _rnn_loop(x, w):
    """A hand-written RNN: inputs unstacked into one TensorArray, outputs written into another."""
    steps = 4
    xs = tf.TensorArray(tf.float64, size=steps).unstack(x)  # x: [steps, batch, 3]
    out = tf.TensorArray(tf.float64, size=steps)

    def body(t, h, out):
        h = tf.tanh(tf.matmul(xs.read(t), w) + h)
        return t + 1, h, out.write(t, h)

    _, h, out = tf.while_loop(lambda t, h, out: t < steps, body, [0, tf.zeros([2, 2], tf.float64), out])
    return [tf.reshape(out.stack(), [steps, 2, 2]), h]  # static shapes for the gradient harness


def _rnn_loop_ref(x, w):
    h, hs = np.zeros((2, 2)), []
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ w + h)
        hs.append(h)
    return [np.stack(hs), h]


def _dynamic_loop(x):
    """dynamic_size=True from size 0, written until a data-dependent condition stops the loop."""
    ta = tf.TensorArray(tf.float64, size=0, dynamic_size=True)
    _, ta = tf.while_loop(
        lambda i, ta: i < 3, lambda i, ta: (i + 1, ta.write(i, x * tf.cast(i + 1, x.dtype))), [0, ta]
    )
    fix = [[3, 2, 3], [6, 3], [2, 2, 3]]  # static shapes for the gradient harness
    outs = [ta.stack(), ta.concat(), ta.gather([2, 0])]
    return [tf.reshape(o, s) for o, s in zip(outs, fix, strict=True)] + [tf.cast(ta.size(), tf.float64)]


def _dynamic_loop_ref(x):
    s = np.stack([x * (i + 1) for i in range(3)])
    return [s, s.reshape(-1, *x.shape[1:]), s[[2, 0]], np.asarray(3.0)]


def _scatter(v):
    ta = tf.TensorArray(tf.float64, size=4, element_shape=[3]).scatter([3, 1], v)
    return ta.stack()


def _scatter_ref(v):
    out = np.zeros((4, 3))
    out[[3, 1]] = v
    return out


def _write_grad(x):
    ta = tf.TensorArray(tf.float64, size=3).unstack(x).write(1, tf.constant([9.0, 9.0], tf.float64))
    return tf.gradients(ta.stack(), x)[0]


def _tensor_array_errors() -> None:
    with tf.Graph().as_default():
        ta = tf.TensorArray(tf.float32, size=2)
        bad = ta.write(2, [1.0])
        shape_clash = (
            tf.TensorArray(tf.float32, size=2).write(0, tf.ones([2])).write(1, tf.placeholder(tf.float32))
        )
        with tf.Session() as sess:
            try:
                sess.run(bad.stack())
                raise AssertionError("writing past a fixed size must fail")
            except tf.errors.InvalidArgumentError as e:
                assert "out of range for size 2" in str(e) and "dynamic_size=True" in str(e)
            try:
                sess.run(shape_clash.stack(), {shape_clash.flow.op.inputs[2]: np.ones(3, np.float32)})
                raise AssertionError("writing an element of another shape must fail")
            except tf.errors.InvalidArgumentError as e:
                assert "shape [3]" in str(e) and "shape [2]" in str(e)
        try:
            tf.TensorArray(tf.float32, size=2).write(0, tf.ones([2])).write(1, tf.ones([3]))
            raise AssertionError("a static element shape clash must fail while building")
        except tf.errors.InvalidArgumentError as e:
            assert "(3,)" in str(e) or "[3]" in str(e)


def _print_v2_check() -> None:
    with tf.Graph().as_default():
        x = tf.constant(np.arange(10))
        m = tf.constant(np.arange(12).reshape(3, 4) / 2, tf.float32)
        buf = io.StringIO()
        op = tf.print("x:", x, m, 3.5, output_stream=buf)
        op2 = tf.print(tf.constant(np.arange(100).reshape(10, 10)), summarize=2, output_stream=buf, sep="|")
        with tf.Session() as sess:
            assert sess.run(op) is None
            sess.run(op2)
    # TensorFlow 2.21's tf.compat.v1 prints exactly these lines for the same program
    assert buf.getvalue() == (
        "x: [0 1 2 ... 7 8 9] [[0 0.5 1 1.5]\n [2 2.5 3 3.5]\n [4 4.5 5 5.5]] 3.5\n"
        "[[0 1 ... 8 9]\n [10 11 ... 18 19]\n ...\n [80 81 ... 88 89]\n [90 91 ... 98 99]]\n"
    )


def _print_check() -> None:
    with tf.Graph().as_default():
        x = tf.constant(np.arange(12).reshape(3, 4) / 2, tf.float32)
        outs = [
            tf.Print(x, [x], "A: "),
            tf.Print(x, [x, tf.constant([1, 2])], "B: ", summarize=20),
            tf.Print(x, [tf.constant(5)], "C: "),
            tf.Print(x, [tf.constant(np.arange(24).reshape(2, 3, 4))], "D: ", summarize=7),
            tf.Print(x, [x], "E: ", first_n=1),
            tf.Print(
                x,
                [tf.constant([0.683316, 1 / 3, 1e-7, 123456789.0]), tf.constant([1 / 3], tf.float64)],
                "F: ",
            ),
        ]
        err = io.StringIO()
        with tf.Session() as sess, contextlib.redirect_stderr(err):
            for o in outs:
                np.testing.assert_array_equal(sess.run(o), np.arange(12).reshape(3, 4) / 2)
            sess.run(outs[4])  # first_n=1: printed once
    # TensorFlow 2.21's tf.compat.v1 prints exactly these lines for the same program
    assert err.getvalue().splitlines() == [
        "A: [[0 0.5 1...]...]",
        "B: [[0 0.5 1 1.5][2 2.5 3 3.5][4 4.5 5 5.5]][1 2]",
        "C: [5]",
        "D: [[[0 1 2 3][4 5 6...]]...]",
        "E: [[0 0.5 1...]...]",
        "F: [0.683316 0.333333343 1e-07...][0.33333333333333331]",
    ]


def _sampler_check() -> None:
    """Seeded sampling repeats across sessions; distinct classes in range; nce_loss trains an embedding."""
    runs = []
    for _ in range(2):
        with tf.Graph().as_default():
            tf.set_random_seed(3)
            s, t, e = tf.nn.log_uniform_candidate_sampler(tf.constant([[1], [4]]), 1, 8, True, 30)
            with tf.Session() as sess:
                runs.append([sess.run(s) for _ in range(3)])
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)
        assert len(set(a.tolist())) == 8 and 0 <= a.min() and a.max() < 30
    assert not np.array_equal(runs[0][0], runs[0][1])  # a new sample each run


def _lrn_ref(x, r=2, bias=1.5, alpha=0.3, beta=0.75):
    c = x.shape[-1]
    s = np.stack([(x[..., max(0, d - r) : d + r + 1] ** 2).sum(-1) for d in range(c)], -1)
    return x / (bias + alpha * s) ** beta


def _partitioned(strategy):
    full = r(11, 3)
    if strategy == "mod":
        parts = [full[p::3] for p in range(3)]
    else:  # 11 rows over 3 tables: 4, 4, 3
        parts = [full[:4], full[4:8], full[8:]]
    ids = np.array([[0, 10, 4], [7, 3, 8]], np.int32)
    return parts, ids, full


MOD_PARTS, IDS, MOD_FULL = _partitioned("mod")
DIV_PARTS, _, DIV_FULL = _partitioned("div")


def _emb_ref(full):
    return full[IDS]


COMPAT_CASES: list[OpCase] = [
    OpCase("TensorArrayWrite", _rnn_loop, [r(4, 2, 3), r(3, 2)], _rnn_loop_ref, name="TensorArray_rnn_loop"),
    OpCase("TensorArrayWrite", _dynamic_loop, [r(2, 3)], _dynamic_loop_ref, name="TensorArray_dynamic"),
    OpCase("TensorArrayScatter", _scatter, [r(2, 3)], _scatter_ref),
    OpCase("TensorArrayZeros", lambda: None, custom=_tensor_array_errors, name="TensorArray_errors"),
    OpCase(
        "TensorArrayZeros",
        lambda: tf.TensorArray(tf.float64, size=3, element_shape=[2]).stack(),
        [],
        lambda: np.zeros((3, 2)),
    ),
    OpCase(
        "TensorArrayWriteGrad",
        _write_grad,
        [r(3, 2)],
        lambda x: np.array([[1.0, 1.0], [0.0, 0.0], [1.0, 1.0]]),
        grad=False,
    ),
    OpCase("Cumsum", lambda x: tf.cumsum(x, 1), [X34], lambda x: np.cumsum(x, 1)),
    OpCase(
        "Cumsum",
        lambda x: tf.cumsum(x, 0, exclusive=True, reverse=True),
        [X34],
        lambda x: _np_scan(x, 0, True, True, "sum"),
        name="Cumsum_exclusive_reverse",
    ),
    OpCase("Cumprod", lambda x: tf.cumprod(x, 1), [X34 + 2], lambda x: np.cumprod(x, 1)),
    OpCase(
        "Cumprod",
        lambda x: tf.cumprod(x, axis=-1, exclusive=True, reverse=True),
        [X34 + 2],
        lambda x: _np_scan(x, 1, True, True, "prod"),
        name="Cumprod_exclusive_reverse",
    ),
    OpCase("Prod", lambda x: tf.reduce_prod(x, 1), [WITH_ZERO], lambda x: x.prod(1)),
    OpCase("Prod", lambda x: tf.reduce_prod(x), [WITH_ZERO], lambda x: np.asarray(x.prod()), name="Prod_all"),
    OpCase(
        "Prod",
        lambda x: tf.reduce_prod(x, [0, 2], keepdims=True),
        [r(2, 3, 2) + 1.5],
        lambda x: x.prod((0, 2), keepdims=True),
        name="Prod_axes_keepdims",
    ),
    OpCase(
        "Prod",
        lambda x: tf.reduce_prod(tf.placeholder_with_default(x, shape=None)),
        [r(2, 3) + 1.5],
        lambda x: np.asarray(x.prod()),
        name="Prod_unknown_rank",
    ),
    OpCase("Einsum", lambda a, b: tf.einsum("ij,jk->ik", a, b), [r(2, 3), r(3, 4)], lambda a, b: a @ b),
    OpCase(
        "Einsum",
        lambda a, b: tf.einsum("bhqd,bhkd->bhqk", a, b),
        [r(2, 2, 3, 4), r(2, 2, 5, 4)],
        lambda a, b: np.einsum("bhqd,bhkd->bhqk", a, b),
        name="Einsum_attention",
    ),
    OpCase(
        "Einsum",
        lambda a, b: tf.einsum("ij,jk->i", a, b),
        [r(2, 3), r(3, 4)],
        lambda a, b: np.einsum("ij,jk->i", a, b),
        name="Einsum_summed_only_in_one",
    ),
    OpCase(
        "Einsum",
        lambda a, b: tf.einsum("...ij,...jk->...ik", a, b),
        [r(2, 3, 4), r(4, 2)],
        lambda a, b: np.einsum("...ij,...jk->...ik", a, b),
        name="Einsum_ellipsis",
    ),
    OpCase(
        "Einsum",
        lambda a: tf.einsum("ijk->kj", a),
        [r(2, 3, 4)],
        lambda a: np.einsum("ijk->kj", a),
        name="Einsum_unary",
    ),
    OpCase("CandidateSampler", lambda: None, custom=_sampler_check),
    OpCase("Print", lambda x: tf.Print(x, [x], "x=") * 2.0, [r(3)], lambda x: 2 * x),
    OpCase("Print", lambda: None, custom=_print_check, name="Print_format"),
    OpCase("PrintV2", lambda: None, custom=_print_v2_check),
    OpCase(
        "Elu",
        lambda x: [tf.nn.selu(x), tf.nn.softsign(x), tf.nn.log_sigmoid(x), tf.nn.swish(x), tf.nn.crelu(x)],
        [r(2, 3) * 3],
        lambda x: [
            np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)) * 1.0507009873554805,
            x / (1 + np.abs(x)),
            -np.log1p(np.exp(-x)),
            x / (1 + np.exp(-x)),
            np.concatenate([np.maximum(x, 0), np.maximum(-x, 0)], -1),
        ],
        name="nn_composites",
    ),
    OpCase(
        "Equal",
        lambda x: tf.nn.zero_fraction(tf.nn.relu(x)),
        [np.array([[-1.0, 2.0, 0.5], [-0.2, -3.0, 1.0]])],
        lambda x: np.asarray(0.5, np.float32),
        grad=False,
        name="zero_fraction",
    ),
    OpCase(
        "MatMul",
        lambda x: tf.nn.lrn(x, depth_radius=2, bias=1.5, alpha=0.3, beta=0.75),
        [r(2, 2, 2, 6)],
        _lrn_ref,
        name="lrn",
    ),
    OpCase(
        "Gather",
        lambda a, b, c: tf.nn.embedding_lookup([a, b, c], tf.constant(IDS), partition_strategy="mod"),
        MOD_PARTS,
        lambda a, b, c: _emb_ref(MOD_FULL),
        name="embedding_lookup_mod",
    ),
    OpCase(
        "Gather",
        lambda a, b, c: tf.nn.embedding_lookup([a, b, c], tf.constant(IDS), partition_strategy="div"),
        DIV_PARTS,
        lambda a, b, c: _emb_ref(DIV_FULL),
        name="embedding_lookup_div",
    ),
    OpCase(
        "Gather",
        lambda p: tf.nn.embedding_lookup(p, tf.constant(IDS), max_norm=0.5),
        [MOD_FULL],
        lambda p: p[IDS] * np.minimum(1, 0.5 / np.linalg.norm(p[IDS], axis=-1, keepdims=True)),
        name="embedding_lookup_max_norm",
    ),
]

COMPAT_MODULES = ("candidate_sampling", "tensor_array", "scan_ops", "einsum_ops", "logging_ops", "lrn_ops")
