"""Per-op parity: every float32 op of the C runtime against the numpy formulas in runtime_refs.py.

The cases live in runtime_op_cases.py (importable by cross-architecture tests); the runner here is pyruntime.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import runtime_refs as ref
from runtime_op_cases import all_cases, check_outputs, ensure_pyruntime, max_error, run_model

from trainer.tlm import ModelBuilder, read_model
from trainer.tlm.builder import OPCODES
from trainer.tlm.reader import plan_model

CASES = all_cases()


@pytest.fixture(scope="module")
def runtime() -> None:
    ensure_pyruntime()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_parity(runtime, case) -> None:
    check_outputs(case, run_model(case.model, case.inputs))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_plan_of_every_model(runtime, case) -> None:
    """The C runtime plans what the exporter wrote; no two tensors alive at one step share bytes."""
    import pyruntime

    info = read_model(case.model)
    plan = plan_model(info)
    interp = pyruntime.Interpreter(model_content=case.model)
    interp.allocate_tensors()
    assert interp.arena_bytes == plan.arena_bytes == info.metadata.arena_bytes
    assert not plan.overlaps()
    assert plan.lower_bound() <= plan.arena_bytes


def test_mlp_chain_arena_equals_lower_bound(runtime) -> None:
    """On a chain (784-256-256-10 MLP) the greedy plan reaches the bound of what is alive at once."""
    import pyruntime

    rng = np.random.default_rng(3)
    b = ModelBuilder()
    t = b.add_input("x", np.float32, [1, 784])
    for i, (n_in, n_out) in enumerate([(784, 256), (256, 256), (256, 10)]):
        w = b.add_constant(f"w{i}", rng.standard_normal((n_out, n_in)).astype(np.float32))
        bias = b.add_constant(f"b{i}", np.zeros(n_out, np.float32))
        y = b.add_tensor(f"h{i}", np.float32, [1, n_out])
        b.add_op("FullyConnected", [t, w, bias], [y], activation="RELU" if i < 2 else "NONE")
        t = y
    b.mark_output(t)
    model = b.finish()
    plan = plan_model(read_model(model))
    interp = pyruntime.Interpreter(model_content=model)
    interp.allocate_tensors()
    # x (3136 B) lives throughout; h0 and h1 (1024 B each) meet at op 1: 3136 + 2048 = 5184.
    assert interp.arena_bytes == plan.arena_bytes == plan.lower_bound() == 3136 + 1024 + 1024


def test_every_float_op_has_cases() -> None:
    covered = {op.opcode for c in CASES for op in read_model(c.model).ops}
    float_ops = set(OPCODES) - {"Quantize", "Dequantize"}
    assert float_ops <= covered, f"ops without parity cases: {sorted(float_ops - covered)}"
    fused = {
        (op.opcode, op.options.get("activation"))
        for c in CASES
        for op in read_model(c.model).ops
        if "activation" in op.options
    }
    for opcode, act in itertools.product(
        ["FullyConnected", "Conv2D", "DepthwiseConv2D", "Add", "Mul"], ref.ACTIVATIONS
    ):
        assert (opcode, act) in fused, f"no case for {opcode} with fused {act}"


def test_checker_detects_wrong_outputs() -> None:
    case = next(c for c in CASES if c.name == "conv_3x3_same")
    good = [e.astype(np.float32) for e in case.expected]
    check_outputs(case, good)
    bad = [g.copy() for g in good]
    bad[0].flat[5] += 1e-3 * float(np.max(np.abs(good[0])))
    with pytest.raises(AssertionError, match="relative max error"):
        check_outputs(case, bad)
    assert max_error(bad, case.expected) == pytest.approx(1e-3, rel=1e-2)


# ---- the reference formulas themselves, against direct loops over the definition ----


def _naive_conv(x, w, bias, stride, dilation, pad_top, pad_left, out_hw, depthwise_m=0):
    n, h, wd, c = x.shape
    oh, ow = out_hw
    oc = w.shape[3] if depthwise_m else w.shape[0]
    kh, kw = w.shape[1], w.shape[2]
    y = np.zeros((n, oh, ow, oc))
    for b, oy, ox, o in itertools.product(range(n), range(oh), range(ow), range(oc)):
        acc = 0.0 if bias is None else float(bias[o])
        for ky, kx in itertools.product(range(kh), range(kw)):
            iy = oy * stride[0] - pad_top + ky * dilation[0]
            ix = ox * stride[1] - pad_left + kx * dilation[1]
            if 0 <= iy < h and 0 <= ix < wd:
                if depthwise_m:
                    acc += float(x[b, iy, ix, o // depthwise_m]) * float(w[0, ky, kx, o])
                else:
                    acc += float(np.dot(x[b, iy, ix, :].astype(np.float64), w[o, ky, kx, :]))
        y[b, oy, ox, o] = acc
    return y


def test_ref_conv_matches_direct_loops() -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 7, 6, 2))
    w = rng.standard_normal((3, 3, 2, 2))
    bias = rng.standard_normal(3)
    # SAME, stride 2, dilation (1, 2) on 7x6: out 4x3; eff kernel 3x3 -> pad totals 2 and 1: top 1, left 0.
    assert ref.pad_amounts(7, 3, 2, 1, "SAME") == (4, 1, 1)
    assert ref.pad_amounts(6, 2, 2, 2, "SAME") == (3, 0, 1)
    got = ref.conv2d(x, w, bias, (2, 2), (1, 2), "SAME")
    np.testing.assert_allclose(got, _naive_conv(x, w, bias, (2, 2), (1, 2), 1, 0, (4, 3)), rtol=1e-12)
    assert ref.pad_amounts(7, 3, 2, 1, "VALID") == (3, 0, 0)
    got = ref.conv2d(x, w, None, (2, 1), (1, 1), "VALID")
    np.testing.assert_allclose(got, _naive_conv(x, w, None, (2, 1), (1, 1), 0, 0, (3, 5)), rtol=1e-12)


def test_ref_depthwise_matches_direct_loops() -> None:
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 5, 5, 3))
    w = rng.standard_normal((1, 3, 3, 6))
    bias = rng.standard_normal(6)
    got = ref.depthwise_conv2d(x, w, bias, (2, 2), (1, 1), "SAME", depth_multiplier=2)
    np.testing.assert_allclose(got, _naive_conv(x, w, bias, (2, 2), (1, 1), 1, 1, (3, 3), 2), rtol=1e-12)


def test_ref_pools_match_direct_loops() -> None:
    rng = np.random.default_rng(9)
    x = rng.standard_normal((1, 5, 5, 2))
    # 3x3 stride 2 SAME on 5: out 3, pad 1 before and 1 after.
    mx = ref.max_pool2d(x, (3, 3), (2, 2), "SAME")
    av = ref.average_pool2d(x, (3, 3), (2, 2), "SAME")
    for oy, ox in itertools.product(range(3), range(3)):
        win = x[0, max(2 * oy - 1, 0) : 2 * oy + 2, max(2 * ox - 1, 0) : 2 * ox + 2, :]
        np.testing.assert_allclose(mx[0, oy, ox], win.max(axis=(0, 1)))
        np.testing.assert_allclose(av[0, oy, ox], win.mean(axis=(0, 1)))


def test_ref_softmax_and_activations() -> None:
    x = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 1000.0]])
    s = ref.softmax(x, beta=2.0)
    e = np.exp(2.0 * np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(s[0], e / e.sum())
    np.testing.assert_allclose(s[1], [1 / 3] * 3)
    np.testing.assert_array_equal(ref.relu6(np.array([-1.0, 3.0, 9.0])), [0.0, 3.0, 6.0])
    np.testing.assert_array_equal(ref.pad(np.ones((1, 2)), [1, 0, 0, 2]), [[0, 0, 0, 0], [1, 1, 0, 0]])


def test_save_case_round_trip(tmp_path) -> None:
    from runtime_op_cases import save_case

    case = next(c for c in CASES if c.name == "concat_axis1_three")
    model_path, input_paths = save_case(case, tmp_path)
    assert model_path.read_bytes() == case.model
    assert len(input_paths) == 3
    for path, value in zip(input_paths, case.inputs, strict=True):
        np.testing.assert_array_equal(np.load(path), value)
