"""Add, Sub, Mul: numpy broadcasting (rank <= 4) with a fused activation. Trainer BiasAdd lowers to Add and
RealDiv by a constant to Mul by its reciprocal (RealDiv by a tensor: Div, trainer/runtime_ops/div.py)."""

from __future__ import annotations

import numpy as np

from trainer.quant.kernels_int8 import add_int8, mul_int8, prepare_add_sub, prepare_mul, sub_int8
from trainer.runtime_ops._common import activate, activation_code, const, f64, qparams, unsupported
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import ModelInfo, OpInfo

MAX_BINARY_RANK = 4


def _check_ranks(op) -> None:
    for t in op.inputs:
        if t.shape.ndims is not None and t.shape.ndims > MAX_BINARY_RANK:
            raise unsupported(op, f"input {t.name} has rank {t.shape.ndims} (at most 4 is supported)")


@lowers("Add", "Sub", "Mul", "BiasAdd")
def _lower(ctx, op) -> None:
    _check_ranks(op)
    opcode = "Add" if op.type == "BiasAdd" else op.type
    ctx.emit(opcode, op, [ctx.input(op, t) for t in op.inputs])


@lowers("RealDiv")
def _lower_real_div(ctx, op) -> None:
    _check_ranks(op)
    if op.inputs[1].op.type != "Const":
        ctx.emit("Div", op, [ctx.input(op, t) for t in op.inputs])
        return
    d = const(op, 1, "divisor").astype(np.float32)
    ins = [ctx.input(op, op.inputs[0]), ctx.constant(f"{op.name}/reciprocal", np.float32(1) / d)]
    ctx.emit("Mul", op, ins)


def add(a, b, activation: str = "NONE") -> np.ndarray:
    return activate(np.add(f64(a), f64(b)), activation)


def sub(a, b, activation: str = "NONE") -> np.ndarray:
    return activate(np.subtract(f64(a), f64(b)), activation)


def mul(a, b, activation: str = "NONE") -> np.ndarray:
    return activate(np.multiply(f64(a), f64(b)), activation)


def _reference(fn):
    def run(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
        a, b = ins
        return fn(a, b, op.options["activation"])

    return run


def _scales(op: OpInfo, m: ModelInfo) -> tuple:
    """(scale, zero point) of both inputs and the output, then the fused activation."""
    return (
        *qparams(m, op.inputs[0]),
        *qparams(m, op.inputs[1]),
        *qparams(m, op.outputs[0]),
        activation_code(op),
    )


def _add_sub_int8(kernel):
    def run(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
        return kernel(ins[0], ins[1], prepare_add_sub(*_scales(op, m)))

    return run


def _mul_int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    return mul_int8(ins[0], ins[1], prepare_mul(*_scales(op, m)))


register(RuntimeOp("Add", _reference(add), _add_sub_int8(add_int8)))
register(RuntimeOp("Sub", _reference(sub), _add_sub_int8(sub_int8)))
register(RuntimeOp("Mul", _reference(mul), _mul_int8))
