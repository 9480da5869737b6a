"""PRelu: ``x`` for ``x >= 0``, ``alpha * x`` otherwise, ``alpha`` broadcast into ``x``'s shape (numpy rules,
rank <= 4; the output has x's shape, as TFLite's int8 PRELU requires), lowered from the trainer's ``PRelu``
(``tf.nn.prelu``).

int8: TFLite's reference PRELU: both inputs centered on their zero points; ``x >= 0`` is rescaled by
``s_x / s_out``, ``x < 0`` as the product ``x * alpha`` by ``s_x s_alpha / s_out`` (both multipliers from
float32 products, ``QuantizeMultiplier``), plus the output zero point, clamped.
"""

from __future__ import annotations

import numpy as np

from trainer.errors import InvalidArgumentError
from trainer.quant.fixed_point import multiply_by_quantized_multiplier, quantize_multiplier
from trainer.runtime_ops._common import f64, qparams, unsupported
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import ModelInfo, OpInfo

MAX_RANK = 4


@lowers("PRelu")
def _lower(ctx, op) -> None:
    for t in op.inputs:
        if t.shape.ndims is not None and t.shape.ndims > MAX_RANK:
            raise unsupported(op, f"input {t.name} has rank {t.shape.ndims} (at most {MAX_RANK})")
    x, y = op.inputs[0].shape, op.outputs[0].shape
    if x.is_fully_defined() and y.is_fully_defined() and x.as_list() != y.as_list():
        raise unsupported(op, f"alpha {op.inputs[1].shape} widens the input {x} (it must broadcast into it)")
    ctx.emit("PRelu", op, [ctx.input(op, t) for t in op.inputs])


def prelu(x, alpha) -> np.ndarray:
    """The float reference in float64."""
    x, alpha = f64(x), f64(alpha)
    return np.where(x >= 0, x, x * alpha)


def _reference(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return np.broadcast_to(prelu(ins[0], ins[1]), shape)


def _multiplier(real: np.float32, what: str) -> tuple[int, int]:
    q = quantize_multiplier(float(real))
    if q is None or not -31 <= q[1] <= 31:
        raise InvalidArgumentError(f"PRelu: {what} multiplier {float(real):g} is not representable")
    return q


def prepare_prelu(s_x: float, s_a: float, s_out: float) -> tuple[int, int, int, int]:
    """(identity multiplier, shift, alpha multiplier, shift): s_x / s_out and s_x s_alpha / s_out, float32."""
    f32 = np.float32
    m1, e1 = _multiplier(f32(s_x) / f32(s_out), "input / output scale")
    m2, e2 = _multiplier(f32(s_x) * f32(s_a) / f32(s_out), "input x alpha / output scale")
    return m1, e1, m2, e2


def prelu_int8(x: np.ndarray, alpha: np.ndarray, zx: int, za: int, zo: int, mults) -> np.ndarray:
    """The int8 kernel (TFLite's BroadcastPrelu4DSlow), alpha broadcast against x."""
    m1, e1, m2, e2 = mults
    xc = np.asarray(x, np.int64) - zx
    ac = np.asarray(alpha, np.int64) - za
    xc, ac = np.broadcast_arrays(xc, ac)
    up = multiply_by_quantized_multiplier(xc, m1, e1)
    down = multiply_by_quantized_multiplier(xc * ac, m2, e2)
    return np.clip(np.where(xc >= 0, up, down) + zo, -128, 127).astype(np.int8)


def _int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    (sx, zx), (sa, za), (so, zo) = (qparams(m, t) for t in (*op.inputs, op.outputs[0]))
    return prelu_int8(ins[0], ins[1], int(zx), int(za), int(zo), prepare_prelu(sx, sa, so))


register(RuntimeOp("PRelu", _reference, _int8))
