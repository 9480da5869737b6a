"""The GPU backend on a REAL CUDA device through CuPy (``@pytest.mark.gpu``).

Skipped, with the reason, where CuPy or a CUDA device is missing, also under TENSORLET_REQUIRE_ALL=1 (see
``need_gpu`` in tests/conftest.py). ``scripts/gpu_check.sh`` installs CuPy and runs these on a GPU machine.
The same checks run everywhere against the CuPy emulation in ``test_gpu_fake.py``; here the numbers come
from CUDA, so float results are compared with tolerances (cuBLAS sums in another order, uses FMA).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest
from conftest import need_gpu
from test_gpu_fake import OPTIMIZERS, PARITY, _random_parity, _run, _state_parity, _train, cnn_losses
from trainer_op_cases import OpCase

import trainer as tf
from trainer import backend, session
from trainer.ops import training

pytestmark = pytest.mark.gpu


@pytest.fixture
def gpu(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The real CuPy; every GPU kernel's outputs checked to be CuPy arrays on the op's device."""
    cupy = need_gpu()
    for name in ("cupy", "cupyx"):  # a fake left by another test module would shadow the real one
        if getattr(sys.modules.get(name), "EMULATION", False):
            monkeypatch.delitem(sys.modules, name)
    backend.clear_cache()
    training._BUILT.clear()
    real = session._kernel

    def checked(opdef: Any, ctx: Any) -> Any:
        k = real(opdef, ctx)
        if ctx.backend.is_host:
            return k

        def run(*args: Any) -> Any:
            r = k(*args)
            for v in r if isinstance(r, (tuple, list)) else [r]:
                assert v is None or isinstance(v, cupy.ndarray), f"{opdef.type} returned {type(v).__name__}"
                assert v is None or v.device.id == ctx.backend.index
            return r

        return run

    monkeypatch.setattr(session, "_kernel", checked)
    yield cupy
    backend.clear_cache()
    training._BUILT.clear()


def _close(got: Any, want: Any, rtol: float, atol: float) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype
    if got.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("case", PARITY, ids=lambda c: c.name)
def test_op_parity_cpu_vs_gpu(gpu: Any, case: OpCase):
    want = _run(case, "/cpu:0")
    got = _run(case, "/gpu:0")
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert type(a) is np.ndarray
        _close(
            a, b, rtol=1e-7 if a.dtype == np.float64 else 1e-5, atol=1e-9 if a.dtype == np.float64 else 1e-6
        )


def test_random_and_state_ops_on_gpu(gpu: Any):
    _random_parity()  # drawn on the host: the very same numbers
    _state_parity()


@pytest.mark.parametrize("op_type", sorted(OPTIMIZERS))
def test_fused_updates_on_gpu_match_cpu(gpu: Any, monkeypatch: pytest.MonkeyPatch, op_type: str):
    cpu = _train("/cpu:0", OPTIMIZERS[op_type])
    fused = _train("/gpu:0", OPTIMIZERS[op_type])
    monkeypatch.setattr(training, "USE_FUSED_GPU_KERNELS", False)
    generic = _train("/gpu:0", OPTIMIZERS[op_type])
    for run in (fused, generic):
        np.testing.assert_allclose(run[0], cpu[0], rtol=1e-5)
        for a, b in zip(run[1], cpu[1], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_cnn_training_on_gpu_matches_cpu(gpu: Any):
    cpu = cnn_losses("/cpu:0", steps=5)
    dev = cnn_losses("/gpu:0", steps=5)
    print("cnn losses cpu", cpu[0], "gpu", dev[0])
    np.testing.assert_allclose(dev[0], cpu[0], rtol=1e-4)
    for a, b in zip(dev[1], cpu[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)
    assert dev[0][-1] < dev[0][0]


def test_mixed_cpu_gpu_graph_on_gpu(gpu: Any):
    rng = np.random.default_rng(0)
    xv, wv = rng.standard_normal((4, 3)), rng.standard_normal((3, 5))
    out = []
    for dev in ("/cpu:1", "/gpu:0"):
        g = tf.Graph()
        with g.as_default():
            with tf.device("/cpu:0"):
                x = tf.placeholder(tf.float64, [None, 3])
                w = tf.constant(wv)
            with tf.device(dev):
                h = tf.nn.relu(tf.matmul(x, w))
            with tf.device("/cpu:0"):
                y = tf.reduce_sum(h, axis=1) * 2.0
            with tf.Session() as sess:
                out.append(sess.run([y, h], {x: xv}))
    for a, b in zip(out[0], out[1], strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)
