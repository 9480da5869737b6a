"""BatchMatMul: ``y[..., m, n] = a[..., m, k] @ b[..., k, n]`` (BatchMatMulOptions: ``adj_x`` reads ``a`` as
``[..., k, m]``, ``adj_y`` reads ``b`` as ``[..., n, k]``), ranks 2 to 4, batch dimensions broadcast as in
numpy. Lowered from the trainer's ``BatchMatMul`` (``tf.matmul`` on rank > 2 inputs) and from a ``MatMul``
that ``freeze`` could not fuse into FullyConnected (a second operand that is not a constant, or
``transpose_a``; trainer/runtime_ops/conv.py hands those here).

int8: TFLite's reference BATCH_MATMUL: per-tensor inputs and output, the exact sum of
``(a - a_zp)(b - b_zp)`` saturated to int32, then one multiplier ``(double)(float)(s_a s_b) / s_out``
(``MultiplyByQuantizedMultiplier``) and the output zero point, clamped to int8."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainer.errors import InvalidArgumentError
from trainer.quant.fixed_point import _clamp_i32, multiply_by_quantized_multiplier, quantize_multiplier
from trainer.runtime_ops._common import f64, qparams, unsupported
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import ModelInfo, OpInfo


def lower_matmul(ctx, op, adj_x: bool, adj_y: bool) -> None:
    """Emit BatchMatMul for a trainer matmul (rank 2 to 4 operands)."""
    for t in op.inputs:
        rank = t.shape.ndims
        if rank is None or not 2 <= rank <= 4:
            raise unsupported(op, f"operand {t.name} of rank {rank} (BatchMatMul takes ranks 2 to 4)")
    ins = [ctx.input(op, t) for t in op.inputs]
    ctx.emit("BatchMatMul", op, ins, adj_x=bool(adj_x), adj_y=bool(adj_y))


@lowers("BatchMatMul")
def _lower(ctx, op) -> None:
    lower_matmul(ctx, op, op.attrs["adj_x"], op.attrs["adj_y"])


def _operands(a, b, adj_x: bool, adj_y: bool) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a), np.asarray(b)
    return (a.swapaxes(-1, -2) if adj_x else a), (b.swapaxes(-1, -2) if adj_y else b)


def batch_matmul(a, b, adj_x: bool = False, adj_y: bool = False) -> np.ndarray:
    """The float reference in float64: numpy's matmul of the (adjointed) operands."""
    x, y = _operands(f64(a), f64(b), adj_x, adj_y)
    return x @ y


def _reference(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return batch_matmul(ins[0], ins[1], op.options["adj_x"], op.options["adj_y"])


@dataclass(frozen=True)
class BatchMatMulInt8Params:
    a_zp: int
    b_zp: int
    out_zp: int
    multiplier: int
    shift: int


def prepare_batch_matmul(s_a, zp_a, s_b, zp_b, s_out, zp_out) -> BatchMatMulInt8Params:
    """TFLite's prepare: QuantizeMultiplier((double)(s_a * s_b) / s_out), the product in float32."""
    real = float(np.float32(np.float32(s_a) * np.float32(s_b))) / float(np.float32(s_out))
    q = quantize_multiplier(real)
    if q is None or not -31 <= q[1] <= 30:
        raise InvalidArgumentError(f"BatchMatMul: multiplier {real:g} is not representable")
    return BatchMatMulInt8Params(int(zp_a), int(zp_b), int(zp_out), *q)


def batch_matmul_int8(a, b, p: BatchMatMulInt8Params, adj_x: bool = False, adj_y: bool = False) -> np.ndarray:
    """The int8 kernel: exact int64 sums, saturated to int32, requantized once."""
    x, y = _operands(np.asarray(a, np.int64) - p.a_zp, np.asarray(b, np.int64) - p.b_zp, adj_x, adj_y)
    acc = _clamp_i32(x @ y)
    out = multiply_by_quantized_multiplier(acc, p.multiplier, p.shift) + p.out_zp
    return np.clip(out, -128, 127).astype(np.int8)


def _int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    p = prepare_batch_matmul(*qparams(m, op.inputs[0]), *qparams(m, op.inputs[1]), *qparams(m, op.outputs[0]))
    return batch_matmul_int8(ins[0], ins[1], p, op.options["adj_x"], op.options["adj_y"])


register(RuntimeOp("BatchMatMul", _reference, _int8))
