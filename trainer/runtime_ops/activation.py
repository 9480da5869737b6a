"""Relu, Relu6, Sigmoid, Tanh: elementwise. The int8 Sigmoid and Tanh have fixed output parameters (TFLite's:
1/256 and -128, 1/128 and 0), which post-training quantization gives their outputs."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from trainer.quant.fixed_point import activation_range_int8
from trainer.quant.kernels_int8 import (
    logistic_int8,
    prepare_activation,
    prepare_requantize,
    requantize_int8,
    tanh_int8,
)
from trainer.runtime_ops._common import f64, qparams
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import ModelInfo, OpInfo


@lowers("Relu", "Relu6", "Sigmoid", "Tanh")
def _lower(ctx, op) -> None:
    ctx.emit(op.type, op, [ctx.input(op, op.inputs[0])])


def relu(x) -> np.ndarray:
    return np.maximum(f64(x), 0)


def relu6(x) -> np.ndarray:
    return np.clip(f64(x), 0, 6)


def sigmoid(x) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp(-x) is inf for x < -709: the result is 0, as it should be
        return 1.0 / (1.0 + np.exp(-f64(x)))


def tanh(x) -> np.ndarray:
    return np.tanh(f64(x))


def _reference(fn: Callable[[np.ndarray], np.ndarray]):
    def run(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
        return fn(ins[0])

    return run


def _clamp_int8(activation: int):
    """Relu (1) / Relu6 (2) in int8: requantize to the output, clamped to the activation's range."""

    def run(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
        (si, zi), (so, zo) = qparams(m, op.inputs[0]), qparams(m, op.outputs[0])
        lo, hi = activation_range_int8(activation, so, zo)
        return requantize_int8(ins[0], prepare_requantize(si, zi, so, zo, lo, hi))

    return run


def _lut_int8(kernel):
    """Sigmoid / Tanh in int8: the input rescaled to Q4, then the fixed-point function."""

    def run(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
        return kernel(ins[0], prepare_activation(*qparams(m, op.inputs[0])))

    return run


register(RuntimeOp("Relu", _reference(relu), _clamp_int8(1)))
register(RuntimeOp("Relu6", _reference(relu6), _clamp_int8(2)))
register(
    RuntimeOp(
        "Sigmoid",
        _reference(sigmoid),
        _lut_int8(logistic_int8),
        fixed_output_quant=(1.0 / 256.0, -128),
    )
)
register(RuntimeOp("Tanh", _reference(tanh), _lut_int8(tanh_int8), fixed_output_quant=(1.0 / 128.0, 0)))
