"""SquaredDifference: (a - b)^2 elementwise with numpy broadcasting (rank <= 4), lowered from the trainer's
``SquaredDifference`` (``tf.squared_difference``). int8: TFLite's SQUARED_DIFFERENCE, bit for bit: both
centered inputs shifted left by 7 and rescaled to the common scale ``2 max(s_a, s_b)`` (multipliers below 1),
the integer difference squared, rescaled by ``(2 max)^2 / (2^14 s_out)`` (below 1 too) and offset by the
output zero point."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainer.errors import InvalidArgumentError
from trainer.quant.fixed_point import input_multiplier, multiply_by_quantized_multiplier, quantize_multiplier
from trainer.runtime_ops._common import f64, qparams, unsupported
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import ModelInfo, OpInfo

MAX_RANK = 4
LEFT_SHIFT = 7  # TFLite's: the centered int8 values shifted so the rescaled difference keeps 7 more bits


@lowers("SquaredDifference")
def _lower(ctx, op) -> None:
    for t in op.inputs:
        if t.shape.ndims is not None and t.shape.ndims > MAX_RANK:
            raise unsupported(
                op, f"input {t.name} has rank {t.shape.ndims} (at most {MAX_RANK} is supported)"
            )
    ctx.emit("SquaredDifference", op, [ctx.input(op, t) for t in op.inputs])


def squared_difference(a, b) -> np.ndarray:
    """The float reference: (a - b)^2 in float64."""
    d = f64(a) - f64(b)
    return d * d


def _reference(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return squared_difference(ins[0], ins[1])


@dataclass(frozen=True)
class SquaredDifferenceInt8Params:
    a_zp: int
    b_zp: int
    out_zp: int
    a_multiplier: int
    a_shift: int
    b_multiplier: int
    b_shift: int
    out_multiplier: int
    out_shift: int


def _below_one(real: float, what: str) -> tuple[int, int]:
    q = input_multiplier(real) if what.startswith("input") else quantize_multiplier(real)
    if q is None or not real < 1.0:
        raise InvalidArgumentError(f"SquaredDifference: {what} multiplier {real:g} must be in (0, 1)")
    return q


def prepare_squared_difference(s_a, zp_a, s_b, zp_b, s_out, zp_out) -> SquaredDifferenceInt8Params:
    """TFLite's prepare: the three multipliers, each below 1 (else InvalidArgumentError)."""
    s_a, s_b, s_out = (float(np.float32(s)) for s in (s_a, s_b, s_out))
    twice_max = 2.0 * max(s_a, s_b)
    ma, sa = _below_one(s_a / twice_max, "input 0")
    mb, sb = _below_one(s_b / twice_max, "input 1")
    mo, so = _below_one(twice_max * twice_max / ((1 << 2 * LEFT_SHIFT) * s_out), "output")
    return SquaredDifferenceInt8Params(int(zp_a), int(zp_b), int(zp_out), ma, sa, mb, sb, mo, so)


def squared_difference_int8(a: np.ndarray, b: np.ndarray, p: SquaredDifferenceInt8Params) -> np.ndarray:
    """The int8 kernel (broadcasting like numpy); int32 arithmetic that cannot overflow (|diff| < 2^15)."""
    a = (np.asarray(a, np.int64) - p.a_zp) << LEFT_SHIFT
    b = (np.asarray(b, np.int64) - p.b_zp) << LEFT_SHIFT
    diff = multiply_by_quantized_multiplier(a, p.a_multiplier, p.a_shift) - multiply_by_quantized_multiplier(
        b, p.b_multiplier, p.b_shift
    )
    out = multiply_by_quantized_multiplier(diff * diff, p.out_multiplier, p.out_shift) + p.out_zp
    return np.clip(out, -128, 127).astype(np.int8)


def _int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    p = prepare_squared_difference(
        *qparams(m, op.inputs[0]), *qparams(m, op.inputs[1]), *qparams(m, op.outputs[0])
    )
    return squared_difference_int8(ins[0], ins[1], p)


register(RuntimeOp("SquaredDifference", _reference, _int8))
