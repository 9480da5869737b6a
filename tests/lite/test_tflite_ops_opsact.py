"""The activation ops of issue #15 added with HardSwish (HardSwish, Gelu, PRelu,
L2Normalization) against LiteRT's reference
kernels (``OpResolverType.BUILTIN_REF``).

Two oracles per op:

- TensorFlow-converted one-op fixtures (tests/fixtures/tflite/ops_<name>[_int8].tflite, written by
  scripts/make_op_fixtures.py; for HardSwish the converter fuses ``x * relu6(x + 3) * (1/6)`` into
  HARD_SWISH; ``tf.nn.gelu`` converts to GELU with its ``approximate`` option; ``relu(x) + relu(-x) *
  -alpha`` with a constant per-channel alpha fuses into PRELU): imported, they must give one tensorlet
  op; float32 within ``1e-5 * max(1, max |litert|)`` on 100 seeded inputs, int8 byte-identical on every
  int8 input value;
- tensorlet's own int8 one-op models at the extreme parameters of tests/op_cases/<op>.py, exported with
  ``to_tflite``: LiteRT's bytes on every int8 value equal tensorlet's (this also checks the export mapping).
"""

from __future__ import annotations

import numpy as np
import pytest
from tflite_fixtures import fixture, litert_reference

from trainer.lite.tflite import from_tflite, to_tflite
from trainer.tlm import ModelBuilder, read_model
from trainer.tlm.builder import Quantization

pyruntime = pytest.importorskip("pyruntime")

# fixture name: (the tensorlet op it imports as, low and high end of the float inputs)
FIXTURES = {
    "hard_swish": ("HardSwish", -6.0, 6.0),
    "hard_swish_wide": ("HardSwish", -60.0, 40.0),
    "hard_swish_narrow": ("HardSwish", -0.05, 0.08),
    "gelu": ("Gelu", -5.0, 4.0),
    "gelu_tanh": ("Gelu", -5.0, 4.0),
    "prelu": ("PRelu", -4.0, 3.0),
    "l2_normalization": ("L2Normalization", -3.0, 3.0),
}
# op: (input scale, zero point, output scale, zero point) of the exported models
EXTREMES = {
    "HardSwish": [
        (0.2, -128, 0.025, 127),  # saturating
        (3.0, 127, 2.0, -128),  # reluish multiplier shifted left by 9
        (2e-3, 0, 1.5, 5),  # output shift -16: gemmlowp's 16-bit rounding shift with a wrapped mask
        (1e-8, 17, 1e-8, -3),  # reluish shift -20
        (0.5, -7, 0.0040, 30),  # output multiplier just below one
    ],
    "Gelu": [  # (approximate is a fifth field)
        (0.2, -128, 0.01, 127, False),  # saturating
        (0.05, 127, 0.03, -128, True),
        (1e-3, 0, 2.0, 5, False),  # tiny input steps: output near the zero point
        (2.0, 3, 2.0, -3, True),  # coarse steps: the tails
    ],
}
EVERY = np.arange(-128, 128, dtype=np.int8)


def _litert_run(ref, x: np.ndarray) -> np.ndarray:
    (i,), (o,) = ref.get_input_details(), ref.get_output_details()
    ref.set_tensor(i["index"], x.reshape(i["shape"]))
    ref.invoke()
    return ref.get_tensor(o["index"])


def _every_value(shape) -> list[np.ndarray]:
    """Every int8 value, in rows of the model's input shape."""
    n = int(np.prod(shape))
    reps = -(-256 // n)
    flat = np.tile(EVERY, reps * n // 256 + 1)[: reps * n]
    return [row.reshape(shape) for row in flat.reshape(reps, n)]


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_float_fixture_matches_litert_reference(name: str) -> None:
    op, lo, hi = FIXTURES[name]
    data = fixture(f"ops_{name}")
    assert [o.opcode for o in read_model(from_tflite(data)).ops] == [op]
    ref = litert_reference(data)
    ours = pyruntime.Interpreter(model_content=from_tflite(data))
    rng = np.random.default_rng(15)
    shape = ref.get_input_details()[0]["shape"]
    for _ in range(100):
        x = rng.uniform(lo, hi, shape).astype(np.float32)
        want, got = _litert_run(ref, x), ours.run(x)[0]
        bound = 1e-5 * max(1.0, float(np.abs(want).max()))
        assert float(np.abs(want - got).max()) <= bound, name


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_int8_fixture_byte_identical_to_litert_reference(name: str) -> None:
    op = FIXTURES[name][0]
    data = fixture(f"ops_{name}_int8")
    assert [o.opcode for o in read_model(from_tflite(data)).ops] == [op]
    ref = litert_reference(data)
    ours = pyruntime.Interpreter(model_content=from_tflite(data))
    for x in _every_value(ref.get_input_details()[0]["shape"]):
        np.testing.assert_array_equal(ours.run(x)[0], _litert_run(ref, x), name)


def _one_op(op: str, q_in: Quantization, q_out: Quantization, **options) -> bytes:
    b = ModelBuilder()
    x = b.add_input("x", np.int8, [1, 64], quantization=q_in)
    y = b.add_tensor("y", np.int8, [1, 64], quantization=q_out)
    b.add_op(op, [x], [y], **options)
    b.mark_output(y)
    return b.finish()


def _prelu_model(q_in: Quantization, q_alpha: Quantization, q_out: Quantization, alpha: np.ndarray) -> bytes:
    b = ModelBuilder()
    x = b.add_input("x", np.int8, [1, 256, alpha.shape[-1]], quantization=q_in)
    a = b.add_constant("alpha", alpha, quantization=q_alpha)
    y = b.add_tensor("y", np.int8, [1, 256, alpha.shape[-1]], quantization=q_out)
    b.add_op("PRelu", [x, a], [y])
    b.mark_output(y)
    return b.finish()


# (x scale, zero point, alpha scale, zero point, output scale, zero point)
PRELU_EXTREMES = [
    (0.05, -128, 0.01, 127, 0.002, 127),  # saturating
    (0.5, 127, 0.004, -128, 0.7, -128),
    (1e-3, 0, 0.03, 5, 2e-4, -3),
]


@pytest.mark.parametrize("params", PRELU_EXTREMES, ids=str)
def test_int8_prelu_extreme_parameters_exported_match_litert(params: tuple) -> None:
    """Every int8 x value against 8 constant alphas, both alpha extremes among them (TFLite's int8 PRELU
    wants the output shape of x: alpha broadcasts into x)."""
    sx, zx, sa, za, so, zo = params
    alpha = np.random.default_rng(3).integers(-128, 128, (1, 1, 8)).astype(np.int8)
    alpha[0, 0, :2] = (-128, 127)
    q = [Quantization(float(np.float32(s)), z) for s, z in ((sx, zx), (sa, za), (so, zo))]
    tlm = _prelu_model(*q, alpha)
    ref = litert_reference(to_tflite(tlm))
    ours = pyruntime.Interpreter(model_content=tlm)
    x = np.repeat(EVERY, 8).reshape(1, 256, 8)
    np.testing.assert_array_equal(ours.run(x)[0], _litert_run(ref, x), str(params))


@pytest.mark.parametrize("zp", [-128, 127, 0, 41])
def test_int8_l2_normalization_exported_matches_litert(zp: int) -> None:
    """Rows of 1, 3, 64 and 500 values: random, at the zero point, one nonzero value, small values, the
    extremes; the output at TFLite's fixed 1/128, 0."""
    rng = np.random.default_rng(zp + 128)
    for depth in (1, 3, 64, 500):
        b = ModelBuilder()
        x = b.add_input("x", np.int8, [8, depth], quantization=Quantization(0.05, zp))
        y = b.add_tensor("y", np.int8, [8, depth], quantization=Quantization(1 / 128, 0))
        b.add_op("L2Normalization", [x], [y])
        b.mark_output(y)
        tlm = b.finish()
        ref, ours = litert_reference(to_tflite(tlm)), pyruntime.Interpreter(model_content=tlm)
        for _ in range(5):
            xs = rng.integers(-128, 128, (8, depth)).astype(np.int8)
            xs[1] = zp
            xs[2] = zp
            xs[2, 0] = -128 if zp > 0 else 127
            xs[3] = np.clip(zp + rng.integers(-2, 3, depth), -128, 127)
            xs[4] = 127
            xs[5] = -128
            np.testing.assert_array_equal(ours.run(xs)[0], _litert_run(ref, xs), f"{zp} {depth}")


@pytest.mark.parametrize(
    "op,params", [(op, p) for op, ps in sorted(EXTREMES.items()) for p in ps], ids=lambda v: str(v)
)
def test_int8_extreme_parameters_exported_match_litert(op: str, params: tuple) -> None:
    si, zi, so, zo = params[:4]
    options = {"approximate": params[4]} if op == "Gelu" else {}
    q_in, q_out = Quantization(float(np.float32(si)), zi), Quantization(float(np.float32(so)), zo)
    tlm = _one_op(op, q_in, q_out, **options)
    ref = litert_reference(to_tflite(tlm))
    ours = pyruntime.Interpreter(model_content=tlm)
    for x in _every_value([1, 64]):
        np.testing.assert_array_equal(ours.run(x)[0], _litert_run(ref, x), str(params))
