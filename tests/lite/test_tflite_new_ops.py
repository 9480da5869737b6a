"""The ops of issue #15 imported from TensorFlow-converted one-op models and compared with LiteRT's reference
kernels (``OpResolverType.BUILTIN_REF``) on 100 seeded inputs each.

The fixtures (tests/fixtures/tflite/ops_<name>.tflite and ops_<name>_int8.tflite, written by
scripts/make_op_fixtures.py) hold the op alone: float32, and full-integer int8 with int8 inputs and outputs.
The rules: int8 outputs byte-identical; float32 outputs within ``1e-5 * max(1, max |litert|)``. TFLite has no
int8 NEG or SQUARE: its converter keeps DEQUANTIZE, the float op, QUANTIZE, which tensorlet imports as
Dequantize, the float op, Quantize; tensorlet's own int8 Neg and Square are that chain as one table, so the
test also runs them on the chain's parameters against LiteRT. Its converter does the same for ELU (whose int8
kernel tensorlet follows: LUTPopulate of expm1), and LiteRT 2.3's reference resolver has no ELU, so Elu is
compared with the default resolver's kernel. Sqrt and Rsqrt are fed inputs >= 0 (LiteRT
fails at invoke on a negative int8 input; tensorlet reads it as 0), the float Log, Sqrt and Rsqrt inputs > 0.
"""

from __future__ import annotations

import numpy as np
import pytest
from tflite_fixtures import fixture, litert

from trainer.lite.tflite import from_tflite
from trainer.quant.fixed_point import get_reciprocal
from trainer.runtime_ops.div import leading_sign_bits, prepare_div
from trainer.runtime_ops.unary_math import TABLES, lut_int8
from trainer.tlm import read_model

pyruntime = pytest.importorskip("pyruntime")

N_INPUTS = 100
# fixture name: (the tensorlet op it must import as, low end of the float inputs)
OPS = {
    "minimum": ("Minimum", -3.0),
    "abs": ("Abs", -3.0),
    "neg": ("Neg", -3.0),
    "square": ("Square", -3.0),
    "sqrt": ("Sqrt", 0.0),
    "rsqrt": ("Rsqrt", 0.01),
    "exp": ("Exp", -4.0),
    "log": ("Log", 0.01),
    "elu": ("Elu", -4.0),
    "leaky_relu": ("LeakyRelu", -3.0),
    "squared_difference": ("SquaredDifference", -3.0),
    "div": ("Div", 0.25),
}
FALLBACK_INT8 = {"neg", "square", "elu"}  # TFLite's converter: DEQUANTIZE, float op, QUANTIZE
CHAIN_TABLES = {"neg", "square"}  # tensorlet's int8 op is that chain as one table
NOT_IN_REF = {"elu"}  # LiteRT 2.3's BUILTIN_REF resolver has no ELU: compared with BUILTIN's kernel
NON_NEGATIVE_INT8 = {"sqrt", "rsqrt"}
NONZERO_INT8 = {"div"}  # input 1 (the divisor) != its zero point: LiteRT's DIV is undefined there


def _inputs(name: str, details: list[dict], rng: np.random.Generator) -> list[np.ndarray]:
    out = []
    for d in details:
        shape = tuple(d["shape"])
        if d["dtype"] == np.int8:
            zp = d["quantization"][1]
            x = rng.integers(zp if name in NON_NEGATIVE_INT8 else -128, 128, shape)
            if name in NONZERO_INT8 and len(out) == 1:
                x = np.where(x == zp, zp + 1 if zp < 127 else zp - 1, x)
            out.append(x.astype(np.int8))
        else:
            out.append(rng.uniform(OPS[name][1], 3.0, shape).astype(np.float32))
    return out


def _resolver(lr, name: str):
    return lr.OpResolverType.BUILTIN if name in NOT_IN_REF else lr.OpResolverType.BUILTIN_REF


def _div_undefined_shift(a: np.ndarray, b: np.ndarray, q: list) -> np.ndarray:
    """Where TFLite's DIV ends with a rounding shift of 32 bits or more (an int32 shifted by 32: undefined;
    LiteRT's x86 build adds 1 there, tensorlet's shift is exact)."""
    (sa, za), (sb, zb), (so, zo) = q
    p = prepare_div(sa, za, sb, zb, so, zo)
    x1, x2 = a.astype(np.int64) - za, b.astype(np.int64) - zb
    x1 = np.where(x2 < 0, -x1, x1)
    _, recip_shift = get_reciprocal(np.maximum(np.abs(x2), 1), 31)
    return -(p.shift - recip_shift - leading_sign_bits(x1)) >= 32


def _run_both(name: str, data: bytes):
    lr = litert()
    ref = lr.Interpreter(model_content=data, experimental_op_resolver_type=_resolver(lr, name))
    ref.allocate_tensors()
    ours = pyruntime.Interpreter(model_content=from_tflite(data))
    ours.allocate_tensors()
    rng = np.random.default_rng(15)
    for _ in range(N_INPUTS):
        xs = _inputs(name, ref.get_input_details(), rng)
        for d, x in zip(ref.get_input_details(), xs, strict=True):
            ref.set_tensor(d["index"], x)
        ref.invoke()
        got = ours.run(*xs)
        qs = [d["quantization"] for d in ref.get_input_details() + ref.get_output_details()]
        yield [ref.get_tensor(d["index"]) for d in ref.get_output_details()], got, (xs, qs)


@pytest.mark.parametrize("name", sorted(OPS))
def test_float_matches_litert_reference(name: str) -> None:
    data = fixture(f"ops_{name}")
    assert [op.opcode for op in read_model(from_tflite(data)).ops] == [OPS[name][0]]
    for ref, ours, _ in _run_both(name, data):
        for a, b in zip(ref, ours, strict=True):
            assert a.dtype == b.dtype == np.float32 and a.shape == b.shape
            bound = 1e-5 * max(1.0, float(np.abs(a).max()))
            assert float(np.abs(a - b).max()) <= bound, (name, float(np.abs(a - b).max()), bound)


@pytest.mark.parametrize("name", sorted(OPS))
def test_int8_byte_identical_to_litert_reference(name: str) -> None:
    data = fixture(f"ops_{name}_int8")
    ops = [op.opcode for op in read_model(from_tflite(data)).ops]
    want = ["Dequantize", OPS[name][0], "Quantize"] if name in FALLBACK_INT8 else [OPS[name][0]]
    assert ops == want
    undefined = 0
    for ref, ours, (xs, qs) in _run_both(name, data):
        for a, b in zip(ref, ours, strict=True):
            assert a.dtype == b.dtype == np.int8
            if name == "div":  # identical except where TFLite's shift is undefined, and there by at most 1
                skip = _div_undefined_shift(xs[0], xs[1], qs)
                assert np.all(np.abs(a[skip].astype(int) - b[skip]) <= 1)
                undefined += int(np.sum(a[skip] != b[skip]))
                a, b = a[~skip], b[~skip]
            np.testing.assert_array_equal(a, b, name)
    assert undefined <= N_INPUTS * 64 // 20  # the undefined cases stay rare (0 / b over large divisors)


@pytest.mark.parametrize("name", sorted(CHAIN_TABLES))
def test_int8_neg_and_square_tables_equal_tflites_float_chain(name: str) -> None:
    """tensorlet's int8 Neg / Square on the parameters of TFLite's DEQUANTIZE, op, QUANTIZE chain: every int8
    input value gives LiteRT's byte."""
    lr = litert()
    ref = lr.Interpreter(
        model_content=fixture(f"ops_{name}_int8"), experimental_op_resolver_type=lr.OpResolverType.BUILTIN_REF
    )
    ref.allocate_tensors()
    (i,), (o,) = ref.get_input_details(), ref.get_output_details()
    (si, zi), (so, zo) = i["quantization"], o["quantization"]
    table = TABLES[OPS[name][0]](si, zi, so, zo)
    every = np.arange(-128, 128, dtype=np.int8).reshape(4, 64)
    for row in every:
        ref.set_tensor(i["index"], row.reshape(i["shape"]))
        ref.invoke()
        np.testing.assert_array_equal(ref.get_tensor(o["index"]).ravel(), lut_int8(row, table))
