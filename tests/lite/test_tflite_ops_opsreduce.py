"""The reductions of issue #15 (Sum, ReduceMax, ArgMax, ArgMin) imported from TensorFlow-converted one-op
models and compared with LiteRT on 100 seeded inputs each, and exported back to TFLite (``to_tflite``) and
run on LiteRT against tensorlet's own kernels.

The fixtures (tests/fixtures/tflite/ops_<name>.tflite and ops_<name>_int8.tflite, written by
scripts/make_op_fixtures.py) hold the op alone: float32, and full-integer int8 with int8 inputs and outputs.
int8 outputs are byte-identical; float32 outputs within ``1e-5 * max(1, max |litert|)`` (tensorlet sums in
double, TFLite in float32). TensorFlow's converter gives REDUCE_MAX's output the input's parameters (TFLite's
int8 REDUCE_MAX requires them, the rule tensorlet's ReduceMax keeps) and SUM's output its own. LiteRT 2.3's
reference kernel of int8 SUM with differing parameters (``BUILTIN_REF``) returns wrong values (-1 for a sum
whose rescaled value is -25, on the converter's own fixture), so int8 Sum is compared with its builtin kernel
(``BUILTIN_WITHOUT_DEFAULT_DELEGATES``), which follows TFLite's formula (reduce.h, QuantizedMeanOrSum:
the raw sum rescaled in float32, rounded half away from zero, clamped); the other ops with BUILTIN_REF.
ARG_MAX and ARG_MIN keep their int32 or int64 output in an int8 model (the converter's int8 output type
applies to values, not indices) and compare raw int8 values: indices identical. The float32 inputs of the
fixtures are uniform (no ties); the exported int8 models have ties, the first index winning in both.
"""

from __future__ import annotations

import numpy as np
import pytest
from tflite_fixtures import compare_with_litert, fixture, litert

from trainer.lite.tflite import from_tflite, to_tflite
from trainer.lite.tflite.errors import TFLiteImportError
from trainer.tlm import Quantization, read_model

pyruntime = pytest.importorskip("pyruntime")

N_INPUTS = 100
# fixture name: the tensorlet op it must import as
OPS = {
    "sum": "Sum",  # [2, 3, 4, 5] over axes 1, 2
    "sum_keep_dims": "Sum",  # [3, 64] over -1, keep_dims
    "reduce_max": "ReduceMax",  # [2, 3, 4, 5] over axes 0, 2
    "reduce_max_keep_dims": "ReduceMax",  # [3, 64] over -1, keep_dims
    "arg_max": "ArgMax",  # [3, 64] along axis 1, int32
    "arg_min": "ArgMin",  # [2, 5, 7] along -1, int32
    "arg_max_int64": "ArgMax",  # [6, 10] along axis 0, int64 (tf.argmax's default)
}


def _resolver(lr, opcode: str, int8: bool):
    if opcode == "Sum" and int8:  # BUILTIN_REF's int8 SUM is wrong in LiteRT 2.3 (the module docstring)
        return lr.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    return lr.OpResolverType.BUILTIN_REF


def _compare(tflite_model: bytes, tlm_model: bytes, resolver, n: int = N_INPUTS) -> int:
    """Runs both on ``n`` seeded inputs: int8 and int32 outputs identical, float32 within 1e-5 of the largest
    |output| (at least 1). Returns the number of outputs compared."""
    return compare_with_litert(tflite_model, tlm_model, n, seed=15, resolver=resolver)


@pytest.mark.parametrize("int8", [False, True], ids=["float32", "int8"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_fixture_matches_litert(name: str, int8: bool) -> None:
    data = fixture(f"ops_{name}{'_int8' if int8 else ''}")
    tlm = from_tflite(data)
    assert [op.opcode for op in read_model(tlm).ops] == [OPS[name]]
    assert _compare(data, tlm, _resolver(litert(), OPS[name], int8)) >= N_INPUTS


def _reduce_model(op: str, shape, axes, keep: bool, in_q=None, out_q=None) -> bytes:
    from op_cases.reduce import _model

    return _model(op, shape, axes, keep, np.int8 if in_q else np.float32, in_q, out_q)


# (op, shape, axes, keep_dims, input quantization, output quantization)
EXPORTS = [
    ("Sum", (2, 3, 4), [0, 2], False, None, None),
    ("Sum", (2, 3, 4), [1], True, Quantization(0.02, -5), Quantization(0.9, 3)),
    # every sum near the output's zero point
    ("Sum", (4, 6), [-1], False, Quantization(1e-4, 127), Quantization(30.0, -128)),
    ("Sum", (1, 5, 5, 8), [1, 2], True, Quantization(0.5, -128), Quantization(0.01, 0)),  # saturates
    ("ReduceMax", (2, 3, 4), [2, 0], True, None, None),
    ("ReduceMax", (2, 4, 4, 3), [1, 2], False, Quantization(0.037, -7), Quantization(0.037, -7)),
]


@pytest.mark.parametrize("k", range(len(EXPORTS)))
def test_export_runs_on_litert_like_tensorlet(k: int) -> None:
    op, shape, axes, keep, in_q, out_q = EXPORTS[k]
    tlm = _reduce_model(op, shape, axes, keep, in_q, out_q)
    data = to_tflite(tlm)
    lr = litert()
    ops = [d["op_name"] for d in lr.Interpreter(model_content=data)._get_ops_details()]  # noqa: SLF001
    assert ops == [{"Sum": "SUM", "ReduceMax": "REDUCE_MAX"}[op]]
    if all(a >= 0 for a in axes):
        assert from_tflite(data) == tlm  # the round trip gives the same .tlm
    assert _compare(data, tlm, _resolver(lr, op, in_q is not None), n=20) == 20


@pytest.mark.parametrize("op", ["ArgMax", "ArgMin"])
@pytest.mark.parametrize("int8", [False, True], ids=["float32", "int8"])
def test_arg_export_runs_on_litert_like_tensorlet(op: str, int8: bool) -> None:
    from op_cases.arg_max import _model

    for shape, axis, out in (((3, 9), 1, np.int32), ((4, 2, 5), 0, np.int64), ((2, 3, 4, 5), -2, np.int32)):
        q = Quantization(0.5, -3) if int8 else None
        tlm = _model(op, shape, axis, out, np.int8 if int8 else np.float32, q)
        data = to_tflite(tlm)
        lr = litert()
        ops = [d["op_name"] for d in lr.Interpreter(model_content=data)._get_ops_details()]  # noqa: SLF001
        assert ops == [{"ArgMax": "ARG_MAX", "ArgMin": "ARG_MIN"}[op]]
        if axis >= 0:
            assert from_tflite(data) == tlm  # the round trip gives the same .tlm
        assert _compare(data, tlm, lr.OpResolverType.BUILTIN_REF, n=10) == 10


def test_int8_sum_with_equal_parameters_is_not_exported() -> None:
    q = Quantization(0.05, 0)
    with pytest.raises(TFLiteImportError, match="adds the raw values in int8"):
        to_tflite(_reduce_model("Sum", (3, 4), [1], False, q, q))
