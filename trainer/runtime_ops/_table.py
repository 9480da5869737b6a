"""The table of runtime ops: one :class:`RuntimeOp` per op of ``schema/tensorlet.fbs``, each registered by its
stanza right below the rules it holds, plus the table from trainer op types to their lowerings.

Everything else on the Python side (the exporter, the reference interpreter, post-training quantization,
float16 weights) reads these two tables instead of switching on op names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainer.tlm import ModelInfo, OpInfo

# (op, float64 inputs, output shape) -> output; computes in float64 like the schema's definition. An op with
# several outputs (Split) gets the tuple of their shapes and returns a list of arrays, one per output.
FloatReference = Callable[[OpInfo, list[np.ndarray], tuple[int, ...]], np.ndarray]
# (op, inputs as stored, the model) -> output (a list, one per output, for ops with several outputs): the op's
# int8 prepare rules, then the int8 kernel.
Int8Reference = Callable[[OpInfo, list[np.ndarray], ModelInfo], np.ndarray]
# (trainer.lite.lowering.LoweringContext, trainer Operation) -> None: emits the runtime op.
Lowering = Callable[[Any, Any], None]


@dataclass(frozen=True)
class RuntimeOp:
    """Every rule the Python side knows about one runtime op.

    ``weight_axis``: the per-channel axis of input 1, for ops whose input 1 (and 2, the bias) are weights that
    post-training quantization makes symmetric int8 per channel (and float16 weights halve).
    ``fixed_output_quant``: the (scale, zero point) the int8 kernel assumes for the output, if any.
    ``keeps_input_quant``: the output keeps the input's parameters (the op only moves or selects values).
    ``bias_correctable``: input 0 is the activation, 1 the weights, 2 the bias, the op is linear in input 0
    and the output channel is the last axis, so post-training bias correction can adjust its bias.
    Outputs of the other ops are quantized from their calibrated range.
    """

    name: str
    reference: FloatReference | None = None
    int8: Int8Reference | None = None
    weight_axis: int | None = None
    fixed_output_quant: tuple[float, int] | None = None
    keeps_input_quant: bool = False
    bias_correctable: bool = False


OPS: dict[str, RuntimeOp] = {}
LOWERINGS: dict[str, Lowering] = {}


def register(op: RuntimeOp) -> RuntimeOp:
    if op.name in OPS:
        raise ValueError(f"runtime op {op.name} is registered twice")
    OPS[op.name] = op
    return op


def lowers(*op_types: str) -> Callable[[Lowering], Lowering]:
    """Register the decorated function as the lowering of trainer ops ``op_types``."""

    def deco(fn: Lowering) -> Lowering:
        for t in op_types:
            if t in LOWERINGS:
                raise ValueError(f"trainer op {t} has two lowerings")
            LOWERINGS[t] = fn
        return fn

    return deco
