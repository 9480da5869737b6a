"""Quantize (float32 -> int8) and Dequantize (int8 -> float32) at the edges of an int8 graph, in float32
arithmetic like ``runtime_c/src/ops/quantize.c``. They have no float reference: they are int8 ops."""

from __future__ import annotations

import numpy as np

from trainer.quant.kernels_int8 import dequantize, quantize
from trainer.runtime_ops._common import qparams
from trainer.runtime_ops._table import RuntimeOp, register
from trainer.tlm import ModelInfo, OpInfo


def _quantize(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    return quantize(ins[0], *qparams(m, op.outputs[0]))


def _dequantize(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    return dequantize(ins[0], *qparams(m, op.inputs[0]))


register(RuntimeOp("Quantize", int8=_quantize))
register(RuntimeOp("Dequantize", int8=_dequantize))
