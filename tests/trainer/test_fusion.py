"""Fused CPU steps (trainer/ops/fusion.py): Conv2D -> BiasAdd -> Relu and MaxPoolGrad -> ReluGrad -> Sum
run as one step on the C runtime, with the numpy path's values (TENSORLET_TRAINER_KERNELS=numpy, the
reference), and only where nothing else needs the intermediate values."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import trainer as tf
from tests.conftest import need
from trainer.ops import conv_ops, conv_runtime


@pytest.fixture(autouse=True)
def _runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    need(conv_runtime._extension() is not None, "pyruntime's C extension is not built")
    monkeypatch.setenv(conv_runtime.ENV_VAR, "runtime")


def _layer(padding: str = "SAME", pool: tuple = (2, 2, "VALID")) -> dict[str, Any]:
    """conv -> bias -> relu -> max pool -> sum of squares, and the gradients of that loss."""
    rng = np.random.default_rng(3)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 9, 8, 3], name="x")
        w = tf.Variable(rng.standard_normal((3, 3, 3, 10)).astype(np.float32), name="w")
        b = tf.Variable(rng.standard_normal(10).astype(np.float32) * 0.5, name="b")
        conv = tf.nn.conv2d(x, w, [1, 1, 1, 1], padding)
        act = tf.nn.relu(tf.nn.bias_add(conv, b))
        k, s, pad = pool
        pooled = tf.nn.max_pool(act, [1, k, k, 1], [1, s, s, 1], pad)
        loss = tf.reduce_sum(tf.square(pooled - 0.3))
        dx, dw, db = tf.gradients(loss, [x, w, b])
    feed = rng.standard_normal((4, 9, 8, 3)).astype(np.float32)
    return {"g": g, "x": x, "conv": conv, "act": act, "loss": loss, "grads": [dx, dw, db], "feed": feed}


def _run(m: dict[str, Any], fetches: list[Any]) -> tuple[list[np.ndarray], list[str]]:
    """Values of fetches and the op types of the plan's steps."""
    with m["g"].as_default():
        init = tf.global_variables_initializer()
    with tf.Session(graph=m["g"]) as sess:
        sess.run(init)
        vals = sess.run(fetches, {m["x"]: m["feed"]})
        (plan,) = [p for key, p in sess._plans.items() if len(p.fetches) == len(fetches)]
        types = [st.op.type for st in plan.steps]
    return vals, types


@pytest.mark.parametrize("pool", [(2, 2, "VALID"), (3, 2, "SAME")])
def test_a_conv_layer_fuses_and_gives_the_numpy_paths_values(
    monkeypatch: pytest.MonkeyPatch, pool: tuple
) -> None:
    m = _layer(pool=pool)
    fetches = [m["loss"], *m["grads"]]
    fused, types = _run(m, fetches)
    assert "Conv2D" not in types and "BiasAdd" not in types and "MaxPoolGrad" not in types
    assert types.count("Relu") == 1 and types.count("ReluGrad") == 1
    assert types.count("Sum") == 1  # the loss's; the bias gradient's Sum rides along with the pool's
    monkeypatch.setenv(conv_runtime.ENV_VAR, "numpy")
    reference, ref_types = _run(m, fetches)
    assert ref_types == types  # the same plan: the fused steps run the original kernels
    for name, got, want in zip(["loss", "dx", "dw", "db"], fused, reference, strict=True):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5 * np.abs(want).max(), err_msg=name)


def test_a_fetched_intermediate_keeps_its_op() -> None:
    m = _layer()
    b = m["g"].get_tensor_by_name("b:0")
    (conv, act, b), types = _run(m, [m["conv"], m["act"], b])
    assert "Conv2D" in types and "BiasAdd" in types and "Relu" in types
    np.testing.assert_allclose(act, np.maximum(conv + b, 0), rtol=1e-6, atol=1e-6)


def test_a_variable_write_between_the_ops_keeps_them_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    xs = np.random.default_rng(4).standard_normal((2, 5, 5, 2)).astype(np.float32)
    results, plans = {}, {}
    for kernels in ("runtime", "numpy"):
        monkeypatch.setenv(conv_runtime.ENV_VAR, kernels)
        g = tf.Graph()
        with g.as_default():
            x = tf.constant(xs)
            w = tf.Variable(np.ones((3, 3, 2, 4), np.float32))
            conv = tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME")
            double = tf.assign(w, w * 2.0)  # created after the convolution: runs after it
            with tf.control_dependencies([double]):
                out = tf.nn.relu(tf.nn.bias_add(conv, tf.zeros([4])))
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                results[kernels] = sess.run(out)
                plans[kernels] = [st.op.type for st in list(sess._plans.values())[-1].steps]
    assert "Conv2D" in plans["runtime"]
    np.testing.assert_allclose(results["runtime"], results["numpy"], rtol=1e-6)


def test_a_relu_gradient_without_a_pool_is_not_fused() -> None:
    g = tf.Graph()
    with g.as_default():
        x = tf.constant(np.linspace(-1, 1, 2 * 4 * 4 * 3, dtype=np.float32).reshape(2, 4, 4, 3))
        w = tf.Variable(np.full((3, 3, 3, 2), 0.1, np.float32))
        y = tf.nn.relu(tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME"))
        (dw,) = tf.gradients(tf.reduce_sum(y * y), [w])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(dw)
            types = [st.op.type for st in list(sess._plans.values())[-1].steps]
    assert "ReluGrad" in types and "Conv2D" in types  # no BiasAdd: nothing fuses with the convolution


def _pool_relu_grad_numpy(x: np.ndarray, y: np.ndarray, dy: np.ndarray, a: dict) -> np.ndarray:
    ctx = type("Ctx", (), {"attrs": a, "xp": np, "op": type("Op", (), {"name": "pool"})})()
    return conv_ops._max_pool_grad_kernel(ctx, x, y, dy) * (x > 0)


@pytest.mark.parametrize(
    ("k", "s", "padding", "c"), [(2, 2, "VALID", 16), (3, 2, "SAME", 5), (2, 1, "VALID", 9)]
)
def test_max_pool_relu_grad_with_ties_matches_numpy(
    monkeypatch: pytest.MonkeyPatch, k: int, s: int, padding: str, c: int
) -> None:
    rng = np.random.default_rng(k * 10 + c)
    x = np.maximum(rng.integers(-2, 3, (3, 7, 6, c)).astype(np.float32), 0)  # ties and zero windows
    a = {"ksize": (k, k), "strides": (s, s), "padding": padding}
    oh, ow = conv_ops.out_size(7, k, s, 1, padding), conv_ops.out_size(6, k, s, 1, padding)
    pt, pl = conv_ops.pads(7, k, s, 1, padding)[0], conv_ops.pads(6, k, s, 1, padding)[0]
    y = conv_runtime.max_pool(x, (oh, ow), (k, k), (s, s), (pt, pl))
    dy = rng.standard_normal(y.shape).astype(np.float32)
    want = {}
    for n in ("1", "2"):
        monkeypatch.setenv("OMP_NUM_THREADS", n)
        want[n] = conv_runtime.max_pool_relu_grad(x, y, dy, (k, k), (s, s), (pt, pl), True)
    dx, db = want["1"]
    dx_only, none = conv_runtime.max_pool_relu_grad(x, y, dy, (k, k), (s, s), (pt, pl), False)
    assert none is None
    np.testing.assert_array_equal(dx_only, dx)
    np.testing.assert_array_equal(want["2"][0], dx)  # threads take whole images
    np.testing.assert_array_equal(want["2"][1], db)  # the bias sum runs on the calling thread
    np.testing.assert_allclose(db, dx.sum(axis=(0, 1, 2), dtype=np.float64), rtol=1e-5, atol=1e-5)
    monkeypatch.setenv(conv_runtime.ENV_VAR, "numpy")
    want_dx = _pool_relu_grad_numpy(x, y, dy, a)
    if k == s and padding == "VALID":  # tiling windows: the same bits
        np.testing.assert_array_equal(dx, want_dx)
    else:  # overlapping windows add their shares in another order
        np.testing.assert_allclose(dx, want_dx, rtol=1e-6, atol=1e-6)


def test_conv_bias_relu_matches_conv_then_numpy_bias_and_relu() -> None:
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 6, 7, 5)).astype(np.float32)
    w = rng.standard_normal((3, 3, 5, 19)).astype(np.float32)  # 19: a partial column tile
    b = rng.standard_normal(19).astype(np.float32)
    conv = conv_runtime.conv2d(x, w, (6, 7), (1, 1), (1, 1), (1, 1))
    for relu in (False, True):
        got = conv_runtime.conv2d_bias_relu(x, w, b, relu, (6, 7), (1, 1), (1, 1), (1, 1))
        want = np.maximum(conv + b, 0) if relu else conv + b
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-5)
        if relu:
            assert got.min() == 0.0
    assert conv_runtime.conv2d_bias_relu(x, w, b[:5], True, (6, 7), (1, 1), (1, 1), (1, 1)) is None


def test_the_pool_relu_grad_entry_point_refuses_a_bias_without_relu() -> None:
    ffi, lib = conv_runtime._extension()
    g = ffi.new("tl_conv2d_geometry *")
    g.batch, g.in_h, g.in_w, g.in_c, g.out_h, g.out_w, g.out_c = 1, 4, 4, 2, 2, 2, 2
    g.k_h = g.k_w = g.stride_h = g.stride_w = 2
    g.dilation_h = g.dilation_w = 1
    x, dx, y, dy, db = (np.zeros(n, np.float32) for n in (32, 32, 8, 8, 2))
    dx_, db_, x_, y_, dy_ = (ffi.cast("float *", v.ctypes.data) for v in (dx, db, x, y, dy))
    assert lib.tl_max_pool2d_f32_grad_relu(dx_, db_, x_, y_, dy_, 1, g, ffi.NULL) == lib.TL_OK
    assert (
        lib.tl_max_pool2d_f32_grad_relu(dx_, db_, x_, y_, dy_, 0, g, ffi.NULL)
        == lib.TL_ERROR_INVALID_ARGUMENT
    )
    assert (
        lib.tl_max_pool2d_f32_grad_relu(ffi.NULL, db_, x_, y_, dy_, 1, g, ffi.NULL)
        == lib.TL_ERROR_NULL_ARGUMENT
    )
    assert lib.tl_max_pool2d_f32_grad_relu(dx_, ffi.NULL, x_, y_, dy_, 0, g, ffi.NULL) == lib.TL_OK
