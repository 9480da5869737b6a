"""MaxPool2D and AveragePool2D: NHWC windows with SAME or VALID padding (:mod:`trainer.window`); max pooling
never picks a padded position, average pooling divides by the real (unpadded) elements (TensorFlow's rule)."""

from __future__ import annotations

import numpy as np

from trainer.quant.fixed_point import activation_range_int8
from trainer.quant.kernels_int8 import PoolGeom, average_pool2d_int8, max_pool2d_int8, prepare_requantize
from trainer.runtime_ops._common import activate, activation_code, geometry, qparams, taps, unsupported
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import ModelInfo, OpInfo


@lowers("MaxPool2D", "AveragePool2D")
def _lower(ctx, op) -> None:
    (kh, kw), (sh, sw) = op.attrs["ksize"], op.attrs["strides"]
    if tuple(op.attrs.get("dilations", (1, 1))) != (1, 1):
        raise unsupported(op, f"dilations {op.attrs['dilations']}")
    options = {"padding": op.attrs["padding"], "stride_h": sh, "stride_w": sw, "filter_h": kh, "filter_w": kw}
    ctx.emit(op.type, op, [ctx.input(op, op.inputs[0])], **options)


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


def _max_pool(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    o = op.options
    y = np.full(shape, -np.inf)
    for _, _, tap, _ in taps(ins[0], o["filter_h"], o["filter_w"], o, -np.inf, dilated=False):
        y = np.maximum(y, tap)
    return activate(y, o["activation"])


register(RuntimeOp("MaxPool2D", _max_pool, _int8(max_pool2d_int8), keeps_input_quant=True))

# ---- AveragePool2D ----


def _average_pool(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    o = op.options
    total, count = np.zeros(shape), np.zeros((1, *shape[1:3], 1))
    for _, _, tap, real in taps(ins[0], o["filter_h"], o["filter_w"], o, 0.0, dilated=False):
        total += tap
        count = count + real
    return activate(total / count, o["activation"])


register(RuntimeOp("AveragePool2D", _average_pool, _int8(average_pool2d_int8)))
