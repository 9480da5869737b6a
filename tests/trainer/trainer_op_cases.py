"""One or more small cases per registered op type, used by test_ops.py (forward against numpy) and
test_gradients.py (symbolic gradient against float64 central differences).

A case builds the op from placeholders fed with ``inputs`` (float64 unless given otherwise) and names a
numpy reference. Cases avoid kinks (relu at 0, ties in max, floor at integers) so central differences are
valid. Random and stateful ops get a ``custom`` check instead of a reference.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import trainer as tf
from trainer.graph import apply_op
from trainer.ops.math_ops import sum_to_shape

RNG = np.random.default_rng(1234)
_erf = np.vectorize(math.erf)


def r(*shape: int, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
    return RNG.uniform(lo, hi, size=shape)


def away(*shape: int, margin: float = 0.2) -> np.ndarray:
    """Values in [-1, -margin] U [margin, 1]: no kink at 0 within reach of the finite differences."""
    v = RNG.uniform(margin, 1.0, size=shape)
    return v * RNG.choice([-1.0, 1.0], size=shape)


@dataclass
class OpCase:
    op_type: str
    build: Callable[..., Any]
    inputs: list[np.ndarray] = field(default_factory=list)
    ref: Callable[..., Any] | None = None
    custom: Callable[[], None] | None = None
    grad: bool = True  # gradient-check this case (for differentiable ops)
    eps: float = 1e-6
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or self.op_type


# ---- numpy references for conv/pool (naive loops: the specification, written independently) ---------
def _pads(n: int, k: int, s: int, d: int, padding: str) -> tuple[int, int, int]:
    ek = (k - 1) * d + 1
    if padding == "VALID":
        return (n - ek) // s + 1, 0, 0
    out = -(-n // s)
    total = max((out - 1) * s + ek - n, 0)
    return out, total // 2, total - total // 2


def ref_conv2d(x, w, stride=(1, 1), padding="SAME", dil=(1, 1), depthwise=False):
    n, h, wd, c = x.shape
    kh, kw, ci, co = w.shape
    oh, pt, _ = _pads(h, kh, stride[0], dil[0], padding)
    ow, pl, _ = _pads(wd, kw, stride[1], dil[1], padding)
    out = np.zeros((n, oh, ow, c * co if depthwise else co))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    y = i * stride[0] + a * dil[0] - pt
                    z = j * stride[1] + b * dil[1] - pl
                    if 0 <= y < h and 0 <= z < wd:
                        if depthwise:
                            out[:, i, j, :] += (x[:, y, z, :, None] * w[a, b]).reshape(n, -1)
                        else:
                            out[:, i, j, :] += x[:, y, z, :] @ w[a, b]
    return out


def ref_pool(x, k, s, padding, kind):
    n, h, wd, c = x.shape
    oh, pt, _ = _pads(h, k[0], s[0], 1, padding)
    ow, pl, _ = _pads(wd, k[1], s[1], 1, padding)
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            y0, z0 = i * s[0] - pt, j * s[1] - pl
            win = x[:, max(y0, 0) : y0 + k[0], max(z0, 0) : z0 + k[1], :]
            out[:, i, j, :] = win.max(axis=(1, 2)) if kind == "max" else win.mean(axis=(1, 2))
    return out


def ref_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _numeric_vjp(f, x, dy, eps=1e-6):
    """sum(dy * f(x)) differentiated numerically w.r.t. x (reference for backprop ops)."""
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        g[idx] = (np.sum(dy * f(xp)) - np.sum(dy * f(xm))) / (2 * eps)
    return g


# ---- custom checks for random and stateful ops -------------------------------------------------------
def _random_check(make: Callable[[], Any], check: Callable[[np.ndarray], None]) -> Callable[[], None]:
    def run() -> None:
        vals = []
        for _ in range(2):  # same seeds, fresh graph and session: same sequence
            g = tf.Graph()
            with g.as_default():
                tf.set_random_seed(7)
                t = make()
                with tf.Session() as sess:
                    a, b = sess.run(t), sess.run(t)
            assert not np.array_equal(a, b), "successive runs of a random op must differ"
            check(a)
            vals.append((a, b))
        np.testing.assert_array_equal(vals[0][0], vals[1][0])
        np.testing.assert_array_equal(vals[0][1], vals[1][1])

    return run


def _check_normal(a: np.ndarray) -> None:
    assert a.shape == (50, 40) and a.dtype == np.float32
    assert abs(a.mean()) < 0.1 and abs(a.std() - 1) < 0.1


def _check_truncated(a: np.ndarray) -> None:
    assert a.shape == (50, 40) and a.dtype == np.float32
    assert np.abs(a).max() <= 2.0 and abs(a.mean()) < 0.1 and 0.8 < a.std() < 0.95


def _check_uniform(a: np.ndarray) -> None:
    assert a.shape == (50, 40) and a.dtype == np.float32
    assert a.min() >= 0 and a.max() < 1 and abs(a.mean() - 0.5) < 0.05


def _check_uniform_int(a: np.ndarray) -> None:
    assert a.shape == (50, 40) and a.dtype == np.int32
    assert a.min() == -3 and a.max() == 4


def _state_check() -> None:
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(np.array([1.0, 2.0]), name="v")
        assert v.op.type == "VariableV2" and v.initializer.type == "Assign"
        inc = v.assign_add([10.0, 20.0])
        dec = v.assign_sub([1.0, 1.0])
        put = v.assign([5.0, 6.0])
        assert (inc.op.type, dec.op.type, put.op.type) == ("AssignAdd", "AssignSub", "Assign")
        nop = tf.no_op()
        assert nop.type == "NoOp"
        with tf.Session() as sess:
            sess.run(v.initializer)
            np.testing.assert_array_equal(sess.run(v), [1.0, 2.0])
            np.testing.assert_array_equal(sess.run(inc), [11.0, 22.0])
            np.testing.assert_array_equal(sess.run(dec), [10.0, 21.0])
            assert sess.run(nop) is None
            np.testing.assert_array_equal(sess.run(put), [5.0, 6.0])
            np.testing.assert_array_equal(sess.run(v), [5.0, 6.0])


# ---- the cases ---------------------------------------------------------------------------------------
IDX = np.array([0, 2, 2, 4])
COND = RNG.uniform(size=(3, 4)) > 0.5
SPARSE_LABELS = np.array([1, 0, 4, 2])
SOFT_LABELS = ref_softmax(r(3, 4) * 3)
POS = dict(lo=0.5, hi=2.0)


def _xent_ref(lg, lb):
    z = lg - lg.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    return -(lb * logp).sum(-1)


def _sparse_xent_ref(lg):
    z = lg - lg.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    return -logp[np.arange(len(SPARSE_LABELS)), SPARSE_LABELS]


def _ssg_ref(dy):
    out = np.zeros((3, 4))
    out[1:, ::2] = dy
    return out


def _gather_grad_ref(g):
    out = np.zeros((5, 3))
    np.add.at(out, IDX, g)
    return out


CONV_X, CONV_W = r(2, 5, 5, 3), r(3, 3, 3, 4)
DW_W = r(3, 3, 3, 2)
CONV_DY_SAME, CONV_DY_S2 = r(2, 5, 5, 4), r(2, 2, 2, 4)
DW_DY = r(2, 3, 3, 6)
POOL_X = r(2, 5, 5, 3)
ATTRS_SAME = {"strides": (1, 1), "padding": "SAME", "dilations": (1, 1)}
ATTRS_S2 = {"strides": (2, 2), "padding": "VALID", "dilations": (1, 1)}
ATTRS_DW = {"strides": (2, 2), "padding": "SAME", "dilations": (1, 1)}
POOL_ATTRS = {"ksize": (3, 3), "strides": (2, 2), "padding": "SAME", "dilations": (1, 1)}


def _i32(v: Any) -> Any:
    return tf.constant(np.asarray(v, np.int32))


CASES: list[OpCase] = [
    # elementwise binary (broadcasting)
    OpCase("Add", lambda a, b: a + b, [r(3, 4), r(4)], np.add),
    OpCase("Sub", lambda a, b: a - b, [r(2, 3, 1), r(3, 4)], np.subtract),
    OpCase("Mul", lambda a, b: a * b, [r(3, 1), r(1, 4)], np.multiply),
    OpCase("RealDiv", lambda a, b: a / b, [r(3, 4), r(4, **POS)], np.divide),
    OpCase("FloorDiv", lambda a, b: a // b, [r(3, 4, lo=-3, hi=3), r(1, 4, **POS)], np.floor_divide),
    OpCase("FloorMod", lambda a, b: a % b, [r(3, 4, lo=-3, hi=3), r(1, 4, **POS)], np.mod),
    OpCase("Pow", lambda a, b: a**b, [r(3, 4, **POS), r(4, **POS)], np.power),
    OpCase("Maximum", tf.maximum, [r(3, 4), r(4)], np.maximum),
    OpCase("Minimum", tf.minimum, [r(3, 4), r(3, 1)], np.minimum),
    OpCase("SquaredDifference", tf.squared_difference, [r(3, 4), r(4)], lambda a, b: (a - b) ** 2),
    # elementwise unary
    OpCase("Neg", lambda a: -a, [r(3, 4)], np.negative),
    OpCase("Square", tf.square, [r(3, 4)], np.square),
    OpCase("Sqrt", tf.sqrt, [r(3, 4, **POS)], np.sqrt),
    OpCase("Rsqrt", tf.rsqrt, [r(3, 4, **POS)], lambda a: 1 / np.sqrt(a)),
    OpCase("Exp", tf.exp, [r(3, 4)], np.exp),
    OpCase("Log", tf.log, [r(3, 4, **POS)], np.log),
    OpCase("Abs", tf.abs, [away(3, 4)], np.abs),
    OpCase("Sign", tf.sign, [away(3, 4)], np.sign),
    OpCase("Floor", tf.floor, [np.floor(r(3, 4, lo=-3, hi=3)) + r(3, 4, lo=0.2, hi=0.8)], np.floor),
    OpCase("Cast", lambda a: tf.cast(a, tf.float32), [r(3, 4)], lambda a: a.astype(np.float32), eps=1e-2),
    OpCase(
        "Cast",
        lambda a: tf.cast(a, tf.int32),
        [r(3, 4, lo=-5, hi=5)],
        lambda a: a.astype(np.int32),
        name="Cast_to_int",
        grad=False,
    ),
    # comparisons and logic (not differentiable)
    OpCase("Equal", lambda a, b: tf.equal(a, b), [np.array([1, 2, 3]), np.array([1, 0, 3])], np.equal),
    OpCase("NotEqual", tf.not_equal, [np.array([1, 2, 3]), np.array([1, 0, 3])], np.not_equal),
    OpCase("Less", lambda a, b: a < b, [r(3, 4), r(4)], np.less),
    OpCase("LessEqual", lambda a, b: a <= b, [np.array([1.0, 2.0]), np.array([1.0, 1.0])], np.less_equal),
    OpCase("Greater", lambda a, b: a > b, [r(3, 4), r(4)], np.greater),
    OpCase(
        "GreaterEqual", lambda a, b: a >= b, [np.array([1.0, 2.0]), np.array([1.0, 3.0])], np.greater_equal
    ),
    OpCase("LogicalAnd", tf.logical_and, [COND, COND.T[:3, :1]], np.logical_and),
    OpCase("LogicalOr", tf.logical_or, [COND, COND[:1]], np.logical_or),
    OpCase("LogicalNot", tf.logical_not, [COND], np.logical_not),
    OpCase(
        "Select",
        lambda x, y: tf.where(tf.constant(COND), x, y),
        [r(3, 4), r(4)],
        lambda x, y: np.where(COND, x, y),
    ),
    OpCase("ArgMax", lambda a: tf.argmax(a, 1), [r(3, 4)], lambda a: a.argmax(1)),
    OpCase("ArgMin", lambda a: tf.argmin(a, 0), [r(3, 4)], lambda a: a.argmin(0)),
    OpCase("Where", lambda c: tf.where(c), [COND], np.argwhere),
    # matmul
    OpCase("MatMul", tf.matmul, [r(3, 4), r(4, 2)], np.matmul),
    OpCase(
        "MatMul",
        lambda a, b: tf.matmul(a, b, transpose_a=True),
        [r(4, 3), r(4, 2)],
        lambda a, b: a.T @ b,
        name="MatMul_ta",
    ),
    OpCase(
        "MatMul",
        lambda a, b: tf.matmul(a, b, transpose_b=True),
        [r(3, 4), r(2, 4)],
        lambda a, b: a @ b.T,
        name="MatMul_tb",
    ),
    OpCase(
        "MatMul",
        lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True),
        [r(4, 3), r(2, 4)],
        lambda a, b: a.T @ b.T,
        name="MatMul_tab",
    ),
    OpCase("BatchMatMul", lambda a, b: a @ b, [r(2, 3, 4), r(4, 5)], np.matmul),
    OpCase(
        "BatchMatMul",
        lambda a, b: tf.matmul(a, b, adjoint_a=True, adjoint_b=True),
        [r(2, 4, 3), r(1, 5, 4)],
        lambda a, b: a.swapaxes(1, 2) @ b.swapaxes(1, 2),
        name="BatchMatMul_adj",
    ),
    OpCase(
        "AddN", lambda a, b, c: tf.add_n([a, b, c]), [r(2, 3), r(2, 3), r(2, 3)], lambda a, b, c: a + b + c
    ),
    # reductions
    OpCase("Sum", lambda a: tf.reduce_sum(a, axis=1), [r(3, 4, 2)], lambda a: a.sum(1)),
    OpCase(
        "Sum",
        lambda a: tf.reduce_sum(a, [0, 2], keepdims=True),
        [r(3, 4, 2)],
        lambda a: a.sum((0, 2), keepdims=True),
        name="Sum_keep",
    ),
    OpCase("Mean", lambda a: tf.reduce_mean(a), [r(3, 4)], lambda a: a.mean()),
    OpCase(
        "Mean",
        lambda a: tf.reduce_mean(a, -1, keep_dims=True),
        [r(3, 4)],
        lambda a: a.mean(-1, keepdims=True),
        name="Mean_keep",
    ),
    OpCase("Max", lambda a: tf.reduce_max(a, axis=0), [r(3, 4)], lambda a: a.max(0)),
    OpCase("Min", lambda a: tf.reduce_min(a, axis=[0, 1]), [r(3, 4)], lambda a: a.min()),
    OpCase(
        "SumToShape",
        lambda a: sum_to_shape(a, [3, 1]),
        [r(2, 3, 4)],
        lambda a: a.sum(0).sum(1, keepdims=True),
    ),
    # array ops
    OpCase("Const", lambda: tf.constant([[1.5, 2.5]], dtype=tf.float64), [], lambda: np.array([[1.5, 2.5]])),
    OpCase("Placeholder", lambda a: a, [r(2, 3)], lambda a: a),
    OpCase(
        "PlaceholderWithDefault", lambda a: tf.placeholder_with_default(a, [2, 3]), [r(2, 3)], lambda a: a
    ),
    OpCase("Identity", tf.identity, [r(2, 3)], lambda a: a),
    OpCase("StopGradient", tf.stop_gradient, [r(2, 3)], lambda a: a, grad=False),
    OpCase("Reshape", lambda a: tf.reshape(a, [3, -1]), [r(2, 6)], lambda a: a.reshape(3, -1)),
    OpCase("Shape", tf.shape, [r(2, 3)], lambda a: np.array(a.shape)),
    OpCase("Size", tf.size, [r(2, 3)], lambda a: np.array(a.size)),
    OpCase("Rank", tf.rank, [r(2, 3)], lambda a: np.array(a.ndim)),
    OpCase("Fill", lambda v: tf.fill([2, 3], v), [np.array(1.5)], lambda v: np.full((2, 3), v)),
    OpCase("ZerosLike", tf.zeros_like, [r(2, 3)], np.zeros_like),
    OpCase("OnesLike", tf.ones_like, [r(2, 3)], np.ones_like),
    OpCase("ExpandDims", lambda a: tf.expand_dims(a, -1), [r(2, 3)], lambda a: a[..., None]),
    OpCase("Squeeze", lambda a: tf.squeeze(a, [1]), [r(2, 1, 3)], lambda a: a[:, 0]),
    OpCase("Transpose", lambda a: tf.transpose(a, [2, 0, 1]), [r(2, 3, 4)], lambda a: a.transpose(2, 0, 1)),
    OpCase(
        "Concatenation",
        lambda a, b: tf.concat([a, b], 1),
        [r(2, 3), r(2, 2)],
        lambda a, b: np.concatenate([a, b], 1),
    ),
    OpCase("Split", lambda a: tf.split(a, [1, 3], axis=1), [r(2, 4)], lambda a: np.split(a, [1], 1)),
    OpCase(
        "Pack", lambda a, b: tf.stack([a, b], axis=1), [r(2, 3), r(2, 3)], lambda a, b: np.stack([a, b], 1)
    ),
    OpCase("Unpack", lambda a: tf.unstack(a, axis=1), [r(2, 3)], lambda a: [a[:, 0], a[:, 1], a[:, 2]]),
    OpCase("StridedSlice", lambda a: a[1:, ::2], [r(3, 4)], lambda a: a[1:, ::2]),
    OpCase(
        "StridedSlice",
        lambda a: a[..., 1, tf.newaxis],
        [r(2, 3, 4)],
        lambda a: a[..., 1, None],
        name="StridedSlice_newaxis",
    ),
    OpCase("StridedSlice", lambda a: a[-1, ::-1], [r(3, 4)], lambda a: a[-1, ::-1], name="StridedSlice_neg"),
    OpCase(
        "StridedSliceGrad",
        lambda dy: apply_op(
            "StridedSliceGrad", [_i32([3, 4]), dy], {"spec": (("s", 1, None, 1), ("s", None, None, 2))}
        ),
        [r(2, 2)],
        _ssg_ref,
    ),
    OpCase("Slice", lambda a: tf.slice(a, [1, 0], [2, -1]), [r(3, 4)], lambda a: a[1:3, :]),
    OpCase("Pad", lambda a: tf.pad(a, [[1, 0], [0, 2]]), [r(2, 3)], lambda a: np.pad(a, [(1, 0), (0, 2)])),
    OpCase("Gather", lambda p: tf.gather(p, IDX), [r(5, 3)], lambda p: p[IDX]),
    OpCase(
        "Gather",
        lambda p: tf.gather(p, np.array([[2, 0], [1, 1]]), axis=1),
        [r(2, 3)],
        lambda p: p[:, np.array([[2, 0], [1, 1]])],
        name="Gather_axis1",
    ),
    OpCase(
        "GatherGrad",
        lambda g: apply_op("GatherGrad", [g, tf.constant(IDX), _i32([5, 3])], {"axis": 0}),
        [r(4, 3)],
        _gather_grad_ref,
    ),
    OpCase("Tile", lambda a: tf.tile(a, [2, 1, 3]), [r(2, 3, 1)], lambda a: np.tile(a, [2, 1, 3])),
    OpCase(
        "BroadcastTo",
        lambda a: tf.broadcast_to(a, [2, 3, 4]),
        [r(3, 1)],
        lambda a: np.broadcast_to(a, (2, 3, 4)),
    ),
    OpCase("OneHot", lambda i: tf.one_hot(i, 4), [np.array([0, 3, 1])], lambda i: np.eye(4)[i]),
    # nn
    OpCase("Relu", tf.nn.relu, [away(3, 4)], lambda a: np.maximum(a, 0)),
    OpCase(
        "LeakyRelu", lambda x: tf.nn.leaky_relu(x, 0.3), [away(3, 4)], lambda a: np.where(a > 0, a, 0.3 * a)
    ),
    OpCase("Elu", tf.nn.elu, [away(3, 4)], lambda a: np.where(a > 0, a, np.expm1(a))),
    OpCase(
        "HardSwish",
        tf.nn.hard_swish,
        [np.array([[-4.5, -2.5, -1.0, 0.5], [1.5, 2.7, 3.5, 5.0]])],
        lambda a: a * np.clip(a + 3, 0, 6) / 6,
    ),
    OpCase("Gelu", tf.nn.gelu, [r(3, 4, lo=-3, hi=3)], lambda a: a * (1 + _erf(a / np.sqrt(2))) / 2),
    OpCase(
        "Gelu",
        lambda x: tf.nn.gelu(x, approximate=True),
        [r(3, 4, lo=-3, hi=3)],
        lambda a: a * (1 + np.tanh(np.sqrt(2 / np.pi) * (a + 0.044715 * a**3))) / 2,
        name="Gelu_tanh",
    ),
    OpCase(
        "PRelu",
        tf.nn.prelu,
        [away(2, 3, 4), r(4, lo=-0.5, hi=1.5)],
        lambda x, a: np.where(x >= 0, x, a * x),
    ),
    OpCase(
        "L2Normalize",
        lambda x: tf.nn.l2_normalize(x, axis=-1),
        [r(2, 3, 4)],
        lambda x: x / np.sqrt((x**2).sum(-1, keepdims=True)),
    ),
    OpCase(
        "L2Normalize",
        lambda x: tf.nn.l2_normalize(x, axis=[0, 2], epsilon=0.5),
        [r(2, 3, 4, lo=-0.3, hi=0.3)],
        lambda x: x / np.sqrt(np.maximum((x**2).sum((0, 2), keepdims=True), 0.5)),
        name="L2Normalize_eps",
    ),
    OpCase(
        "GeluCdf",
        lambda x: apply_op("GeluCdf", [x], {}),
        [r(3, 4, lo=-3, hi=3)],
        lambda a: (1 + _erf(a / np.sqrt(2))) / 2,
    ),
    OpCase(
        "ReluGrad",
        lambda g, y: apply_op("ReluGrad", [g, y], {}),
        [r(3, 4), away(3, 4)],
        lambda g, y: g * (y > 0),
    ),
    OpCase(
        "Relu6",
        tf.nn.relu6,
        [np.concatenate([away(6), r(6, lo=6.3, hi=8), r(6, lo=1, hi=5)])],
        lambda a: np.clip(a, 0, 6),
    ),
    OpCase("Sigmoid", tf.sigmoid, [r(3, 4, lo=-4, hi=4)], lambda a: 1 / (1 + np.exp(-a))),
    OpCase("Tanh", tf.tanh, [r(3, 4, lo=-2, hi=2)], np.tanh),
    OpCase("Softmax", tf.nn.softmax, [r(3, 4, lo=-3, hi=3)], ref_softmax),
    OpCase(
        "Softmax",
        lambda a: tf.nn.softmax(a, axis=0),
        [r(3, 4)],
        lambda a: ref_softmax(a, 0),
        name="Softmax_ax0",
    ),
    OpCase("LogSoftmax", tf.nn.log_softmax, [r(3, 4, lo=-3, hi=3)], lambda a: np.log(ref_softmax(a))),
    OpCase("BiasAdd", tf.nn.bias_add, [r(2, 3, 4), r(4)], np.add),
    OpCase(
        "SparseSoftmaxCrossEntropyWithLogits",
        lambda lg: tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.constant(SPARSE_LABELS), logits=lg
        ),
        [r(4, 5, lo=-3, hi=3)],
        _sparse_xent_ref,
    ),
    OpCase(
        "SoftmaxCrossEntropyWithLogits",
        lambda lg, lb: tf.nn.softmax_cross_entropy_with_logits_v2(labels=lb, logits=lg),
        [r(3, 4, lo=-3, hi=3), SOFT_LABELS],
        _xent_ref,
    ),
    OpCase("L2Loss", tf.nn.l2_loss, [r(3, 4)], lambda a: (a * a).sum() / 2),
    # conv and pool
    OpCase("Conv2D", lambda x, w: tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME"), [CONV_X, CONV_W], ref_conv2d),
    OpCase(
        "Conv2D",
        lambda x, w: tf.nn.conv2d(x, w, [1, 2, 2, 1], "VALID", dilations=[1, 1, 1, 1]),
        [r(2, 6, 5, 3), r(2, 3, 3, 2)],
        lambda x, w: ref_conv2d(x, w, (2, 2), "VALID"),
        name="Conv2D_valid_s2",
    ),
    OpCase(
        "Conv2D",
        lambda x, w: tf.nn.conv2d(x, w, 1, "SAME", dilations=2),
        [r(1, 6, 6, 2), r(2, 2, 2, 3)],
        lambda x, w: ref_conv2d(x, w, (1, 1), "SAME", (2, 2)),
        name="Conv2D_dilated",
    ),
    OpCase(
        "Conv2D",
        lambda x, w: tf.nn.conv2d(x, w, 1, "VALID"),
        [r(2, 3, 3, 4), r(1, 1, 4, 2)],
        lambda x, w: ref_conv2d(x, w, (1, 1), "VALID"),
        name="Conv2D_1x1",
    ),
    OpCase(
        "Conv2DBackpropInput",
        lambda w, dy: tf.nn.conv2d_backprop_input([2, 5, 5, 3], w, dy, [1, 1, 1, 1], "SAME"),
        [CONV_W, CONV_DY_SAME],
        lambda w, dy: _numeric_vjp(lambda x: ref_conv2d(x, w), CONV_X * 0, dy),
    ),
    OpCase(
        "Conv2DBackpropInput",
        lambda x, w: tf.nn.conv2d_transpose(x, w, [2, 7, 7, 2], [1, 2, 2, 1], "VALID"),
        [r(2, 3, 3, 3), r(3, 3, 2, 3)],
        lambda x, w: _numeric_vjp(
            lambda y: ref_conv2d(y, w, (2, 2), "VALID"), np.zeros((2, 7, 7, 2)), x
        ),
        name="Conv2DTranspose_valid_s2",
    ),
    OpCase(
        "Conv2DBackpropFilter",
        lambda x, dy: tf.nn.conv2d_backprop_filter(x, [3, 3, 3, 4], dy, [1, 2, 2, 1], "VALID"),
        [CONV_X, CONV_DY_S2],
        lambda x, dy: _numeric_vjp(lambda w: ref_conv2d(x, w, (2, 2), "VALID"), CONV_W * 0, dy),
    ),
    OpCase(
        "DepthwiseConv2D",
        lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 2, 2, 1], "SAME"),
        [CONV_X, DW_W],
        lambda x, w: ref_conv2d(x, w, (2, 2), "SAME", depthwise=True),
    ),
    OpCase(
        "DepthwiseConv2DBackpropInput",
        lambda w, dy: apply_op("DepthwiseConv2DBackpropInput", [_i32([2, 5, 5, 3]), w, dy], ATTRS_DW),
        [DW_W, DW_DY],
        lambda w, dy: _numeric_vjp(
            lambda x: ref_conv2d(x, w, (2, 2), "SAME", depthwise=True), CONV_X * 0, dy
        ),
    ),
    OpCase(
        "DepthwiseConv2DBackpropFilter",
        lambda x, dy: apply_op("DepthwiseConv2DBackpropFilter", [x, _i32([3, 3, 3, 2]), dy], ATTRS_DW),
        [CONV_X, DW_DY],
        lambda x, dy: _numeric_vjp(lambda w: ref_conv2d(x, w, (2, 2), "SAME", depthwise=True), DW_W * 0, dy),
    ),
    OpCase(
        "MaxPool2D",
        lambda x: tf.nn.max_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], "SAME"),
        [POOL_X],
        lambda x: ref_pool(x, (3, 3), (2, 2), "SAME", "max"),
    ),
    OpCase(
        "MaxPool2D",
        lambda x: tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"),
        [r(2, 4, 4, 3)],
        lambda x: ref_pool(x, (2, 2), (2, 2), "VALID", "max"),
        name="MaxPool2D_valid",
    ),
    OpCase(
        "MaxPoolGrad",
        lambda x, dy: apply_op("MaxPoolGrad", [x, tf.nn.max_pool(x, 3, 2, "SAME"), dy], POOL_ATTRS),
        [POOL_X, r(2, 3, 3, 3)],
        lambda x, dy: _numeric_vjp(lambda v: ref_pool(v, (3, 3), (2, 2), "SAME", "max"), x, dy),
        grad=False,
    ),
    OpCase(
        "AveragePool2D",
        lambda x: tf.nn.avg_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], "SAME"),
        [POOL_X],
        lambda x: ref_pool(x, (3, 3), (2, 2), "SAME", "avg"),
    ),
    OpCase(
        "AvgPoolGrad",
        lambda dy: apply_op("AvgPoolGrad", [_i32([2, 5, 5, 3]), dy], POOL_ATTRS),
        [r(2, 3, 3, 3)],
        lambda dy: _numeric_vjp(lambda v: ref_pool(v, (3, 3), (2, 2), "SAME", "avg"), POOL_X, dy),
    ),
    # random and state
    OpCase(
        "RandomStandardNormal",
        lambda: None,
        custom=_random_check(lambda: tf.random_normal([50, 40]), _check_normal),
    ),
    OpCase(
        "TruncatedNormal",
        lambda: None,
        custom=_random_check(lambda: tf.truncated_normal([50, 40]), _check_truncated),
    ),
    OpCase(
        "RandomUniform",
        lambda: None,
        custom=_random_check(lambda: tf.random_uniform([50, 40], seed=3), _check_uniform),
    ),
    OpCase(
        "RandomUniformInt",
        lambda: None,
        custom=_random_check(lambda: tf.random_uniform([50, 40], -3, 5, dtype=tf.int32), _check_uniform_int),
    ),
    OpCase("VariableV2", lambda: None, custom=_state_check),
    OpCase("Assign", lambda: None, custom=_state_check),
    OpCase("AssignAdd", lambda: None, custom=_state_check),
    OpCase("AssignSub", lambda: None, custom=_state_check),
    OpCase("NoOp", lambda: None, custom=_state_check),
]

# The core op families. Ops registered elsewhere (optimizer updates in trainer/ops/training.py, fused ops
# of trainer.freeze) are covered by their own modules' tests.
CORE_MODULES = tuple(
    f"trainer.ops.{m}"
    for m in (
        "array_ops",
        "math_ops",
        "nn_ops",
        "conv_ops",
        "random_ops",
        "state_ops",
        "control_ops",
        "index_ops",
        "linalg_ops",
    )
)


def core_op_types() -> dict[str, object]:
    """Registered op types whose stanza lives in a core op family, with their OpDefs."""
    from trainer.registry import _REGISTRY

    return {t: d for t, d in _REGISTRY.items() if d.kernel.__module__ in CORE_MODULES}


def _bn_ref(x, scale, offset, mean=None, var=None, eps=1e-3):
    if mean is None:
        mean, var = x.mean((0, 1, 2)), x.var((0, 1, 2))
    return [scale * (x - mean) / np.sqrt(var + eps) + offset, mean, var]


BN_X = r(2, 3, 3, 4, lo=-2, hi=3)
BN_G = r(2, 3, 3, 4)


def _bn_grad_ref(g, x, scale):
    """Reference gradient of sum(g * y) for training-mode batch norm, by central differences."""
    return [
        _numeric_vjp(lambda v: _bn_ref(v, scale, 0.0)[0], x, g),
        _numeric_vjp(lambda s: _bn_ref(x, s, 0.0)[0], scale, g),
        g.sum((0, 1, 2)),
    ]


CASES += [
    OpCase(
        "FusedBatchNorm",
        lambda x, s, o: list(tf.nn.fused_batch_norm(x, s, o, epsilon=1e-3)),
        [BN_X, r(4, **POS), r(4)],
        _bn_ref,
    ),
    OpCase(
        "FusedBatchNorm",
        lambda x, s, o, m, v: list(tf.nn.fused_batch_norm(x, s, o, m, v, epsilon=1e-3, is_training=False)),
        [BN_X, r(4, **POS), r(4), r(4), r(4, **POS)],
        _bn_ref,
        name="FusedBatchNorm_inference",
    ),
    OpCase(
        "FusedBatchNormGrad",
        lambda g, x, s: (
            list(tf.gradients(tf.nn.fused_batch_norm(x, s, tf.zeros([4], tf.float64))[0], [x, s], grad_ys=g))
            + [tf.reduce_sum(g, [0, 1, 2])]
        ),
        [BN_G, BN_X, r(4, **POS)],
        _bn_grad_ref,
    ),
]

# The TF1-compatibility ops (linear algebra, index ops, scatter updates, composites) live in their own file.
from tf1_op_cases import TF1_CASES  # noqa: E402

CASES += TF1_CASES

# Control flow (If/While, their gradient ops, _Arg) and ReverseSequence: cases in their own file.
from control_flow_op_cases import control_flow_cases  # noqa: E402

CASES += control_flow_cases(OpCase)
CORE_MODULES += ("trainer.ops.control_flow", "trainer.ops._body", "trainer.ops.sequence_ops")

# TensorArray, scans and products, einsum, Print, lrn, partitioned embedding_lookup: their own file.
from compat_op_cases import COMPAT_CASES, COMPAT_MODULES  # noqa: E402

CASES += COMPAT_CASES
CORE_MODULES += tuple(f"trainer.ops.{m}" for m in COMPAT_MODULES)

# Fake quantization (straight-through gradients, checked against TensorFlow in test_fake_quant.py).
from fake_quant_op_cases import FAKE_QUANT_MODULES, fake_quant_cases  # noqa: E402

CASES += fake_quant_cases(OpCase)
CORE_MODULES += tuple(f"trainer.ops.{m}" for m in FAKE_QUANT_MODULES)

# Image resizing (ResizeBilinear, ResizeNearestNeighbor and their gradient ops): their own file.
from image_op_cases import IMAGE_CASES, IMAGE_MODULES  # noqa: E402

CASES += IMAGE_CASES
CORE_MODULES += tuple(f"trainer.ops.{m}" for m in IMAGE_MODULES)
