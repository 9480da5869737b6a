"""Op cases for the TF1-compatibility ops (issue #16): linear algebra, index ops, scatter updates, the
composites (clip_*, leaky_relu, l2_normalize ...) and reductions of unknown-rank tensors.

Appended to ``trainer_op_cases.CASES``, so test_ops.py checks each forward against numpy and
test_gradients.py checks each gradient against central differences.
"""

from __future__ import annotations

import numpy as np
from trainer_op_cases import OpCase, away, r

import trainer as tf

MAT = r(3, 3) + 3 * np.eye(3)  # well conditioned: det and inverse are smooth around it
BMAT = r(2, 3, 3) + 3 * np.eye(3)
ND_IDX = np.array([[1, 0], [0, 2], [1, 0]], np.int32)  # a repeated index: the gradient adds up
TOPK_X = np.array([[0.3, -0.9, 0.8, 0.1, 0.5], [0.7, 0.2, -0.4, 0.9, -0.1]])  # distinct: no ties


def _unknown_rank(x: tf.Tensor) -> tf.Tensor:
    """``x`` seen through a tensor whose rank is unknown while the graph is built."""
    return tf.placeholder_with_default(x, shape=None)


def _unique_ref(x):
    vals, first, inv = np.unique(x, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return [vals[order], rank[inv].astype(np.int32)]


def _topk_ref(x):
    idx = np.argsort(-x, axis=-1, kind="stable")[:, :3]
    return [np.take_along_axis(x, idx, -1), idx.astype(np.int32)]


def _scatter_nd_ref(u):
    out = np.zeros((2, 3))
    np.add.at(out, (ND_IDX[:, 0], ND_IDX[:, 1]), u)
    return out


def _clip_norm_ref(x, c=1.5):
    n = np.sqrt((x**2).sum())
    return x * c / max(n, c)


def _global_ref(a, b, c=2.0):
    n = np.sqrt((a**2).sum() + (b**2).sum())
    s = c / max(n, c)
    return [a * s, b * s, np.asarray(n)]


def _scatter_check() -> None:
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), name="v")
        up = tf.scatter_update(v, [2, 0], [[10.0, 20.0], [30.0, 40.0]])
        add = tf.scatter_add(v, [1, 1], [[1.0, 1.0], [2.0, 2.0]])
        sub = tf.scatter_sub(v, np.array([0]), [[0.5, 0.5]])
        assert (up.op.type, add.op.type, sub.op.type) == ("ScatterUpdate", "ScatterAdd", "ScatterSub")
        with tf.Session() as sess:
            sess.run(v.initializer)
            np.testing.assert_array_equal(sess.run(up), [[30, 40], [3, 4], [10, 20]])
            np.testing.assert_array_equal(sess.run(add), [[30, 40], [6, 7], [10, 20]])
            np.testing.assert_array_equal(sess.run(sub), [[29.5, 39.5], [6, 7], [10, 20]])
            np.testing.assert_array_equal(sess.run(v), [[29.5, 39.5], [6, 7], [10, 20]])


def _range_check() -> None:
    g = tf.Graph()
    with g.as_default():
        n = tf.placeholder(tf.int32, [])
        a, b, c = tf.range(5), tf.range(1.0, 2.0, 0.25), tf.range(2, n, 3)
        assert (a.dtype, b.dtype, c.dtype) == (tf.int32, tf.float32, tf.int32)
        assert a.shape.as_list() == [5] and b.shape.as_list() == [4] and c.shape.as_list() == [None]
        assert a.op.type == "Range"
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(a), np.arange(5))
            np.testing.assert_allclose(sess.run(b), [1.0, 1.25, 1.5, 1.75])
            np.testing.assert_array_equal(sess.run(c, {n: 12}), [2, 5, 8, 11])


TF1_CASES: list[OpCase] = [
    OpCase("Range", lambda: None, custom=_range_check),
    OpCase(
        "Range",
        lambda n: tf.range(2, n, 3),
        [np.array(12, np.int32)],
        lambda n: np.arange(2, n, 3),
        name="Range_fed_limit",
    ),
    OpCase("ScatterUpdate", lambda: None, custom=_scatter_check),
    OpCase("ScatterAdd", lambda: None, custom=_scatter_check),
    OpCase("ScatterSub", lambda: None, custom=_scatter_check),
    OpCase("Unique", lambda x: list(tf.unique(x)), [np.array([4, 1, 4, 7, 1, 0], np.int32)], _unique_ref),
    OpCase("Diag", lambda d: tf.diag(d), [r(3)], np.diag),
    OpCase(
        "Diag",
        lambda d: tf.diag(d),
        [r(2, 2)],
        lambda d: np.diag(d.ravel()).reshape(2, 2, 2, 2),
        name="Diag_2d",
    ),
    OpCase("DiagPart", lambda x: tf.diag_part(x), [r(3, 3)], np.diag),
    OpCase("MatrixDiag", lambda d: tf.matrix_diag(d), [r(2, 3)], lambda d: d[..., None] * np.eye(3)),
    OpCase(
        "MatrixDiagPart", lambda x: tf.matrix_diag_part(x), [r(2, 3, 3)], lambda x: np.diagonal(x, 0, -2, -1)
    ),
    OpCase("MatrixDeterminant", lambda x: tf.matrix_determinant(x), [MAT], np.linalg.det),
    OpCase(
        "MatrixDeterminant",
        lambda x: tf.matrix_determinant(x),
        [BMAT],
        np.linalg.det,
        name="MatrixDeterminant_b",
    ),
    OpCase("MatrixInverse", lambda x: tf.matrix_inverse(x), [BMAT], np.linalg.inv),
    OpCase(
        "MatrixInverse",
        lambda x: tf.matrix_inverse(x, adjoint=True),
        [MAT],
        lambda x: np.linalg.inv(x.T),
        name="MatrixInverse_adjoint",
    ),
    OpCase(
        "GatherNd",
        lambda p: tf.gather_nd(p, tf.constant(ND_IDX)),
        [r(2, 3)],
        lambda p: p[ND_IDX[:, 0], ND_IDX[:, 1]],
    ),
    OpCase(
        "GatherNd",
        lambda p: tf.gather_nd(p, tf.constant(np.array([[1], [0]], np.int32))),
        [r(2, 3, 2)],
        lambda p: p[[1, 0]],
        name="GatherNd_slices",
    ),
    OpCase("ScatterNd", lambda u: tf.scatter_nd(tf.constant(ND_IDX), u, [2, 3]), [r(3)], _scatter_nd_ref),
    OpCase("TopKV2", lambda x: list(tf.nn.top_k(x, 3)), [TOPK_X], _topk_ref),
    # composites: the case names the op they are built around; forward and gradient are checked
    OpCase(
        "LeakyRelu",
        lambda x: tf.nn.leaky_relu(x, 0.1),
        [away(3, 4)],
        lambda x: np.where(x > 0, x, 0.1 * x),
        name="leaky_relu",
    ),
    OpCase(
        "L2Normalize",
        lambda x: tf.nn.l2_normalize(x, axis=1),
        [r(3, 4)],
        lambda x: x / np.sqrt((x**2).sum(1, keepdims=True)),
        name="l2_normalize",
    ),
    OpCase(
        "Elu", lambda x: tf.nn.elu(x), [away(3, 4)], lambda x: np.where(x > 0, x, np.expm1(x)), name="elu"
    ),
    OpCase("Log", lambda x: tf.nn.softplus(x), [r(3, 4) * 4], lambda x: np.log1p(np.exp(x)), name="softplus"),
    OpCase(
        "Minimum",
        lambda x: tf.clip_by_value(x, -0.5, 0.5),
        [np.array([[-0.9, -0.3, 0.2], [0.45, 0.7, -0.6]])],
        lambda x: np.clip(x, -0.5, 0.5),
        name="clip_by_value",
    ),
    OpCase("Maximum", lambda x: tf.clip_by_norm(x, 1.5), [r(3, 4)], _clip_norm_ref, name="clip_by_norm"),
    OpCase(
        "Maximum",
        lambda a, b: [*tf.clip_by_global_norm([a, b], 2.0)[0], tf.global_norm([a, b])],
        [r(3, 4) * 2, r(5) * 2],
        _global_ref,
        name="clip_by_global_norm",
    ),
    OpCase(
        "Less",
        lambda n: tf.sequence_mask(n, 5),
        [np.array([0, 2, 5], np.int32)],
        lambda n: np.arange(5)[None, :] < n[:, None],
        name="sequence_mask",
    ),
    OpCase(
        "Gather",
        lambda p: tf.nn.embedding_lookup(p, tf.constant(np.array([[2, 0], [2, 1]], np.int32))),
        [r(3, 4)],
        lambda p: p[np.array([[2, 0], [2, 1]])],
        name="embedding_lookup",
    ),
    OpCase(
        "TopKV2",
        lambda x: tf.nn.in_top_k(x, tf.constant(np.array([4, 1], np.int32)), 2),
        [TOPK_X],
        lambda x: np.array([x[i, t] >= np.sort(x[i])[-2] for i, t in enumerate([4, 1])]),  # [True, False]
        grad=False,
        name="in_top_k",
    ),
    OpCase(
        "Max",
        lambda b: [tf.reduce_any(b, axis=1), tf.reduce_all(b, 0), tf.reduce_any(b, keepdims=True)],
        [np.array([[True, False, False], [False, False, False]])],
        lambda b: [b.any(1), b.all(0), b.any(keepdims=True)],
        grad=False,
        name="reduce_any_all",
    ),
    OpCase(
        "Sum",
        lambda x: [tf.count_nonzero(x), tf.count_nonzero(x, axis=0, dtype=tf.int32)],
        [np.array([[0.0, 1.5, 0.0], [2.0, -1.0, 0.0]])],
        lambda x: [np.asarray(np.count_nonzero(x)), np.count_nonzero(x, axis=0).astype(np.int32)],
        grad=False,
        name="count_nonzero",
    ),
    OpCase(
        "BiasAdd",
        lambda x, w, b: tf.nn.xw_plus_b(x, w, b),
        [r(3, 4), r(4, 2), r(2)],
        lambda x, w, b: x @ w + b,
        name="xw_plus_b",
    ),
    # full reductions of tensors of unknown rank (TF1's tf.placeholder("float") without a shape)
    OpCase(
        "Sum",
        lambda x: tf.reduce_sum(_unknown_rank(x)),
        [r(2, 3)],
        lambda x: np.asarray(x.sum()),
        name="Sum_unknown_rank",
    ),
    OpCase(
        "Mean",
        lambda x: tf.reduce_mean(_unknown_rank(x)),
        [r(2, 3)],
        lambda x: np.asarray(x.mean()),
        name="Mean_unknown_rank",
    ),
    OpCase(
        "Max",
        lambda x: tf.reduce_max(_unknown_rank(x)),
        [r(2, 3)],
        lambda x: np.asarray(x.max()),
        name="Max_unknown_rank",
    ),
    OpCase(
        "Mean",
        lambda x: tf.reshape(tf.reduce_mean(_unknown_rank(x), keepdims=True), [1, 1]),
        [r(2, 3)],
        lambda x: x.mean(keepdims=True),
        name="Mean_unknown_rank_keepdims",
    ),
]
