"""The GPU backend against an EMULATED CuPy (``fake_cupy.py``): no GPU and no CUDA are involved.

These tests prove that the trainer's GPU code path uses the array module correctly: every registered op runs
on ``/gpu:0`` with ``ctx.xp`` being a strict CuPy double and gives the CPU's numbers; every value a GPU
kernel returns is a device array; host<->device copies happen only at feeds, fetches, ``_Send``/``_Recv``
and a few named, documented places (a constant's first upload, a host-drawn random sample, shape metadata);
the fused optimizer kernels agree with the xp-generic reference. They prove nothing about CUDA itself: the
``gpu``-marked tests in ``test_gpu.py`` run the same checks on a real device.
"""

from __future__ import annotations

import inspect
import io
import subprocess
import sys
from collections import Counter
from typing import Any

import fake_cupy
import numpy as np
import pytest
from conftest import need, need_tool
from trainer_op_cases import CASES, OpCase, core_op_types

import trainer as tf
from trainer import backend, session
from trainer.errors import UnimplementedError
from trainer.ops import training
from trainer.summary import _protos as _summary_protos

# Where a transfer may happen: the innermost of these functions on the stack names the reason. A transfer
# whose innermost trainer frame is any other kernel is a bug (a hidden copy inside a kernel).
MARKERS = {
    "_send_kernel": "send",
    "_allreduce_kernel": "allreduce",
    "_recv_kernel": "recv",
    "_execute": "feed/fetch",
    "cached_upload": "constant",
    "read_variable": "variable load",
    "host_ints": "shape metadata",
    "host_copy": "host-side kernel",
    "any_true": "validity check",
    "upload": "upload",
}
# Kernels allowed to call upload(): metadata ops and the random ops (drawn on the host, same numbers as CPU).
UPLOADERS = {
    "_shape_kernel",
    "_size_kernel",
    "_rank_kernel",
    "_one_hot_kernel",
    "_normal_kernel",
    "_truncated_kernel",
    "_uniform_kernel",
    "_uniform_int_kernel",
    "_sampler_kernel",
    "_multinomial_kernel",
    "_shuffle_kernel",
    "_py_func_kernel",
    "_orthogonal_kernel",
}


def classify(t: fake_cupy.Transfer) -> str:
    """The reason of one logged transfer, or ``"VIOLATION in <function>"``."""
    for k, name in enumerate(t.stack):
        if name in MARKERS:
            if name == "upload" and t.stack[k + 1] not in UPLOADERS:
                return f"VIOLATION upload in {t.stack[k + 1]}"
            if name == "host_ints" and not (t.dtype.startswith("int") and len(t.shape) <= 1):
                return f"VIOLATION host_ints of {t.dtype} {t.shape}"
            return MARKERS[name]
        if name.endswith("_kernel"):
            return f"VIOLATION in {name}"
    return "VIOLATION outside the session"


def transfer_reasons() -> Counter:
    return Counter(classify(t) for t in fake_cupy.LOG)


@pytest.fixture
def fake_gpu(monkeypatch: pytest.MonkeyPatch) -> Any:
    """CuPy replaced by the emulation with one device; every GPU kernel's outputs checked to be device
    arrays."""
    fake_cupy.reset(1)
    monkeypatch.setattr(fake_cupy, "RAN", Counter(), raising=False)  # op types run by GPU kernels
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy)
    monkeypatch.setitem(sys.modules, "cupyx", fake_cupy.cupyx)
    for f in training.FUSED_UPDATES.values():
        fake_cupy.register_twin(f.name, f.twin)
    backend.clear_cache()
    training._BUILT.clear()
    real = session._kernel

    def checked(opdef: Any, ctx: Any) -> Any:
        k = real(opdef, ctx)
        if ctx.backend.is_host:
            return k

        def run(*args: Any) -> Any:
            fake_cupy.RAN[opdef.type] += 1
            r = k(*args)
            outs = ctx.op.outputs
            for t, v in zip(outs, r if len(outs) > 1 else [r], strict=False):
                if t.dtype.name == "variant":  # a cond's or loop's trace: host objects holding device arrays
                    continue
                assert v is None or isinstance(v, fake_cupy.ndarray), (
                    f"GPU kernel of {opdef.type} returned {type(v).__name__}, not a device array"
                )
            return r

        return run

    monkeypatch.setattr(session, "_kernel", checked)
    yield fake_cupy
    backend.clear_cache()
    training._BUILT.clear()


def _run(case: OpCase, device: str) -> list[np.ndarray]:
    g = tf.Graph()
    with g.as_default(), tf.device(device):
        phs = [tf.placeholder(tf.as_dtype(a.dtype), a.shape) for a in case.inputs]
        out = case.build(*phs)
        outs = out if isinstance(out, list) else [out]
        if case.grad and tf.registry._REGISTRY[case.op_type].differentiable:
            floats = [o for o in outs if o.dtype.is_floating]
            diff = [p for p, a in zip(phs, case.inputs, strict=True) if a.dtype == np.float64]
            if floats and diff:  # the backward graph on the device too
                loss = tf.add_n([tf.reduce_sum(o * o) for o in floats])
                outs = outs + [gr for gr in tf.gradients(loss, diff) if gr is not None]
        with tf.Session() as sess:
            return sess.run(outs, dict(zip(phs, case.inputs, strict=True)))


PARITY = [c for c in CASES if c.custom is None]


def test_every_op_has_a_gpu_parity_case():
    covered = {c.op_type for c in PARITY} | set(CUSTOM_PARITY)
    missing = set(core_op_types()) - covered
    assert not missing, f"ops without a GPU parity case: {sorted(missing)}"
    fused = {t for t, d in tf.registry._REGISTRY.items() if d.kernel.__module__ == "trainer.ops.training"}
    assert fused <= set(OPTIMIZERS), f"optimizer ops without a GPU test: {sorted(fused - set(OPTIMIZERS))}"


@pytest.mark.parametrize("case", PARITY, ids=lambda c: c.name)
def test_op_parity_cpu_vs_emulated_gpu(fake_gpu: Any, case: OpCase):
    want = _run(case, "/cpu:0")
    fake_gpu.LOG.clear()
    got = _run(case, "/gpu:0")
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert type(a) is np.ndarray, f"fetch returned {type(a)}"
        assert a.dtype == np.asarray(b).dtype and a.shape == np.shape(b)
        np.testing.assert_array_equal(a, b)  # the emulation runs numpy: bit-identical
    reasons = transfer_reasons()
    assert not [r for r in reasons if r.startswith("VIOLATION")], reasons
    if case.op_type != "Placeholder":  # a fed placeholder runs no kernel: its value is the feed
        assert fake_gpu.RAN[case.op_type] >= 1, f"{case.op_type} did not run on the GPU: {fake_gpu.RAN}"
        assert reasons["feed/fetch"] >= len(got), reasons


def _random_parity() -> None:
    for make in (
        lambda: tf.random_normal([5, 4], seed=1),
        lambda: tf.truncated_normal([5, 4], seed=2),
        lambda: tf.random_uniform([5, 4], seed=3),
        lambda: tf.random_uniform([5, 4], -3, 5, dtype=tf.int32, seed=4),
    ):
        vals = []
        for dev in ("/cpu:0", "/gpu:0"):
            g = tf.Graph()
            with g.as_default(), tf.device(dev):
                tf.set_random_seed(7)
                t = make()
                with tf.Session() as sess:
                    vals.append([sess.run(t), sess.run(t)])
        np.testing.assert_array_equal(vals[0], vals[1])  # same seed: same numbers on CPU and GPU
        assert not np.array_equal(vals[1][0], vals[1][1])


def _state_parity() -> None:
    for dev in ("/cpu:0", "/gpu:0"):
        g = tf.Graph()
        with g.as_default(), tf.device(dev):
            v = tf.Variable(np.array([1.0, 2.0]), name="v")
            inc, dec = v.assign_add([10.0, 20.0]), v.assign_sub([1.0, 1.0])
            put, nop = v.assign([5.0, 6.0]), tf.no_op()
            with tf.Session() as sess:
                sess.run(v.initializer)
                got = [sess.run(inc), sess.run(dec), sess.run(nop), sess.run(put), sess.run(v)]
                v.load([7.0, 8.0], sess)  # a host value: moved to the device by the next read
                got.append(sess.run(v + 1))
                got.append(sess.run(inc))
        assert got[2] is None
        for a, b in zip(
            got[:2] + got[3:], [[11, 22], [10, 21], [5, 6], [5, 6], [8, 9], [17, 28]], strict=True
        ):
            assert type(a) is np.ndarray
            np.testing.assert_array_equal(a, b)


def _scatter_parity() -> None:
    want = [[[30, 40], [3, 4], [10, 20]], [[30, 40], [6, 7], [10, 20]], [[29.5, 39.5], [6, 7], [10, 20]]]
    for dev in ("/cpu:0", "/gpu:0"):
        g = tf.Graph()
        with g.as_default(), tf.device(dev):
            v = tf.Variable(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), name="v")
            ups = [
                tf.scatter_update(v, [2, 0], [[10.0, 20.0], [30.0, 40.0]]),
                tf.scatter_add(v, [1, 1], [[1.0, 1.0], [2.0, 2.0]]),
                tf.scatter_sub(v, [0], [[0.5, 0.5]]),
            ]
            with tf.Session() as sess:
                sess.run(v.initializer)
                for up, w in zip(ups, want, strict=True):
                    got = sess.run(up)
                    assert type(got) is np.ndarray
                    np.testing.assert_array_equal(got, w)


def _control_flow_parity() -> None:
    """A loop with a cond inside (their bodies' args are ``_Arg`` ops) runs on the GPU like on the CPU."""
    vals = []
    for dev in ("/cpu:0", "/gpu:0"):
        with tf.Graph().as_default(), tf.device(dev):
            x = tf.constant(np.array([0.5, -1.0, 2.0]))

            def body(i: Any, h: Any, x: Any = x) -> Any:
                return i + 1, tf.cond(tf.equal(i % 2, 0), lambda: tf.tanh(h), lambda: h * x)

            _, h = tf.while_loop(lambda i, h: i < 5, body, [0, x])
            with tf.Session() as sess:
                vals.append(sess.run([h, tf.gradients(tf.reduce_sum(h), [x])[0]]))
    np.testing.assert_array_equal(vals[0][0], vals[1][0])
    np.testing.assert_array_equal(vals[0][1], vals[1][1])


def _print_v2_parity() -> None:
    """tf.print on the GPU: the same text as on the CPU, the one read to the host marked as sanctioned."""
    texts = []
    for dev in ("/cpu:0", "/gpu:0"):
        buf = io.StringIO()
        with tf.Graph().as_default(), tf.device(dev):
            x = tf.placeholder(tf.float32, [2, 3])
            op = tf.print("x:", x * 2.0, output_stream=buf)
            with tf.Session() as sess:
                sess.run(op, {x: np.arange(6).reshape(2, 3)})
        texts.append(buf.getvalue())
    assert texts[0] == texts[1] == "x: [[0 2 4]\n [6 8 10]]\n", texts
    assert "host-side kernel" in transfer_reasons()


def _candidate_sampler_parity() -> None:
    """The sampled classes and expected counts are drawn on the host: the same on the CPU and the GPU."""
    vals = []
    for dev in ("/cpu:0", "/gpu:0"):
        with tf.Graph().as_default(), tf.device(dev):
            out = tf.nn.log_uniform_candidate_sampler(tf.constant([[1], [4]]), 1, 6, True, 30, seed=5)
            with tf.Session() as sess:
                vals.append(sess.run(list(out)))
    for a, b in zip(*vals, strict=True):
        np.testing.assert_array_equal(a, b)


def _sampling_parity() -> None:
    """multinomial, random_shuffle and the orthogonal initializer draw on the host: the same on the CPU
    and the GPU; a failing Assert raises there too."""
    vals = []
    for dev in ("/cpu:0", "/gpu:0"):
        with tf.Graph().as_default(), tf.device(dev):
            x = tf.constant(np.arange(12.0).reshape(6, 2))
            out = [
                tf.multinomial(tf.log([[0.2, 0.8], [0.5, 0.5]]), 5, seed=2),
                tf.random_shuffle(x, seed=3),
                tf.orthogonal_initializer(seed=4)([3, 2]),
            ]
            check = tf.assert_positive(x - 1.0)
            with tf.Session() as sess:
                vals.append(sess.run(out))
                with pytest.raises(tf.errors.InvalidArgumentError, match="assert_positive failed"):
                    sess.run(check)
    for a, b in zip(*vals, strict=True):
        np.testing.assert_array_equal(a, b)


CUSTOM_PARITY = {
    **dict.fromkeys(["Multinomial", "RandomShuffle", "Assert", "RandomOrthogonal"], _sampling_parity),
    "PrintV2": _print_v2_parity,
    "CandidateSampler": _candidate_sampler_parity,
    **dict.fromkeys(
        ["RandomStandardNormal", "TruncatedNormal", "RandomUniform", "RandomUniformInt"], _random_parity
    ),
    **dict.fromkeys(["VariableV2", "Assign", "AssignAdd", "AssignSub", "NoOp"], _state_parity),
    "_Arg": _control_flow_parity,
    **dict.fromkeys(["ScatterUpdate", "ScatterAdd", "ScatterSub"], _scatter_parity),
}


@pytest.mark.parametrize("fn", sorted(set(CUSTOM_PARITY.values()), key=lambda f: f.__name__))
def test_random_and_state_ops_on_emulated_gpu(fake_gpu: Any, fn: Any):
    fn()
    reasons = transfer_reasons()
    assert not [r for r in reasons if r.startswith("VIOLATION")], reasons


# ---- transfers only through _Send/_Recv ----------------------------------------------------------------
def test_mixed_cpu_gpu_graph_transfers_only_at_send_recv(fake_gpu: Any):
    from trainer.partition import session_partitions

    rng = np.random.default_rng(0)
    xv, wv = rng.standard_normal((4, 3)), rng.standard_normal((3, 5))
    results = []
    for gpu in ("/cpu:1", "/gpu:0"):
        g = tf.Graph()
        with g.as_default():
            with tf.device("/cpu:0"):
                x = tf.placeholder(tf.float64, [None, 3])
                w = tf.constant(wv)
            with tf.device(gpu):
                h = tf.nn.relu(tf.matmul(x, w))  # x and w cross CPU -> GPU
                s = tf.reduce_sum(h, axis=1)
            with tf.device("/cpu:0"):
                y = s * 2.0 + tf.reduce_mean(h)  # s and h cross GPU -> CPU
            with tf.Session() as sess:
                fake_gpu.LOG.clear()
                first = sess.run([y, h], {x: xv})
                first_log = transfer_reasons()
                fake_gpu.LOG.clear()
                second = sess.run([y, h], {x: xv})
                second_log = transfer_reasons()
                parts = session_partitions(sess, [y, h], [x])
        results.append((first, second))
        assert len(parts.pairs) == 3  # w to the GPU; s, h back (the fed x goes to the GPU as a feed)
    for a, b in zip(results[0][0] + results[0][1], results[1][0] + results[1][1], strict=True):
        assert type(b) is np.ndarray
        np.testing.assert_array_equal(a, b)
    # GPU run: w in (Recv), s and h out (Send), x fed to and h fetched from the GPU; nothing else.
    assert first_log == Counter({"recv": 1, "send": 2, "feed/fetch": 2}), first_log
    assert second_log == first_log


def test_gpu_variables_store_device_arrays_and_saver_round_trips(fake_gpu: Any, tmp_path: Any):
    g = tf.Graph()
    with g.as_default(), tf.device("/gpu:0"):
        v = tf.Variable(np.arange(6.0).reshape(2, 3), name="v")
        step = v.assign_add(tf.ones([2, 3], tf.float64))
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(v.initializer)
            sess.run(step)
            assert isinstance(sess._variables["v"], fake_cupy.ndarray)
            val = sess.run(v)
            assert type(val) is np.ndarray
            path = saver.save(sess, str(tmp_path / "ck"))
        with tf.Session() as sess2:
            saver.restore(sess2, path)
            np.testing.assert_array_equal(sess2.run(v), val)
            np.testing.assert_array_equal(sess2.run(step), val + 1)
            assert isinstance(sess2._variables["v"], fake_cupy.ndarray)


# ---- errors and soft placement ------------------------------------------------------------------------
def _gpu_graph() -> tuple[tf.Graph, Any]:
    g = tf.Graph()
    with g.as_default(), tf.device("/gpu:0"):
        y = tf.add(tf.constant([1.0, 2.0]), 1.0, name="y")
    return g, y


def test_gpu_without_cupy_is_a_clear_error_or_soft_placed(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # "import cupy" raises ImportError
    backend.clear_cache()
    g, y = _gpu_graph()
    want = r"operation '.*/gpu:0.*CuPy is not installed"
    with tf.Session(graph=g) as sess, pytest.raises(UnimplementedError, match=want):
        sess.run(y)
    cfg = tf.ConfigProto(allow_soft_placement=True)
    with tf.Session(graph=g, config=cfg) as sess:
        np.testing.assert_array_equal(sess.run(y), [2.0, 3.0])
    with pytest.raises(UnimplementedError, match="CuPy is not installed"):
        backend.get_backend("/gpu:0")
    backend.clear_cache()


def test_gpu_with_cupy_but_no_cuda_driver(fake_gpu: Any):
    fake_gpu.reset(-1)  # getDeviceCount raises CUDARuntimeError, as CuPy does without a usable driver
    with pytest.raises(
        UnimplementedError, match="CuPy is installed but CUDA is not usable.*InsufficientDriver"
    ):
        backend.get_backend("/gpu:0")
    g, y = _gpu_graph()
    with tf.Session(graph=g, config=tf.ConfigProto(allow_soft_placement=True)) as sess:
        np.testing.assert_array_equal(sess.run(y), [2.0, 3.0])
    fake_gpu.reset(1)
    with pytest.raises(UnimplementedError, match="no GPU:1"):
        backend.get_backend("/gpu:1")


def test_kernels_run_on_their_own_device(fake_gpu: Any):
    fake_gpu.reset(2)
    g = tf.Graph()
    with g.as_default():
        with tf.device("/gpu:1"):
            a = tf.constant([1.0, 2.0]) * 3.0
        with tf.device("/gpu:0"):
            b = a + 1.0
        with tf.Session(config=tf.ConfigProto(device_count={"GPU": 2})) as sess:
            np.testing.assert_array_equal(sess.run(b), [4.0, 7.0])
            devs = {op.type: sess._contexts[op].backend.index for op in sess._contexts if op.graph is g}
    assert devs["Mul"] == 1 and devs["Add"] == 0


# ---- the fused optimizer kernels ------------------------------------------------------------------------
OPTIMIZERS = {
    "ApplyGradientDescent": lambda: tf.train.GradientDescentOptimizer(0.1),
    "ApplyMomentum": lambda: tf.train.MomentumOptimizer(0.05, 0.9),
    # epsilon 1e-3: Adam's first steps are ~lr*sign(g), so with the default 1e-8 a gradient that is 1e-12 on
    # one device and -1e-12 on the other moves a weight by 2*lr; here the step is continuous in g.
    "ApplyAdam": lambda: tf.train.AdamOptimizer(0.01, epsilon=1e-3),
    "ApplyRMSProp": lambda: tf.train.RMSPropOptimizer(0.01, momentum=0.5),
    "ApplyCenteredRMSProp": lambda: tf.train.RMSPropOptimizer(0.01, momentum=0.5, centered=True),
}


@pytest.mark.parametrize("name", sorted(training.FUSED_UPDATES))
def test_fused_kernel_declaration_matches_its_twin(name: str):
    f = training.FUSED_UPDATES[name]
    ins, outs = fake_cupy.parse_params(f.in_params), fake_cupy.parse_params(f.out_params)
    params = list(inspect.signature(f.twin).parameters)
    assert params == [n for _, n, _ in ins + outs], f"{name}: twin {params} vs kernel {ins + outs}"
    for _, n, _ in outs:  # every output is assigned in the CUDA C
        assert any(f"{n} {op}" in f.operation for op in ("=", "+=", "-=")), f"{name}: {n} never written"


@pytest.mark.parametrize("name", sorted(training.FUSED_UPDATES))
@pytest.mark.parametrize("ctype", ["float", "double"])
def test_fused_kernel_cuda_c_compiles_as_host_cpp(name: str, ctype: str, tmp_path: Any):
    """The kernel body, with CuPy's parameter binding spelled out (inputs const values, outputs references),
    must pass a host C++ compiler with warnings as errors: catches typos, undeclared names, unused inputs."""
    gxx = need_tool("g++")
    f = training.FUSED_UPDATES[name]
    ins, outs = fake_cupy.parse_params(f.in_params), fake_cupy.parse_params(f.out_params)
    ctypes = {"float64": "double", "float32": "float", "int32": "int", "int64": "long long", "bool": "bool"}
    letters = sorted({t for t, _, _ in ins + outs if t not in ctypes})
    args = [f"const {ctypes.get(t, t)} {n}" for t, n, _ in ins] + [
        f"{ctypes.get(t, t)} &{n}" for t, n, _ in outs
    ]
    src = "#include <cmath>\nusing std::sqrt;\n"
    src += "".join(f"typedef {ctype} {t};\n" for t in letters)
    src += f"void {name}({', '.join(args)}) {{\n{f.operation}\n}}\n"
    path = tmp_path / f"{name}.cpp"
    path.write_text(src)
    r = subprocess.run(
        [gxx, "-std=c++14", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", str(path)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, src + r.stderr


def test_fused_kernels_construct_with_real_cupy_when_installed():
    """CuPy parses ElementwiseKernel parameter lists at construction, without a GPU."""
    try:
        import cupy  # noqa: F401
    except ImportError:
        need(False, "the real cupy package is not installed (.ci/run installs cupy-cuda12x)")
    if getattr(cupy, "EMULATION", False):
        pytest.skip("cupy is the emulation here")
    for f in training.FUSED_UPDATES.values():
        k = cupy.ElementwiseKernel(f.in_params, f.out_params, f.operation, f.name)
        assert (k.nin, k.nout) == (len(f.in_params.split(",")), len(f.out_params.split(",")))


def _train(device: str, make_opt: Any, steps: int = 4) -> tuple[list[float], list[np.ndarray]]:
    rng = np.random.default_rng(5)
    xv = rng.standard_normal((6, 4)).astype(np.float32)
    yv = rng.integers(0, 3, 6)
    g = tf.Graph()
    with g.as_default(), tf.device(device):
        tf.set_random_seed(3)
        x = tf.placeholder(tf.float32, [None, 4])
        y = tf.placeholder(tf.int64, [None])
        h = tf.layers.Dense(5, activation=tf.nn.tanh)(x)
        logits = tf.layers.Dense(3)(h)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train = make_opt().minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            losses = [float(sess.run([loss, train], {x: xv, y: yv})[0]) for _ in range(steps)]
            return losses, sess.run(tf.trainable_variables())


@pytest.mark.parametrize("op_type", sorted(OPTIMIZERS))
def test_fused_updates_match_the_xp_path_and_the_cpu(fake_gpu: Any, monkeypatch: pytest.MonkeyPatch, op_type):
    cpu = _train("/cpu:0", OPTIMIZERS[op_type])
    fake_gpu.LOG.clear()
    fused = _train("/gpu:0", OPTIMIZERS[op_type])
    assert not [r for r in transfer_reasons() if r.startswith("VIOLATION")], transfer_reasons()
    assert any(
        k[1] == training.FUSED_UPDATES[n].name for k in training._BUILT for n in training.FUSED_UPDATES
    )
    monkeypatch.setattr(training, "USE_FUSED_GPU_KERNELS", False)
    generic = _train("/gpu:0", OPTIMIZERS[op_type])
    np.testing.assert_array_equal(generic[0], cpu[0])  # the xp path on the emulation is numpy: identical
    for a, b in zip(generic[1], cpu[1], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(fused[0], cpu[0], rtol=1e-6)  # float64 inside the fused kernel: ~1 ulp
    for a, b in zip(fused[1], cpu[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert cpu[0][-1] < cpu[0][0]


# ---- a short CNN training on the (emulated) GPU -----------------------------------------------------------
def cnn_losses(device: str, steps: int = 3) -> tuple[list[float], list[np.ndarray]]:
    """A small CNN (conv, pool, dense; Adam) trained ``steps`` steps on ``device``: losses and weights."""
    rng = np.random.default_rng(11)
    xv = rng.uniform(0, 1, (8, 10, 10, 1)).astype(np.float32)
    yv = rng.integers(0, 4, 8)
    g = tf.Graph()
    with g.as_default(), tf.device(device):
        tf.set_random_seed(1)
        x = tf.placeholder(tf.float32, [None, 10, 10, 1])
        y = tf.placeholder(tf.int64, [None])
        net = tf.layers.Sequential(
            [
                tf.layers.Conv2D(4, 3, padding="same", activation=tf.nn.relu),
                tf.layers.MaxPool2D(2, 2),
                tf.layers.Conv2D(6, 3, activation=tf.nn.relu),
                tf.layers.Flatten(),
                tf.layers.Dense(4),
            ]
        )
        logits = net(x)
        loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
        train = tf.train.AdamOptimizer(0.01, epsilon=1e-3).minimize(loss)  # epsilon: see OPTIMIZERS
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            losses = [float(sess.run([loss, train], {x: xv, y: yv})[0]) for _ in range(steps)]
            return losses, sess.run(tf.trainable_variables())


def test_cnn_training_on_emulated_gpu_matches_cpu(fake_gpu: Any):
    cpu = cnn_losses("/cpu:0")
    fake_gpu.LOG.clear()
    gpu = cnn_losses("/gpu:0")
    reasons = transfer_reasons()
    assert not [r for r in reasons if r.startswith("VIOLATION")], reasons
    np.testing.assert_allclose(gpu[0], cpu[0], rtol=1e-5)
    for a, b in zip(gpu[1], cpu[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert cpu[0][-1] < cpu[0][0]


# ---- the emulation is strict where CuPy is ----------------------------------------------------------------
def test_fake_cupy_refuses_what_cupy_refuses(fake_gpu: Any):
    d = fake_gpu.asarray(np.arange(4.0))
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(d)
    with pytest.raises(TypeError):
        np.exp(d)
    with pytest.raises(TypeError):
        d + np.ones(4)
    with pytest.raises(TypeError):
        np.ones(4) + d
    with pytest.raises(TypeError):
        float(d)
    with pytest.raises(ValueError):
        bool(d > 1)
    with pytest.raises(AttributeError):
        d.flags.writeable  # noqa: B018
    with pytest.raises(TypeError):
        d.reshape(fake_gpu.asarray(np.array([2, 2])))
    s = d.sum()
    assert isinstance(s, fake_gpu.ndarray) and s.shape == ()
    assert float(s) == 6.0 and fake_gpu.LOG[-1].kind == "d2h"


# ---- the GPU example ---------------------------------------------------------------------------------------
def _example() -> Any:
    import importlib.util
    import os

    path = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "mnist", "gpu.py")
    spec = importlib.util.spec_from_file_location("mnist_gpu_example", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


STEPS = ["--epochs", "1", "--max-steps", "3", "--batch-size", "16", "--no-progress"]


def test_gpu_example_trains_on_emulated_gpu(fake_gpu: Any, capsys: Any):
    res = _example().main(STEPS)
    assert res["steps"] == 3 and all(np.isfinite(res["losses"]))
    assert "training on /gpu:0" in capsys.readouterr().out
    for op_type in ("Conv2D", "Conv2DBackpropFilter", "MaxPoolGrad", "ApplyAdam"):
        assert fake_gpu.RAN[op_type] >= 3, fake_gpu.RAN
    assert not [r for r in transfer_reasons() if r.startswith("VIOLATION")], transfer_reasons()


def test_gpu_example_without_gpu_exits_or_soft_places(monkeypatch: pytest.MonkeyPatch, capsys: Any):
    monkeypatch.setitem(sys.modules, "cupy", None)
    backend.clear_cache()
    with pytest.raises(SystemExit) as e:
        _example().main(STEPS)
    assert e.value.code == 2 and "no GPU: device '/gpu:0'" in capsys.readouterr().err
    res = _example().main(STEPS + ["--allow-soft-placement"])
    assert res["steps"] == 3 and "soft placement: training on /cpu:0" in capsys.readouterr().err


def test_mpi_allreduce_on_gpu_goes_through_host_buffers(fake_gpu: Any, monkeypatch: pytest.MonkeyPatch):
    import trainer.distributed as dist
    from trainer.ops.comm_ops import mpi_allreduce

    def two_ranks(arrays: list[Any], average: bool, what: str) -> list[np.ndarray]:
        assert all(type(a) is np.ndarray for a in arrays), [type(a) for a in arrays]
        return [a * 2.0 for a in arrays]  # as if a second rank held the same values (sum)

    monkeypatch.setattr(dist, "allreduce_arrays", two_ranks)
    g = tf.Graph()
    with g.as_default(), tf.device("/gpu:0"):
        a, b = tf.constant([1.0, 2.0]), tf.constant([[3.0]])
        s = mpi_allreduce([a * 1.0, b * 1.0], average=False)
        with tf.Session() as sess:
            got = sess.run(s)
    np.testing.assert_array_equal(got[0], [2.0, 4.0])
    np.testing.assert_array_equal(got[1], [[6.0]])
    assert fake_gpu.RAN["MPIAllreduce"] == 1
    reasons = transfer_reasons()
    assert reasons["allreduce"] == 4 and not [r for r in reasons if r.startswith("VIOLATION")], reasons


def test_steady_state_step_reads_no_shapes_and_uploads_no_constants(fake_gpu: Any):
    g = tf.Graph()
    with g.as_default(), tf.device("/gpu:0"):
        x = tf.placeholder(tf.float32, [None, 6])
        h = tf.reshape(x, [-1, 2, 3])  # a constant shape
        y = tf.reshape(h * 2.0, tf.shape(x))  # a shape made on the device by a Shape op
        loss = tf.reduce_mean(tf.square(y))
        grad = tf.gradients(loss, x)[0]  # dynamic batch: Shape/Size ops, BroadcastTo, Reshape back
        with tf.Session() as sess:
            xv = np.ones((4, 6), np.float32)
            first = sess.run([y, grad], {x: xv})
            fake_gpu.LOG.clear()
            again = sess.run([y, grad], {x: xv})
    np.testing.assert_array_equal(first[1], again[1])
    reasons = transfer_reasons()
    assert reasons["constant"] == 0 and reasons["shape metadata"] == 0, reasons  # remembered host values
    assert reasons["feed/fetch"] == 3 and not [r for r in reasons if r.startswith("VIOLATION")], reasons


def test_remembered_shapes_survive_a_full_table(fake_gpu: Any):
    """The table of remembered small device arrays (xp_compat._HOST_INTS) drops its least recently used
    quarter when full: a steady-state step whose uploads fill it keeps reading its own shapes from the table
    (emptying it all made the step read a shape back from the device)."""
    from trainer import xp_compat

    g = tf.Graph()
    with g.as_default(), tf.device("/gpu:0"):
        x = tf.placeholder(tf.float32, [None, 6])
        y = tf.reshape(tf.reshape(x, [-1, 2, 3]) * 2.0, tf.shape(x))
        with tf.Session() as sess:
            xv = np.ones((4, 6), np.float32)
            sess.run(y, {x: xv})
            ctx = type("Ctx", (), {"xp": fake_gpu, "backend": backend.get_backend("/gpu:0")})()
            for step in range(3):
                # others' uploads bring the table to one entry short of full, then past it
                while len(xp_compat._HOST_INTS) < xp_compat._HOST_INTS_MAX - 1:
                    xp_compat.upload(ctx, np.array([step], np.int32))
                fake_gpu.LOG.clear()
                sess.run(y, {x: xv})
                assert transfer_reasons()["shape metadata"] == 0, (step, transfer_reasons())


def test_strided_windows_fallback_equals_sliding_window_view():
    from trainer.xp_compat import strided_windows

    x = np.arange(2 * 7 * 6 * 3, dtype=np.float32).reshape(2, 7, 6, 3)
    for window in ((3, 3), (1, 2), (7, 6)):
        want = np.lib.stride_tricks.sliding_window_view(x, window, axis=(1, 2))
        got = strided_windows(np.lib.stride_tricks, x, window, (1, 2))
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_broadcast_variables_reads_gpu_variables_through_the_host(
    fake_gpu: Any, monkeypatch: pytest.MonkeyPatch
):
    import trainer.distributed as dist

    class OneRank:  # a 1-rank communicator: Ibcast leaves the buffer as it is
        def Ibcast(self, buf: np.ndarray, root: int) -> Any:  # noqa: N802 - mpi4py's name
            assert type(buf) is np.ndarray
            return type("Req", (), {"Test": lambda self: True})()

    monkeypatch.setattr(dist, "_state", {"coll": OneRank()})
    monkeypatch.setattr(dist, "check_same_graph", lambda *a, **k: None)
    g = tf.Graph()
    with g.as_default(), tf.device("/gpu:0"):
        v = tf.Variable(np.arange(4.0), name="v")
        step = v.assign_add(tf.ones([4], tf.float64))
        with tf.Session() as sess:
            sess.run(v.initializer)
            dist.broadcast_variables(sess)
            np.testing.assert_array_equal(sess.run(step), [1.0, 2.0, 3.0, 4.0])
            assert isinstance(sess._variables["v"], fake_gpu.ndarray)


def test_emulated_namespace_exists_in_real_cupy_when_installed():
    """Everything the emulation offers (so everything the kernels may use) exists in the real CuPy."""
    import importlib

    try:
        import cupy
    except ImportError:
        need(False, "the real cupy package is not installed (.ci/run installs cupy-cuda12x)")
    if getattr(cupy, "EMULATION", False):
        pytest.skip("cupy is the emulation here")
    missing = [n for n in fake_cupy._FUNCS + fake_cupy._UFUNCS if not hasattr(cupy, n)]
    missing += [
        f"ndarray.{n}"
        for n in dir(fake_cupy.ndarray)
        if not n.startswith("_") and not hasattr(cupy.ndarray, n)
    ]
    missing += [f"ufunc.{m}" for m in ("at",) if not hasattr(cupy.add, m)]
    missing += (
        []
        if hasattr(cupy.lib.stride_tricks, "sliding_window_view")
        else ["lib.stride_tricks.sliding_window_view"]
    )
    missing += [] if hasattr(importlib.import_module("cupyx"), "scatter_add") else ["cupyx.scatter_add"]
    assert not missing, f"the emulation offers what CuPy {cupy.__version__} lacks: {missing}"


# ---- the fused kernels' CUDA C through NVRTC (no GPU needed, only the NVRTC library) ---------------------
def _nvrtc() -> Any:
    """libnvrtc through ctypes: TENSORLET_NVRTC_LIB, the nvidia-cuda-nvrtc wheel's copy, or the system's."""
    import ctypes
    import glob
    import os
    import site

    names = [os.environ.get("TENSORLET_NVRTC_LIB", "")]
    for d in site.getsitepackages() + [site.getusersitepackages()]:
        names += sorted(glob.glob(os.path.join(d, "nvidia", "*", "lib", "libnvrtc.so.*")))
        names += sorted(glob.glob(os.path.join(d, "nvidia", "cuda_nvrtc", "lib", "libnvrtc.so.*")))
    names += ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"]
    for n in names:
        if n and "builtins" not in n:
            try:
                return ctypes.CDLL(n)
            except OSError:
                continue
    need(False, "NVRTC is not installed (set TENSORLET_NVRTC_LIB or pip install nvidia-cuda-nvrtc-cu12)")
    raise AssertionError("unreachable")


def cuda_source(f: training.FusedUpdate, ctype: str) -> str:
    """A grid-stride kernel binding the parameters as CuPy does (inputs const values, outputs references;
    every placeholder type is ``ctype``; 0-d inputs read element 0) around the fused update's operation."""
    ins, outs = fake_cupy.parse_params(f.in_params), fake_cupy.parse_params(f.out_params)
    scalar = {"float64": "double", "float32": "float"}
    letters = sorted({t for t, _, _ in ins + outs if t not in scalar})
    args = [f"const T_{n}* _raw_{n}" if t not in scalar else f"{scalar[t]} _raw_{n}" for t, n, _ in ins]
    args += [f"T_{n}* _raw_{n}" for _, n, _ in outs]
    typedefs = "".join(f"typedef {ctype} {t};\n" for t in letters)
    typedefs += "".join(f"typedef {t} T_{n};\n" for t, n, _ in ins + outs if t not in scalar)
    body = ""
    for t, n, _ in ins:  # scalars by value; the gradient per element; 0-d hyper-parameters from element 0
        value = f"_raw_{n}" if t in scalar else f"_raw_{n}[i_]" if n == "g" else f"_raw_{n}[0]"
        body += f"    const {scalar.get(t, t)} {n} = {value};\n"
    body += "".join(f"    {t} &{n} = _raw_{n}[i_];\n" for t, n, _ in outs)
    return (
        f'{typedefs}extern "C" __global__ void {f.name}({", ".join(args)}, long long n_) {{\n'
        f"  for (long long i_ = blockIdx.x * (long long)blockDim.x + threadIdx.x; i_ < n_;"
        f" i_ += (long long)blockDim.x * gridDim.x) {{\n{body}    {f.operation}\n  }}\n}}\n"
    )


@pytest.mark.parametrize("name", sorted(training.FUSED_UPDATES))
@pytest.mark.parametrize("ctype", ["float", "double"])
def test_fused_kernel_compiles_with_nvrtc(name: str, ctype: str):
    import ctypes

    lib = _nvrtc()
    src = cuda_source(training.FUSED_UPDATES[name], ctype)
    prog = ctypes.c_void_p()
    assert lib.nvrtcCreateProgram(ctypes.byref(prog), src.encode(), f"{name}.cu".encode(), 0, None, None) == 0
    opts = [b"--gpu-architecture=compute_90", b"--std=c++14"]
    rc = lib.nvrtcCompileProgram(prog, len(opts), (ctypes.c_char_p * len(opts))(*opts))
    size = ctypes.c_size_t()
    lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
    log = ctypes.create_string_buffer(size.value)
    lib.nvrtcGetProgramLog(prog, log)
    lib.nvrtcDestroyProgram(ctypes.byref(prog))
    assert rc == 0, src + log.value.decode(errors="replace")
    assert b"warning" not in log.value, log.value.decode(errors="replace")


def test_cuda_failures_in_a_kernel_name_the_op_and_device(fake_gpu: Any, monkeypatch: pytest.MonkeyPatch):
    from trainer.errors import InternalError

    def oom(*args: Any, **kwargs: Any) -> Any:
        raise fake_gpu.OutOfMemoryError("Out of memory allocating 1,073,741,824 bytes")

    g = tf.Graph()
    with g.as_default(), tf.device("/gpu:0"):
        x = tf.placeholder(tf.float32, [2, 2])
        y = tf.exp(x, name="big_exp")
        with tf.Session() as sess:
            monkeypatch.setattr(fake_gpu, "exp", oom)
            with pytest.raises(
                InternalError, match=r"big_exp \(Exp\) on /gpu:0: OutOfMemoryError: Out of mem"
            ):
                sess.run(y, {x: np.ones((2, 2), np.float32)})


def test_summaries_of_gpu_tensors_run_on_the_host(fake_gpu: Any):
    need(_summary_protos.available(), "the tensorboard package is not installed")
    from tensorboard.compat.proto import summary_pb2

    g = tf.Graph()
    with g.as_default(), tf.device("/gpu:0"):
        w = tf.Variable([1.0, 2.0, 3.0])
        loss = tf.reduce_sum(tf.square(w))
        tf.summary.scalar("loss", loss)
        tf.summary.histogram("w", w)
        merged = tf.summary.merge_all()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            blob = sess.run(merged)
    values = summary_pb2.Summary.FromString(blob).value
    assert [(v.tag, v.simple_value) for v in values][:1] == [("loss", 14.0)] and values[1].histo.num == 3
    assert fake_gpu.RAN["Sum"] >= 1  # the loss ran on the (emulated) GPU, the summaries on the host
    reasons = transfer_reasons()
    assert not [r for r in reasons if r.startswith("VIOLATION")], reasons
