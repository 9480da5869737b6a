"""Split: one tensor cut along an axis into 1 to 16 consecutive pieces (``tf.split`` with a number or a list
of sizes; TFLite's SPLIT and SPLIT_V). The outputs' shapes are authoritative (their sizes along the axis add
up to the input's). An int8 Split moves values: every output keeps the input's parameters (what TFLite's
converter writes and its SPLIT kernel assumes)."""

from __future__ import annotations

import itertools

import numpy as np

from trainer.runtime_ops._common import f64, unsupported
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import ModelInfo, OpInfo

MAX_OUTPUTS = 16


@lowers("Split")
def _lower(ctx, op) -> None:
    if not 1 <= len(op.outputs) <= MAX_OUTPUTS:
        raise unsupported(op, f"{len(op.outputs)} outputs (the runtime's Split has 1 to {MAX_OUTPUTS})")
    for t in op.outputs:
        if not t.shape.is_fully_defined():
            raise unsupported(op, f"output {t.name} has no static shape ({t.shape})")
    ctx.emit_all("Split", op, [ctx.input(op, op.inputs[0])], axis=int(op.attrs["axis"]))


def split(x, sizes, axis: int = 0) -> list[np.ndarray]:
    """The float reference: ``x`` cut along ``axis`` into pieces of ``sizes`` (which add up to its dim)."""
    x = np.asarray(x)
    return np.split(x, list(itertools.accumulate(sizes))[:-1], axis=axis)


def _sizes(shapes, axis: int) -> list[int]:
    return [int(s[axis]) for s in shapes]


def _one_or_all(pieces: list[np.ndarray]) -> list[np.ndarray] | np.ndarray:
    return pieces if len(pieces) > 1 else pieces[0]


def _reference(op: OpInfo, ins: list[np.ndarray], shapes) -> list[np.ndarray] | np.ndarray:
    if len(op.outputs) == 1:  # one output: ``shapes`` is its shape, the piece is the whole input
        return f64(ins[0])
    return split(f64(ins[0]), _sizes(shapes, op.options["axis"]), op.options["axis"])


def _int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> list[np.ndarray] | np.ndarray:
    shapes = [m.tensors[o].shape for o in op.outputs]
    return _one_or_all(split(ins[0], _sizes(shapes, op.options["axis"]), op.options["axis"]))


register(RuntimeOp("Split", _reference, _int8, keeps_input_quant=True))
