"""MaxPool2D and AveragePool2D: NHWC windows with SAME or VALID padding (:mod:`trainer.window`); max pooling
never picks a padded position, average pooling divides by the real (unpadded) elements (TensorFlow's rule)."""

from __future__ import annotations

import numpy as np

from trainer.quant.fixed_point import activation_range_int8
from trainer.quant.kernels_int8 import PoolGeom, average_pool2d_int8, max_pool2d_int8, prepare_requantize
from trainer.runtime_ops._common import (
    activate,
    activation_code,
    f64,
    geometry,
    qparams,
    strides,
    taps,
    unsupported,
)
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import ModelInfo, OpInfo


@lowers("MaxPool2D", "AveragePool2D")
def _lower(ctx, op) -> None:
    (kh, kw), (sh, sw) = op.attrs["ksize"], op.attrs["strides"]
    if tuple(op.attrs.get("dilations", (1, 1))) != (1, 1):
        raise unsupported(op, f"dilations {op.attrs['dilations']}")
    options = {"padding": op.attrs["padding"], "stride_h": sh, "stride_w": sw, "filter_h": kh, "filter_w": kw}
    ctx.emit(op.type, op, [ctx.input(op, op.inputs[0])], **options)


def _filter(op: OpInfo) -> tuple[int, int]:
    return op.options["filter_h"], op.options["filter_w"]


def _int8(kernel):
    """The int8 reference of a pool: window geometry, then requantization with the fused clamp."""

    def run(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
        o = op.options
        (si, zi), (so, zo) = qparams(m, op.inputs[0]), qparams(m, op.outputs[0])
        g = geometry(m, op, o["filter_h"], o["filter_w"], dilated=False)
        lo, hi = activation_range_int8(activation_code(op), so, zo)
        return kernel(
            ins[0], PoolGeom(o["filter_h"], o["filter_w"], g), prepare_requantize(si, zi, so, zo, lo, hi)
        )

    return run


# ---- MaxPool2D ----


def max_pool2d(x, filter=(1, 1), stride=(1, 1), padding="VALID", activation="NONE") -> np.ndarray:
    """Max over each window; padded positions never win."""
    y = -np.inf
    for _, _, tap, _ in taps(f64(x), *filter, stride, (1, 1), padding, -np.inf):
        y = np.maximum(y, tap)
    return activate(y, activation)


def _max_pool(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return max_pool2d(ins[0], _filter(op), strides(op), op.options["padding"], op.options["activation"])


register(RuntimeOp("MaxPool2D", _max_pool, _int8(max_pool2d_int8), keeps_input_quant=True))

# ---- AveragePool2D ----


def average_pool2d(x, filter=(1, 1), stride=(1, 1), padding="VALID", activation="NONE") -> np.ndarray:
    """Mean over the input elements each window covers (padding not counted)."""
    ts = list(taps(f64(x), *filter, stride, (1, 1), padding, 0.0))
    total = sum(tap for _, _, tap, _ in ts)
    count = sum(real for _, _, _, real in ts)
    return activate(total / count, activation)


def _average_pool(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return average_pool2d(ins[0], _filter(op), strides(op), op.options["padding"], op.options["activation"])


register(RuntimeOp("AveragePool2D", _average_pool, _int8(average_pool2d_int8), keeps_input_quant=True))
