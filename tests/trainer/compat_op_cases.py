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
from trainer_op_cases import OpCase, away, r, ref_conv2d, ref_pool

import trainer as tf

X34 = r(3, 4)
TOPK_SORT = np.array([[0.3, -0.9, 0.8, 0.1, 0.5], [0.7, 0.2, -0.4, 0.9, -0.1]])  # distinct: no ties
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


def _read_back(x):
    """Each step reads the element the previous step wrote into the same (loop variable) array."""
    ta = tf.TensorArray(tf.float64, size=4).write(0, x)

    def body(t, ta):
        prev = ta.read(t - 1)
        return t + 1, ta.write(t, tf.tanh(prev) * x + prev)

    _, ta = tf.while_loop(lambda t, ta: t < 4, body, [1, ta])
    return tf.reshape(ta.stack(), [4, 3])


def _read_back_ref(x):
    rows = [x]
    for _ in range(3):
        rows.append(np.tanh(rows[-1]) * x + rows[-1])
    return np.stack(rows)


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
    OpCase("TensorArrayWrite", _read_back, [r(3)], _read_back_ref, name="TensorArray_read_back"),
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

COMPAT_MODULES: tuple[str, ...] = (
    "candidate_sampling",
    "tensor_array",
    "scan_ops",
    "einsum_ops",
    "logging_ops",
    "lrn_ops",
)


# ---- third round: elementwise math, segments, sampling, py_func, assertions, functional loops ----------
def _assert_check() -> None:
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None])
        with tf.control_dependencies([tf.assert_positive(x, message="x must be > 0")]):
            y = tf.identity(x)
        eq = tf.debugging.assert_equal(x, tf.ones_like(x))
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(y, {x: [1.0, 2.0]}), [1.0, 2.0])
            sess.run(eq, {x: [1.0, 1.0]})
            for op, v, words in ((y, [1.0, -2.0], "x must be > 0"), (eq, [1.0, 2.0], "assert_equal failed")):
                try:
                    sess.run(op, {x: v})
                    raise AssertionError("the assertion must fail")
                except tf.errors.InvalidArgumentError as e:
                    assert words in str(e) and "assertion failed" in str(e), str(e)


def _sampling_check() -> None:
    runs = []
    for _ in range(2):
        with tf.Graph().as_default():
            tf.set_random_seed(7)
            ids = tf.multinomial(tf.log([[0.1, 1e-30, 0.9], [1.0, 1e-30, 1e-30]]), 2000)
            perm = tf.random_shuffle(tf.range(10))
            with tf.Session() as sess:
                runs.append(sess.run([ids, perm]))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])  # seeded: the same draws in every session
    ids, perm = runs[0]
    assert ids.dtype == np.int64 and ids.shape == (2, 2000) and not np.any(ids == 1)
    assert abs(np.mean(ids[0] == 2) - 0.9) < 0.03 and np.all(ids[1] == 0)
    assert sorted(perm.tolist()) == list(range(10)) and perm.tolist() != list(range(10))


def _np_logsumexp(x, axis=None, keepdims=False):
    m = x.max(axis=axis, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else (out.reshape(()) if axis is None else np.squeeze(out, axis))


SEG_IDS = np.array([0, 2, 0, -1, 2], np.int32)


def _seg_ref(d):
    out = np.zeros((3, 2))
    for i, s in enumerate(SEG_IDS):
        if s >= 0:
            out[s] += d[i]
    return out


MASK = np.array([[True, False, True], [False, True, True]])

COMPAT_CASES += [
    OpCase("Sin", lambda x: tf.sin(x), [r(3, 2) * 3], np.sin),
    OpCase("Cos", lambda x: tf.cos(x), [r(3, 2) * 3], np.cos),
    OpCase("Tan", lambda x: tf.tan(x), [r(3, 2)], np.tan),
    OpCase("Asin", lambda x: tf.asin(x), [r(3, 2) * 0.8], np.arcsin),
    OpCase("Acos", lambda x: tf.math.acos(x), [r(3, 2) * 0.8], np.arccos),
    OpCase("Atan", lambda x: tf.atan(x), [r(3, 2) * 3], np.arctan),
    OpCase("Sinh", lambda x: tf.sinh(x), [r(3, 2)], np.sinh),
    OpCase("Cosh", lambda x: tf.cosh(x), [r(3, 2)], np.cosh),
    OpCase("Log1p", lambda x: tf.log1p(x), [r(3, 2) * 0.5], np.log1p),
    OpCase("Expm1", lambda x: tf.expm1(x), [r(3, 2)], np.expm1),
    OpCase("Ceil", lambda x: tf.ceil(x), [np.array([-1.7, -0.2, 0.3, 2.6])], np.ceil),
    OpCase("Round", lambda x: tf.round(x), [np.array([0.5, 1.5, -2.5, 0.4, 2.6])], np.round, grad=False),
    OpCase("Round", lambda x: tf.round(x), [np.array([0.2, 1.7, -2.3])], np.round, name="Round_grad"),
    OpCase("Rint", lambda x: tf.rint(x), [np.array([0.5, 1.5, -2.5, 0.4, 2.6])], np.rint, grad=False),
    OpCase("Rint", lambda x: tf.rint(x), [np.array([0.2, 1.7, -2.3])], np.rint, name="Rint_grad"),
    OpCase("IsNan", lambda x: tf.is_nan(x), [np.array([1.0, np.nan, np.inf])], np.isnan),
    OpCase("IsInf", lambda x: tf.is_inf(x), [np.array([1.0, np.nan, -np.inf])], np.isinf),
    OpCase("IsFinite", lambda x: tf.is_finite(x), [np.array([1.0, np.nan, np.inf])], np.isfinite),
    OpCase("Atan2", lambda y, x: tf.atan2(y, x), [r(3, 2), away(2)], np.arctan2),
    OpCase(
        "UnsortedSegmentSum",
        lambda d: tf.unsorted_segment_sum(d, tf.constant(SEG_IDS), 3),
        [r(5, 2)],
        _seg_ref,
    ),
    OpCase(
        "UnsortedSegmentSum",
        lambda d: [
            tf.reshape(tf.segment_sum(d, tf.constant([0, 0, 1])), [2, 2]),  # static shapes for the harness
            tf.reshape(tf.segment_mean(d, tf.constant([0, 0, 1])), [2, 2]),
        ],
        [r(3, 2)],
        lambda d: [np.stack([d[0] + d[1], d[2]]), np.stack([(d[0] + d[1]) / 2, d[2]])],
        name="segment_sum_mean",
    ),
    OpCase("Multinomial", lambda: None, custom=_sampling_check),
    OpCase("RandomShuffle", lambda: None, custom=_sampling_check),
    OpCase(
        "PyFunc",
        lambda x: tf.py_func(lambda a: (np.sort(a)[::-1] * 2).astype(np.float32), [x], tf.float32),
        [np.array([3.0, 1.0, 2.0], np.float32)],
        lambda x: np.array([6.0, 4.0, 2.0], np.float32),
    ),
    OpCase("Assert", lambda: None, custom=_assert_check),
    OpCase(
        "Max",
        lambda x: [
            tf.reduce_logsumexp(x),
            tf.reduce_logsumexp(x, 1),
            tf.reduce_logsumexp(x, 0, keepdims=True),
        ],
        [r(3, 4) * 5],
        lambda x: [_np_logsumexp(x), _np_logsumexp(x, 1), _np_logsumexp(x, 0, True)],
        name="reduce_logsumexp",
    ),
    OpCase(
        "Sqrt",
        lambda x: [tf.norm(x), tf.norm(x, axis=1), tf.norm(x, ord=1, axis=0), tf.norm(x, ord=np.inf, axis=1)],
        [away(3, 4)],
        lambda x: [
            np.asarray(np.linalg.norm(x)),
            np.linalg.norm(x, axis=1),
            np.abs(x).sum(0),
            np.abs(x).max(1),
        ],
        name="norm",
    ),
    OpCase(
        "MatrixDiagPart",
        lambda x: tf.trace(x),
        [r(2, 3, 3)],
        lambda x: np.trace(x, axis1=1, axis2=2),
        name="trace",
    ),
    OpCase(
        "Range",
        lambda: [tf.linspace(0.0, 1.0, 5), tf.linspace(2.0, -1.0, 4)],
        [],
        lambda: [np.linspace(0, 1, 5, dtype=np.float32), np.linspace(2, -1, 4, dtype=np.float32)],
        name="linspace",
    ),
    OpCase(
        "Mul",
        lambda a, b: [*tf.meshgrid(a, b), *tf.meshgrid(a, b, indexing="ij")],
        [r(3), r(2)],
        lambda a, b: [*np.meshgrid(a, b), *np.meshgrid(a, b, indexing="ij")],
        name="meshgrid",
    ),
    OpCase(
        "Where",
        lambda x: [tf.boolean_mask(x, tf.constant(MASK)), tf.boolean_mask(x, tf.constant(MASK[0]), axis=1)],
        [r(2, 3, 2)],
        lambda x: [x[MASK], x[:, MASK[0]]],
        name="boolean_mask",
    ),
    OpCase(
        "TopKV2",
        lambda x: [tf.sort(x), tf.argsort(x), tf.sort(x, direction="DESCENDING")],
        [TOPK_SORT],
        lambda x: [np.sort(x, -1), np.argsort(x, -1, kind="stable").astype(np.int32), -np.sort(-x, -1)],
        name="sort_argsort",
    ),
    OpCase(
        "While",
        lambda x, w: [
            tf.map_fn(lambda row: tf.reduce_sum(row * w), x),
            tf.map_fn(lambda a: (a[0] * 2.0, a[1] + w[0]), (x, x), dtype=(tf.float64, tf.float64))[1],
            tf.scan(lambda acc, row: acc * 0.5 + row, x),
            tf.scan(lambda acc, row: acc + row * w, x, initializer=tf.zeros([3], tf.float64), reverse=True),
            tf.foldl(lambda acc, row: acc * row, x),
            tf.foldr(lambda acc, row: acc - row * w, x, initializer=tf.ones([3], tf.float64)),
        ],
        [r(4, 3), r(3)],
        lambda x, w: [
            x @ w,
            x + w[0],
            np.stack([_scan_half(x, k) for k in range(4)]),
            np.stack([(x[k:] * w).sum(0) for k in range(4)]),
            np.prod(x, 0),
            1.0 - (x * w).sum(0),
        ],
        name="map_fn_scan_fold",
    ),
]
COMPAT_MODULES += (
    "unary_math_ops",
    "segment_ops",
    "sampling_ops",
    "script_ops",
    "check_ops",
)


def _scan_half(x, k):
    acc = x[0]
    for j in range(1, k + 1):
        acc = acc * 0.5 + x[j]
    return acc


# ---- fourth round: reverse, check_numerics, band parts, counts, 1-D convolutions, orthogonal init -----
def _check_numerics_check() -> None:
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None])
        y = tf.check_numerics(tf.log(x), "log of x")
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(y, {x: [1.0, np.e]}), [0.0, 1.0], rtol=1e-6)
            for bad, kind in (([0.0], "Inf"), ([-1.0], "NaN")):
                try:
                    with np.errstate(all="ignore"):
                        sess.run(y, {x: bad})
                    raise AssertionError("check_numerics must fail")
                except tf.errors.InvalidArgumentError as e:
                    assert f"log of x : Tensor had {kind} values" in str(e), str(e)


def _orthogonal_check() -> None:
    for shape in ([4, 6], [6, 4], [2, 3, 5]):
        with tf.Graph().as_default():
            w = tf.get_variable("w", shape, initializer=tf.orthogonal_initializer(gain=2.0, seed=3))
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                m = sess.run(w).reshape(-1, shape[-1])
        small = min(m.shape)
        gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
        np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-5)


def _band_ref(x, lower, upper):
    n, m = x.shape[-2:]
    i, j = np.arange(n)[:, None], np.arange(m)[None, :]
    keep = ((lower < 0) | (i - j <= lower)) & ((upper < 0) | (j - i <= upper))
    return np.where(keep, x, 0.0)


def _conv1d_ref(x, w, stride, padding):
    return ref_conv2d(x[:, None], w[None], (1, stride), padding)[:, 0]


COMPAT_CASES += [
    OpCase("ReverseV2", lambda x: tf.reverse(x, [0, -1]), [r(2, 3, 4)], lambda x: x[::-1, :, ::-1]),
    OpCase("CheckNumerics", lambda x: tf.check_numerics(x * 2.0, "x"), [r(3)], lambda x: 2 * x),
    OpCase("CheckNumerics", lambda: None, custom=_check_numerics_check, name="CheckNumerics_fails"),
    OpCase("RandomOrthogonal", lambda: None, custom=_orthogonal_check),
    OpCase(
        "Select",
        lambda x: [
            tf.matrix_band_part(x, -1, 0),
            tf.matrix_band_part(x, 1, 2),
            tf.matrix_band_part(x, 0, -1),
        ],
        [r(2, 4, 5)],
        lambda x: [_band_ref(x, -1, 0), _band_ref(x, 1, 2), _band_ref(x, 0, -1)],
        name="matrix_band_part",
    ),
    OpCase(
        "UnsortedSegmentSum",
        lambda: [tf.confusion_matrix([0, 1, 2, 1, 1], [0, 2, 2, 1, 1]), tf.bincount([1, 1, 3], minlength=5)],
        [],
        lambda: [np.array([[1, 0, 0], [0, 2, 1], [0, 0, 1]], np.int32), np.array([0, 2, 0, 1, 0], np.int32)],
        grad=False,
        name="confusion_matrix_bincount",
    ),
    OpCase(
        "Conv2D",
        lambda x, w: [tf.nn.conv1d(x, w, 2, "SAME"), tf.nn.conv1d(x, w, 1, "VALID")],
        [r(2, 7, 3), r(3, 3, 2)],
        lambda x, w: [_conv1d_ref(x, w, 2, "SAME"), _conv1d_ref(x, w, 1, "VALID")],
        name="conv1d",
    ),
    OpCase(
        "MaxPool2D",
        lambda x: [tf.nn.max_pool1d(x, 2, 2, "VALID"), tf.nn.avg_pool1d(x, 3, 1, "SAME")],
        [r(2, 6, 3)],
        lambda x: [
            ref_pool(x[:, None], (1, 2), (1, 2), "VALID", "max")[:, 0],
            ref_pool(x[:, None], (1, 3), (1, 1), "SAME", "avg")[:, 0],
        ],
        name="pool1d",
    ),
    OpCase(
        "Conv2D",
        lambda x, w: tf.nn.atrous_conv2d(x, w, 2, "SAME"),
        [r(1, 5, 5, 2), r(2, 2, 2, 3)],
        lambda x, w: ref_conv2d(x, w, (1, 1), "SAME", (2, 2)),
        name="atrous_conv2d",
    ),
    OpCase(
        "Log",
        lambda z, x: tf.nn.weighted_cross_entropy_with_logits(targets=z, logits=x, pos_weight=3.0),
        [np.array([1.0, 0.0, 1.0, 0.3]), away(4) * 3],
        lambda z, x: (1 - z) * x + (1 + 2 * z) * (np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)),
        name="weighted_cross_entropy",
    ),
]
COMPAT_MODULES += ("array_extras",)


# ---- fifth round: array composites (values checked against TensorFlow 2.21 while writing them) -------
def _s2d_ref(x, b=2):
    n, h, w, c = x.shape
    return (
        x.reshape(n, h // b, b, w // b, b, c)
        .transpose(0, 1, 3, 2, 4, 5)
        .reshape(n, h // b, w // b, b * b * c)
    )


def _d2s_ref(x, b=2):
    n, h, w, c = x.shape
    return (
        x.reshape(n, h, w, b, b, c // (b * b))
        .transpose(0, 1, 3, 2, 4, 5)
        .reshape(n, h * b, w * b, c // (b * b))
    )


COMPAT_CASES += [
    OpCase(
        "Transpose",
        lambda x, y: [tf.space_to_depth(x, 2), tf.depth_to_space(y, 2)],
        [r(1, 4, 4, 2), r(1, 2, 2, 8)],
        lambda x, y: [_s2d_ref(x), _d2s_ref(y)],
        name="space_depth",
    ),
    OpCase(
        "Gather",
        lambda d: [  # static shapes for the gradient harness
            tf.reshape(p, s)
            for p, s in zip(tf.dynamic_partition(d, tf.constant([1, 0, 1]), 2), [[1, 2], [2, 2]], strict=True)
        ],
        [r(3, 2)],
        lambda d: [d[[1]], d[[0, 2]]],
        name="dynamic_partition",
    ),
    OpCase(
        "UnsortedSegmentSum",
        lambda a, b: tf.reshape(tf.dynamic_stitch([tf.constant([0, 2]), tf.constant([1])], [a, b]), [3, 2]),
        [r(2, 2), r(1, 2)],
        lambda a, b: np.stack([a[0], b[0], a[1]]),
        name="dynamic_stitch",
    ),
    OpCase(
        "Rsqrt",
        lambda x: [tf.clip_by_average_norm(x, 0.05), tf.clip_by_average_norm(x, 5.0)],
        [r(2, 3)],
        lambda x: [x * min(0.05 * x.size / np.sqrt((x**2).sum()), 1.0), x],
        name="clip_by_average_norm",
    ),
    OpCase(
        "Where",
        lambda: [*tf.setdiff1d([1, 2, 3, 4, 6], [1, 3, 5]), tf.invert_permutation([3, 4, 0, 2, 1])],
        [],
        lambda: [
            np.array([2, 4, 6], np.int32),
            np.array([1, 3, 4], np.int32),
            np.array([2, 4, 3, 0, 1], np.int32),
        ],
        grad=False,
        name="setdiff1d_invert_permutation",
    ),
]


# ---- sixth round: mirror padding, tensordot, sparse_to_dense, separable convolutions ------------------
def _random_crop_check() -> None:
    with tf.Graph().as_default():
        x = tf.constant(np.arange(48.0).reshape(6, 8))
        crop = tf.random_crop(x, [2, 3])
        assert crop.shape.as_list() == [2, 3]
        with tf.Session() as sess:
            seen = set()
            for _ in range(40):
                c = sess.run(crop)
                r0, c0 = int(c[0, 0]) // 8, int(c[0, 0]) % 8
                np.testing.assert_array_equal(c, np.arange(48.0).reshape(6, 8)[r0 : r0 + 2, c0 : c0 + 3])
                seen.add((r0, c0))
    assert len(seen) > 10 and max(r for r, _ in seen) <= 4 and max(c for _, c in seen) <= 5


def _scatter_nd_update_check() -> None:
    with tf.Graph().as_default():
        v = tf.Variable(np.zeros((4, 2)))
        up = tf.scatter_nd_update(v, [[1], [3]], [[1.0, 2.0], [3.0, 4.0]])
        with tf.Session() as sess:
            sess.run(v.initializer)
            np.testing.assert_array_equal(sess.run(up), [[0, 0], [1, 2], [0, 0], [3, 4]])
            np.testing.assert_array_equal(sess.run(v), [[0, 0], [1, 2], [0, 0], [3, 4]])


def _sep_conv_ref(x, dw, pw):
    return ref_conv2d(ref_conv2d(x, dw, (1, 1), "SAME", depthwise=True), pw, (1, 1), "VALID")


COMPAT_CASES += [
    OpCase(
        "MirrorPad",
        lambda x: [tf.pad(x, [[1, 1], [2, 2]], "REFLECT"), tf.pad(x, [[0, 2], [1, 0]], mode="SYMMETRIC")],
        [r(3, 4)],
        lambda x: [np.pad(x, [[1, 1], [2, 2]], "reflect"), np.pad(x, [[0, 2], [1, 0]], "symmetric")],
    ),
    OpCase(
        "MirrorPadGrad",
        lambda x: tf.gradients(tf.reduce_sum(tf.pad(x, [[1, 2]], "REFLECT") * np.arange(1.0, 7.0)), x)[0],
        [r(3)],
        lambda x: np.array([2 + 6, 1 + 3 + 5, 4.0]),  # padded [x1 x0 x1 x2 x1 x0] weighted 1..6
    ),
    OpCase(
        "Einsum",
        lambda a, b: [tf.tensordot(a, b, 1), tf.tensordot(a, b, [[0, 2], [2, 0]])],
        [r(2, 3, 4), r(4, 3, 2)],
        lambda a, b: [np.tensordot(a, b, 1), np.tensordot(a, b, [[0, 2], [2, 0]])],
        name="tensordot",
    ),
    OpCase(
        "ScatterNd",
        lambda v: tf.sparse_to_dense(tf.constant([[0, 1], [1, 0]]), [2, 3], v, -1.0),
        [r(2)],
        lambda v: np.array([[-1.0, v[0], -1.0], [v[1], -1.0, -1.0]]),
        name="sparse_to_dense",
    ),
    OpCase("RandomUniform", lambda: None, custom=_random_crop_check, name="random_crop"),
    OpCase("ScatterNd", lambda: None, custom=_scatter_nd_update_check, name="scatter_nd_update"),
    OpCase(
        "DepthwiseConv2D",
        lambda x, dw, pw: tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "SAME"),
        [r(1, 4, 4, 2), r(3, 3, 2, 2), r(1, 1, 4, 3)],
        _sep_conv_ref,
        name="separable_conv2d",
    ),
    OpCase(
        "Relu",
        lambda x, w, b: tf.nn.relu_layer(x, w, b),
        [r(3, 4), r(4, 2), r(2)],
        lambda x, w, b: np.maximum(x @ w + b, 0),
        name="relu_layer",
    ),
]
