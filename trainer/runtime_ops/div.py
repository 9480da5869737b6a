"""Div: a / b elementwise with numpy broadcasting (rank <= 4), lowered from the trainer's ``RealDiv``
(``tf.divide``, ``tf.truediv``, ``/`` on floats) by a divisor that is not a constant (trainer/runtime_ops/
binary.py: a constant divisor becomes Mul by its reciprocal). No fused activation.

int8: TFLite's reference DIV: the centered divisor's reciprocal in fixed point (``GetReciprocal``, the signs
moved to the dividend), the centered dividend shifted by its redundant sign bits and multiplied by it, then
one multiplier ``s_a / (s_b s_out)`` with the shifts summed. Identical to LiteRT except where TFLite is
undefined: a final rounding shift of 32 bits or more is exact here (LiteRT's x86 build gives 0 / b as the
output zero point + 1 there). A zero divisor (TFLite: undefined, a
debug check) gives 127 or -128 by the dividend's sign, or the output zero point for 0 / 0, as float32's
+inf, -inf and NaN would saturate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainer.errors import InvalidArgumentError
from trainer.quant.fixed_point import get_reciprocal, quantize_multiplier, rounding_divide_by_pot, srdhm
from trainer.runtime_ops._common import f64, qparams
from trainer.runtime_ops._table import RuntimeOp, register
from trainer.tlm import ModelInfo, OpInfo


def div(a, b) -> np.ndarray:
    """The float reference: a / b in float64 (x / 0 is +-inf, 0 / 0 NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return f64(a) / f64(b)


def _reference(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return div(ins[0], ins[1])


@dataclass(frozen=True)
class DivInt8Params:
    a_zp: int
    b_zp: int
    out_zp: int
    multiplier: int
    shift: int


def prepare_div(s_a, zp_a, s_b, zp_b, s_out, zp_out) -> DivInt8Params:
    """TFLite's prepare: QuantizeMultiplier(s_a / (s_b * s_out)), the product in float32."""
    s_a, s_b, s_out = (np.float32(s) for s in (s_a, s_b, s_out))
    real = float(s_a) / float(np.float32(s_b * s_out))
    q = quantize_multiplier(real)
    if q is None or not -31 <= q[1] <= 31:
        raise InvalidArgumentError(f"Div: multiplier {real:g} is not representable")
    return DivInt8Params(int(zp_a), int(zp_b), int(zp_out), *q)


def leading_sign_bits(x: np.ndarray) -> np.ndarray:
    """TFLite's CountLeadingSignBits of int32 values: redundant sign bits (31 for 0 and -1)."""
    v = np.where(x >= 0, x, -x - 1).astype(np.float64)  # ~x for negatives
    bit_length = np.frexp(v)[1]  # v = m 2^e with m in [0.5, 1): e is the bit length (0 for 0)
    return 31 - bit_length.astype(np.int64)


def div_int8(a: np.ndarray, b: np.ndarray, p: DivInt8Params) -> np.ndarray:
    """The int8 kernel (broadcasting like numpy)."""
    x1 = np.asarray(a, np.int64) - p.a_zp
    x2 = np.asarray(b, np.int64) - p.b_zp
    x1, x2 = np.broadcast_arrays(np.where(x2 < 0, -x1, x1), np.abs(x2))
    zero = x2 == 0
    inv, recip_shift = get_reciprocal(np.where(zero, 1, x2), 31)
    headroom = leading_sign_bits(x1)
    unscaled = srdhm(x1 << headroom, inv)
    total = p.shift - recip_shift - headroom
    out = rounding_divide_by_pot(srdhm(unscaled, p.multiplier), -total) + p.out_zp
    out = np.where(zero, np.where(x1 > 0, 127, np.where(x1 < 0, -128, p.out_zp)), out)
    return np.clip(out, -128, 127).astype(np.int8)


def _int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    p = prepare_div(*qparams(m, op.inputs[0]), *qparams(m, op.inputs[1]), *qparams(m, op.outputs[0]))
    return div_int8(ins[0], ins[1], p)


register(RuntimeOp("Div", _reference, _int8))
