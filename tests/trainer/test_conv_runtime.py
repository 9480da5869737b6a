"""The trainer's convolutions on the C runtime (trainer/ops/conv_runtime.py, runtime_c/src/conv_train.c)
against the numpy kernels run in float64 (the specification), the TENSORLET_TRAINER_KERNELS switch, threads,
and the C entry points' refusals."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import trainer as tf
from tests.conftest import need
from trainer.errors import FailedPreconditionError, InvalidArgumentError
from trainer.ops import conv_ops, conv_runtime

GEOMETRIES = [
    # (h, w, kh, kw, strides, dilations, padding)
    (7, 9, 3, 3, (1, 1), (1, 1), "SAME"),
    (7, 9, 3, 3, (2, 2), (1, 1), "SAME"),
    (8, 6, 3, 2, (2, 3), (1, 1), "VALID"),
    (9, 9, 3, 3, (1, 1), (2, 1), "SAME"),
    (5, 5, 5, 5, (1, 1), (1, 1), "SAME"),  # windows larger than half the input
    (4, 6, 1, 1, (1, 1), (1, 1), "SAME"),  # pointwise: the GEMM on the input itself
    (4, 6, 1, 1, (3, 2), (1, 1), "SAME"),
    (10, 7, 4, 3, (1, 1), (2, 2), "VALID"),
]


@pytest.fixture(autouse=True)
def _runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    need(conv_runtime._extension() is not None, "pyruntime's C extension is not built")
    monkeypatch.setenv(conv_runtime.ENV_VAR, "runtime")


def _ctx(a: dict) -> object:
    class Ctx:
        attrs, xp, step = a, np, None

        class op:  # noqa: N801
            name = "conv"

    return Ctx()


def _kernels(x: np.ndarray, w: np.ndarray, dy: np.ndarray, a: dict) -> list[np.ndarray]:
    """Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter of conv_ops on these arrays."""
    ctx = _ctx(a)
    return [
        conv_ops._conv2d_kernel(ctx, x, w),
        conv_ops._conv2d_bi_kernel(ctx, np.array(x.shape), w, dy),
        conv_ops._conv2d_bf_kernel(ctx, x, np.array(w.shape), dy),
    ]


@pytest.mark.parametrize(("geom", "c", "o"), list(itertools.product(GEOMETRIES, [1, 3], [5, 20])))
def test_runtime_kernels_match_the_numpy_kernels_in_float64(geom: tuple, c: int, o: int) -> None:
    h, w, kh, kw, strides, dilations, padding = geom
    a = {"strides": strides, "dilations": dilations, "padding": padding}
    rng = np.random.default_rng(h * 1000 + w * 10 + c + o)
    x = rng.standard_normal((3, h, w, c)).astype(np.float32)
    k = rng.standard_normal((kh, kw, c, o)).astype(np.float32)
    oh, ow, _, _ = conv_ops._geometry(h, w, kh, kw, a)
    dy = rng.standard_normal((3, oh, ow, o)).astype(np.float32)
    oracle = _kernels(x.astype(np.float64), k.astype(np.float64), dy.astype(np.float64), a)
    got = _kernels(x, k, dy, a)
    for name, g, want in zip(
        ["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"], got, oracle, strict=True
    ):
        assert g.dtype == np.float32 and g.shape == want.shape, name
        np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-5 * np.abs(want).max(), err_msg=name)
    # the kernels' results are the runtime's: the forward and the filter gradient always, the input
    # gradient for unit strides (strided ones stay numpy)
    _, _, (pt, _), (pl, _) = conv_ops._geometry(h, w, kh, kw, a)
    np.testing.assert_array_equal(got[0], conv_runtime.conv2d(x, k, (oh, ow), strides, dilations, (pt, pl)))
    np.testing.assert_array_equal(
        got[2], conv_runtime.conv2d_filter_grad(x, dy, (kh, kw), strides, dilations, (pt, pl))
    )
    dx = conv_runtime.conv2d_input_grad(dy, k, x.shape, strides, dilations, (pt, pl))
    assert (dx is None) == (strides != (1, 1))
    if dx is not None:
        np.testing.assert_array_equal(got[1], dx)


@pytest.mark.parametrize(
    ("h", "w", "k", "s", "padding", "c"),
    [(6, 8, 2, 2, "VALID", 3), (7, 8, 2, 2, "SAME", 3), (9, 6, 3, 2, "SAME", 70), (5, 5, 3, 1, "SAME", 2)],
)
def test_max_pool_equals_the_numpy_kernel(
    h: int, w: int, k: int, s: int, padding: str, c: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = np.random.default_rng(h + w + c).standard_normal((2, h, w, c)).astype(np.float32) - 2.0  # < 0 mostly
    a = {"ksize": (k, k), "strides": (s, s), "padding": padding}
    pad = (conv_ops.pads(h, k, s, 1, padding)[0], conv_ops.pads(w, k, s, 1, padding)[0])
    out_hw = (conv_ops.out_size(h, k, s, 1, padding), conv_ops.out_size(w, k, s, 1, padding))
    y = conv_runtime.max_pool(x, out_hw, (k, k), (s, s), pad)
    monkeypatch.setenv(conv_runtime.ENV_VAR, "numpy")
    np.testing.assert_array_equal(y, conv_ops._max_pool_kernel(_ctx(a), x))  # x mostly < 0: a 0 fill wins


def _max_pool_grad_oracle(x: np.ndarray, y: np.ndarray, dy: np.ndarray, k: int, s: int, pad: tuple) -> Any:
    """Loops: each window's dy to its first element (row-major, inside the input) equal to its max."""
    dx = np.zeros(x.shape, np.float64)
    n, oh, ow, c = y.shape
    for b, i, j, ch in itertools.product(range(n), range(oh), range(ow), range(c)):
        taps = [(i * s - pad[0] + p, j * s - pad[1] + q) for p in range(k) for q in range(k)]
        inside = [(r, t) for r, t in taps if 0 <= r < x.shape[1] and 0 <= t < x.shape[2]]
        first = next(rt for rt in inside if x[b, rt[0], rt[1], ch] == y[b, i, j, ch])
        dx[b, first[0], first[1], ch] += dy[b, i, j, ch]
    return dx


@pytest.mark.parametrize(
    ("h", "w", "k", "s", "padding", "c"),
    [(6, 8, 2, 2, "VALID", 3), (7, 8, 2, 2, "SAME", 3), (9, 6, 3, 2, "SAME", 70), (5, 5, 3, 1, "SAME", 2)],
)
def test_max_pool_grad_with_ties_matches_loops(h: int, w: int, k: int, s: int, padding: str, c: int) -> None:
    """Tiling, padded, overlapping windows and more than one 64-channel chunk; small integers and ReLU zeros
    make many windows hold their maximum more than once."""
    rng = np.random.default_rng(h * w + k + c)
    x = np.maximum(rng.integers(-3, 3, (2, h, w, c)), 0).astype(np.float32)
    a = {"ksize": (k, k), "strides": (s, s), "padding": padding}
    y = conv_ops._max_pool_kernel(_ctx(a), x)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    pad = (conv_ops.pads(h, k, s, 1, padding)[0], conv_ops.pads(w, k, s, 1, padding)[0])
    dx = conv_runtime.max_pool_grad(x, y, dy, (k, k), (s, s), pad)
    assert dx is not None
    np.testing.assert_allclose(dx, _max_pool_grad_oracle(x, y, dy, k, s, pad), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(dx, conv_ops._max_pool_grad_kernel(_ctx(a), x, y, dy))  # the kernel's


def test_the_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    x = np.ones((1, 4, 4, 2), np.float32)
    w = np.ones((3, 3, 2, 3), np.float32)
    assert conv_runtime.conv2d(x, w, (4, 4), (1, 1), (1, 1), (1, 1)) is not None
    # a corner of the SAME convolution of ones sums 2x2 taps of 2 channels
    assert conv_runtime.conv2d(x, w, (4, 4), (1, 1), (1, 1), (1, 1))[0, 0, 0, 0] == 8.0
    monkeypatch.setenv(conv_runtime.ENV_VAR, "numpy")
    assert not conv_runtime.available() and conv_runtime.conv2d(x, w, (4, 4), (1, 1), (1, 1), (1, 1)) is None
    monkeypatch.setenv(conv_runtime.ENV_VAR, "fast")
    with pytest.raises(InvalidArgumentError, match="TENSORLET_TRAINER_KERNELS='fast'"):
        conv_runtime.available()
    monkeypatch.setattr(conv_runtime, "_ext", [None])  # as where the extension is not built
    monkeypatch.setenv(conv_runtime.ENV_VAR, "auto")
    assert not conv_runtime.available() and conv_runtime.conv2d(x, w, (4, 4), (1, 1), (1, 1), (1, 1)) is None
    monkeypatch.setenv(conv_runtime.ENV_VAR, "runtime")
    with pytest.raises(FailedPreconditionError, match="not built"):
        conv_runtime.available()


def test_float64_and_strided_input_gradients_keep_numpy() -> None:
    x = np.ones((1, 4, 4, 2))
    assert conv_runtime.conv2d(x, np.ones((3, 3, 2, 3)), (4, 4), (1, 1), (1, 1), (1, 1)) is None
    dy = np.ones((1, 2, 2, 3), np.float32)
    assert conv_runtime.conv2d_input_grad(dy, np.ones((3, 3, 2, 3), np.float32), (1, 4, 4, 2), (2, 2), (1, 1),
                                          (0, 0)) is None  # fmt: skip


def test_two_threads_give_the_same_forward_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 12, 10, 8)).astype(np.float32)
    w = rng.standard_normal((3, 3, 8, 24)).astype(np.float32)
    dy = rng.standard_normal((4, 12, 10, 24)).astype(np.float32)
    out = {}
    for n in ("1", "2"):
        monkeypatch.setenv("OMP_NUM_THREADS", n)
        assert conv_runtime.threads() == int(n)
        out[n] = (conv_runtime.conv2d(x, w, (12, 10), (1, 1), (1, 1), (1, 1)),
                  conv_runtime.conv2d_filter_grad(x, dy, (3, 3), (1, 1), (1, 1), (1, 1)))  # fmt: skip
    np.testing.assert_array_equal(out["1"][0], out["2"][0])  # the GEMM's split keeps each output's sum order
    np.testing.assert_allclose(out["1"][1], out["2"][1], rtol=1e-5, atol=1e-4)  # two partials summed


def test_the_c_entry_points_refuse_bad_geometry_and_short_scratch() -> None:
    ffi, lib = conv_runtime._extension()
    g = ffi.new("tl_conv2d_geometry *")
    g.batch, g.in_h, g.in_w, g.in_c, g.out_h, g.out_w, g.out_c = 1, 4, 4, 2, 4, 4, 3
    g.k_h = g.k_w = 3
    g.stride_h = g.stride_w = g.dilation_h = g.dilation_w = 1
    g.pad_top = g.pad_left = 1
    need_floats = lib.tl_conv2d_f32_nhwc_scratch_floats(g, 1)
    assert need_floats > 0 and lib.tl_conv2d_f32_filter_grad_scratch_floats(g, 1) > 0
    x, w, y = (np.zeros(n, np.float32) for n in (32, 54, 48))
    scratch = np.zeros(need_floats, np.float32)
    p = [ffi.cast("float *", a.ctypes.data) for a in (y, x, w, scratch)]
    assert lib.tl_conv2d_f32_nhwc(*p, need_floats, g, ffi.NULL) == lib.TL_OK
    assert lib.tl_conv2d_f32_nhwc(*p, need_floats - 1, g, ffi.NULL) == lib.TL_ERROR_ARENA_TOO_SMALL
    assert lib.tl_conv2d_f32_nhwc(ffi.NULL, *p[1:], need_floats, g, ffi.NULL) == lib.TL_ERROR_NULL_ARGUMENT
    g.pad_top = 3  # more than (k_h - 1) * dilation_h: a window wholly in the padding
    assert lib.tl_conv2d_f32_nhwc_scratch_floats(g, 1) == 0
    assert lib.tl_conv2d_f32_nhwc(*p, need_floats, g, ffi.NULL) == lib.TL_ERROR_INVALID_ARGUMENT
    assert lib.tl_conv2d_f32_filter_grad(p[2], p[1], p[0], p[3], need_floats, g, ffi.NULL) == (
        lib.TL_ERROR_INVALID_ARGUMENT
    )


def _train_cnn(steps: int) -> list[float]:
    """Losses of a tiny float32 CNN (two SAME convolutions, a pool, a dense layer) fitting a batch (Adam)."""
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((8, 10, 10, 1)).astype(np.float32)
    ys = rng.integers(0, 4, 8).astype(np.int32)
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        x = tf.placeholder(tf.float32, [None, 10, 10, 1])
        y = tf.placeholder(tf.int32, [None])
        net = tf.layers.Conv2D(6, 3, padding="same", activation=tf.nn.relu)(x)
        net = tf.layers.Conv2D(8, 3, padding="same", activation=tf.nn.relu)(net)
        net = tf.layers.Dense(4)(tf.layers.Flatten()(tf.layers.MaxPooling2D(2, 2)(net)))
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=net))
        train = tf.train.AdamOptimizer(1e-2).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return [float(sess.run([train, loss], {x: xs, y: ys})[1]) for _ in range(steps)]


def test_training_a_cnn_gives_the_numpy_paths_losses(monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = _train_cnn(6)
    monkeypatch.setenv(conv_runtime.ENV_VAR, "numpy")
    numpy = _train_cnn(6)
    assert runtime[-1] < 0.5 * runtime[0]
    np.testing.assert_allclose(runtime, numpy, rtol=1e-4)


def test_thin_inputs_are_padded_so_every_window_lies_inside() -> None:
    x = np.arange(2 * 5 * 6 * 1, dtype=np.float32).reshape(2, 5, 6, 1)
    padded, pads = conv_runtime._pad_thin(x, (3, 3), (3, 3), (2, 2), (1, 1), (1, 1))
    assert pads == (0, 0) and padded.shape == (2, 7, 7, 1)  # bottom: 5 rows + 1 + 1; right: 6 + 1 + 0
    np.testing.assert_array_equal(padded[:, 1:6, 1:7], x)
    assert padded[:, 0].max() == padded[:, :, 0].max() == padded[:, 6].max() == 0
    wide = np.zeros((1, 4, 4, conv_runtime.THIN_CHANNELS + 1), np.float32)
    assert conv_runtime._pad_thin(wide, (4, 4), (3, 3), (1, 1), (1, 1), (1, 1))[0] is wide


def _adam_variables(n_threads: str, monkeypatch: pytest.MonkeyPatch) -> list[np.ndarray]:
    """Variables (70,001 floats: threads and a tail; 4,099: one thread) after three Adam steps."""
    monkeypatch.setenv("OMP_NUM_THREADS", n_threads)
    rng = np.random.default_rng(8)
    g = tf.Graph()
    with g.as_default():
        big = tf.Variable(rng.standard_normal(70001).astype(np.float32))
        small = tf.Variable(rng.standard_normal(4099).astype(np.float32))
        target = rng.standard_normal(70001).astype(np.float32)
        loss = tf.reduce_sum(tf.square(big - target)) + tf.reduce_sum(tf.abs(small))
        train = tf.train.AdamOptimizer(0.05).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(3):
                sess.run(train)
            return sess.run([big, small])


def test_adam_in_one_c_pass_gives_the_numpy_kernels_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = _adam_variables("2", monkeypatch)
    one_thread = _adam_variables("1", monkeypatch)
    monkeypatch.setenv(conv_runtime.ENV_VAR, "numpy")
    numpy = _adam_variables("1", monkeypatch)
    for got, single, want in zip(runtime, one_thread, numpy, strict=True):
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(single, want)
    monkeypatch.setenv(conv_runtime.ENV_VAR, "runtime")
    assert not conv_runtime.adam(*(np.zeros(4096, np.float64) for _ in range(4)), 0.1, 0.001, 1e-8, 0.01)
    assert not conv_runtime.adam(*(np.zeros(4095, np.float32) for _ in range(4)), 0.1, 0.001, 1e-8, 0.01)
