"""SquaredDifference beyond the registry-driven cases (tests/op_cases/squared_difference.py): IEEE values on
the C runtime, the rejections of its prepare (TFLite's multipliers must be below 1), the work it is charged,
and a TF1 graph using ``tf.squared_difference`` exported and run on the C runtime against the session."""

from __future__ import annotations

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

import trainer as tf
from trainer.errors import InvalidArgumentError
from trainer.lite import Converter
from trainer.runtime_ops.squared_difference import prepare_squared_difference
from trainer.tlm import ModelBuilder, read_model
from trainer.tlm.builder import Quantization


@pytest.fixture(scope="module")
def pyrt():
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def _model(a_shape, b_shape, y_shape, dtype=np.float32, quant=(None, None, None)) -> bytes:
    b = ModelBuilder()
    a = b.add_input("a", dtype, list(a_shape), quantization=quant[0])
    c = b.add_input("b", dtype, list(b_shape), quantization=quant[1])
    y = b.add_tensor("y", dtype, list(y_shape), quantization=quant[2])
    b.add_op("SquaredDifference", [a, c], [y])
    b.mark_output(y)
    return b.finish()


def test_ieee_values(pyrt) -> None:
    a = np.array([np.nan, 1.0, np.inf, np.inf, 3e19, -0.0], np.float32)
    b = np.array([1.0, np.nan, np.inf, -np.inf, -3e19, 0.0], np.float32)
    interp = pyrt.Interpreter(model_content=_model([6], [6], [6]))
    got = interp.run(a, b)[0]
    with np.errstate(all="ignore"):
        want = (a - b) * (a - b)  # NaN, NaN, inf - inf = NaN, inf, overflow to inf, +0
    assert got.tobytes() == want.tobytes()


def test_int8_output_scale_below_tflites_floor_is_rejected(pyrt) -> None:
    qa, qb = Quantization(0.5, 0), Quantization(0.25, 0)
    # (2 max)^2 / 2^14 = 6.1e-5: an output scale of 5e-5 needs a multiplier above 1
    model = _model([4], [4], [4], np.int8, (qa, qb, Quantization(5e-5, 0)))
    with pytest.raises(pyrt.TensorletRuntimeError, match="below") as e:
        pyrt.Interpreter(model_content=model).allocate_tensors()
    assert e.value.status_name == "TL_ERROR_BAD_QUANTIZATION"
    assert "(SquaredDifference)" in str(e.value)
    with pytest.raises(InvalidArgumentError, match="output multiplier"):
        prepare_squared_difference(0.5, 0, 0.25, 0, 5e-5, 0)


def test_prepare_rejects_shapes_that_do_not_broadcast(pyrt) -> None:
    with pytest.raises(pyrt.TensorletRuntimeError, match="do not broadcast") as e:
        pyrt.Interpreter(model_content=_model([2, 3], [4], [2, 3])).allocate_tensors()
    assert e.value.status_name == "TL_ERROR_BAD_SHAPE"


def test_work_is_charged_per_output_element(pyrt) -> None:
    # TL_WORK_PER_OP + ceil(elements x weight / 16): weights 224 (float32), 1024 (int8)
    f = pyrt.Interpreter(model_content=_model([8, 100], [100], [8, 100]))
    f.allocate_tensors()
    q = Quantization(0.1, 0)
    i = pyrt.Interpreter(model_content=_model([8, 100], [100], [8, 100], np.int8, (q, q, q)))
    i.allocate_tensors()
    assert f.work - i.work == 800 * 224 // 16 - 800 * 1024 // 16


def test_tf_squared_difference_exports_and_runs_like_the_session(pyrt) -> None:
    g = tf.Graph()
    rng = np.random.default_rng(6)
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 4, 3], name="x")
        mu = tf.constant(rng.standard_normal(3).astype(np.float32))
        out = tf.squared_difference(x, mu)  # a broadcast constant operand, as in tf.nn.moments
    xs = rng.standard_normal((2, 4, 3)).astype(np.float32)
    with tf.Session(graph=g) as sess:
        want = sess.run(out, {x: xs})
    conv = Converter.from_frozen_graph(g, [x], [out])
    conv.batch_size = 2
    data = conv.convert()
    assert [op.opcode for op in read_model(data).ops] == ["SquaredDifference"]
    got = pyrt.Interpreter(model_content=data).run(xs)[0]
    assert got.tobytes() == want.astype(np.float32).tobytes()


_BROADCASTS = [
    ((1, 32, 64), (1, 32, 1)),  # a layer norm's x - mean: rows against a per-row scalar
    ((2, 3, 5, 7), (2, 3, 5, 7)),  # same shapes
    ((64,), (1,)),  # a scalar
    ((1, 1, 1, 6), (2, 4, 4, 6)),  # a last-axis vector on the left
    ((2, 1, 5, 1), (2, 3, 5, 9)),  # a general broadcast
    ((3, 2), (3, 1)),  # rows too short for the float loops: the reference
]


@pytest.mark.parametrize("a_shape,b_shape", _BROADCASTS)
def test_optimized_kernels_give_the_references_bits_and_bytes(pyrt, a_shape, b_shape) -> None:
    """The optimized float32 loops and the int8 tables against the reference kernels, with random data and
    int8 parameters from tiny to large scales and extreme zero points (outputs clamped at both ends)."""
    rng = np.random.default_rng(sum(a_shape) * 31 + sum(b_shape))
    y_shape = np.broadcast_shapes(a_shape, b_shape)
    data = [
        (rng.standard_normal(a_shape) * 3).astype(np.float32),
        rng.standard_normal(b_shape).astype(np.float32),
    ]
    data[1][..., :1] = np.nan if data[1].size > 1 else data[1][..., :1]
    runs = [("float", _model(a_shape, b_shape, y_shape), data)]
    for k in range(6):
        sa, sb = (float(s) for s in 10.0 ** rng.uniform(-3, 0, 2))
        so = float((2 * max(sa, sb)) ** 2 / 16384 * 10.0 ** rng.uniform(3.5, 6.5))  # above TFLite's floor
        # (a - b)^2 >= 0: an output zero point in the lower half leaves the outputs room to spread
        zp = [*(int(z) for z in rng.integers(-128, 128, 2)), int(rng.integers(-128, -32))]
        zp = zp if k else [-128, 127, 127]
        quant = (Quantization(sa, zp[0]), Quantization(sb, zp[1]), Quantization(so, zp[2]))
        ints = [rng.integers(-128, 128, s, dtype=np.int8) for s in (a_shape, b_shape)]
        runs.append((f"int8 {k}", _model(a_shape, b_shape, y_shape, np.int8, quant), ints))
    seen: set[int] = set()
    for what, model, inputs in runs:
        outs = {}
        for kernels in ("reference", "auto"):
            interp = pyrt.Interpreter(model_content=model, kernels=kernels)
            interp.allocate_tensors()
            for i, x in enumerate(inputs):
                interp.set_tensor(i, x)
            interp.invoke()
            outs[kernels] = interp.get_tensor(2)
        assert outs["auto"].tobytes() == outs["reference"].tobytes(), what
        if what.startswith("int8") and what != "int8 0":  # "int8 0": zero points that clamp every output
            seen.update(np.unique(outs["auto"]).tolist())
    assert len(seen) > 4, seen  # the random parameter sets do not all clamp
