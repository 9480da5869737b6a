"""Lowering of a frozen trainer graph to a ``.tlm`` model: one table from trainer op type to runtime op.

Every entry of :data:`trainer.runtime_ops.LOWERINGS` (written in the op's stanza under
``trainer/runtime_ops/``) turns one trainer op into one runtime op of ``schema/tensorlet.fbs``, rewriting
constant filters into the runtime's layouts on the way:

============================  ======================  ==================================================
trainer op                    runtime op              notes
============================  ======================  ==================================================
_FusedMatMul                  FullyConnected          filter [in, out] -> [out, in]; bias, activation
_FusedConv2D                  Conv2D                  filter HWIO -> OHWI; strides, dilations, padding
_FusedDepthwiseConv2D         DepthwiseConv2D         filter [kh, kw, c, m] -> [1, kh, kw, c*m]
MaxPool2D, AveragePool2D      MaxPool2D, ...Pool2D    TensorFlow's SAME rule and average count rule
Mean                          Mean                    any axes (global average pooling), keep_dims
Add, Sub, Mul, BiasAdd        Add, Sub, Mul, Add      numpy broadcasting, rank <= 4
RealDiv by a constant         Mul                     by the reciprocal
Relu, Relu6, Sigmoid, Tanh    same                    -
Softmax                       Softmax                 over the last axis only
Reshape, Squeeze, ExpandDims  Reshape                 to the static output shape
Concatenation                 Concatenation           at most 16 inputs
Pad                           Pad                     constant zero padding only
Transpose                     Transpose               -
============================  ======================  ==================================================

Gather (``tf.gather``, ``tf.nn.embedding_lookup``) takes int32 indices: a constant or an int32 graph input
(token ids). Everything else is refused with :class:`UnsupportedError`, naming the op, its type and what is
unsupported (also dtypes other than float32 and shapes that are not static); nothing is written then.
Constants are
only written where an op reads them, and ops are written in the frozen graph's (topological) order, so the
same frozen graph always gives the same bytes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer.freeze import FrozenGraph
from trainer.graph import Operation, Tensor
from trainer.lite import fake_quant  # noqa: F401 - registers the lowering of the fake-quant ops
from trainer.runtime_ops import LOWERINGS
from trainer.runtime_ops._common import UnsupportedError, unsupported
from trainer.runtime_ops.binary import MAX_BINARY_RANK
from trainer.runtime_ops.movement import MAX_CONCAT_INPUTS
from trainer.tlm import ModelBuilder

__all__ = [
    "MAX_BINARY_RANK",
    "MAX_CONCAT_INPUTS",
    "PRODUCER",
    "LoweringContext",
    "UnsupportedError",
    "lower",
    "lower_with_ranges",
    "supported_op_types",
]

PRODUCER = "tensorlet trainer.lite"
# graph input dtypes: float32 values, int32 indices (token ids of an embedding lookup: only an op that takes
# int32 indices, Gather, may read them; every other op refuses a non-float32 input)
INPUT_DTYPES = {"float32": np.float32, "int32": np.int32}


class LoweringContext:
    """The builder plus the map from trainer tensors to model tensor indices."""

    def __init__(self, builder: ModelBuilder) -> None:
        self.b = builder
        self.index: dict[Tensor, int] = {}
        # model tensor -> (min, max) learned in quantization-aware training (trainer/lite/fake_quant.py)
        self.ranges: dict[int, tuple[float, float]] = {}

    def _check_float(self, op: Operation, t: Tensor, what: str) -> None:
        if t.dtype.name != "float32":
            raise unsupported(op, f"{what} {t.name} has dtype {t.dtype.name} (only float32 is supported)")
        if not t.shape.is_fully_defined():
            raise unsupported(op, f"{what} {t.name} has shape {t.shape}, which is not static")

    def input(self, op: Operation, t: Tensor) -> int:
        """The model tensor of op input ``t`` (a constant is written on first use)."""
        if t in self.index:
            return self.index[t]
        if t.op.type != "Const":
            raise unsupported(op, f"input {t.name} comes from an op that was not exported")
        self._check_float(op, t, "constant input")
        idx = self.b.add_constant(t.op.name, np.asarray(t.op.attrs["value"], np.float32))
        self.index[t] = idx
        return idx

    def constant(self, name: str, value: np.ndarray) -> int:
        return self.b.add_constant(name, np.ascontiguousarray(value, dtype=np.float32))

    def output(self, op: Operation, t: Tensor) -> int:
        self._check_float(op, t, "output")
        idx = self.b.add_tensor(
            t.op.name if len(t.op.outputs) == 1 else t.name, np.float32, t.shape.as_list()
        )
        self.index[t] = idx
        return idx

    def emit(self, opcode: str, op: Operation, inputs: list[int], **options: Any) -> None:
        for t in op.inputs:
            if t.op.type != "Const":
                self._check_float(op, t, "input")
        self.b.add_op(opcode, inputs, [self.output(op, op.outputs[0])], **options)

    def emit_all(self, opcode: str, op: Operation, inputs: list[int], **options: Any) -> None:
        """As :meth:`emit` for runtime ops with several outputs (Split): every output of ``op``, in order."""
        for t in op.inputs:
            if t.op.type != "Const":
                self._check_float(op, t, "input")
        self.b.add_op(opcode, inputs, [self.output(op, t) for t in op.outputs], **options)

    def emit_indices(self, opcode: str, op: Operation, inputs: list[int], **options: Any) -> None:
        """As :meth:`emit` for runtime ops whose output holds indices (ArgMax, ArgMin): an int32 or int64
        output, kept as it is by post-training quantization."""
        for t in op.inputs:
            if t.op.type != "Const":
                self._check_float(op, t, "input")
        t = op.outputs[0]
        if t.dtype.name not in ("int32", "int64"):
            raise unsupported(op, f"output {t.name} has dtype {t.dtype.name} (indices are int32 or int64)")
        if not t.shape.is_fully_defined():
            raise unsupported(op, f"output {t.name} has shape {t.shape}, which is not static")
        idx = self.b.add_tensor(t.op.name, np.dtype(t.dtype.name), t.shape.as_list())
        self.index[t] = idx
        self.b.add_op(opcode, inputs, [idx], **options)


def supported_op_types() -> list[str]:
    """Trainer op types the exporter can lower (after freezing)."""
    return sorted(LOWERINGS)


def lower(
    frozen: FrozenGraph, *, description: str = "", metadata: dict[str, str] | None = None
) -> ModelBuilder:
    """A :class:`ModelBuilder` holding ``frozen`` as runtime ops (call ``finish()`` for the bytes).

    Raises :class:`UnsupportedError` for anything the runtime cannot run.
    """
    return lower_with_ranges(frozen, description=description, metadata=metadata)[0]


def lower_with_ranges(
    frozen: FrozenGraph, *, description: str = "", metadata: dict[str, str] | None = None
) -> tuple[ModelBuilder, dict[str, tuple[float, float]]]:
    """As :func:`lower`, plus the activation ranges of the graph's fake-quant nodes by model tensor name
    (empty unless the graph was rewritten for quantization-aware training)."""
    b = ModelBuilder(producer=PRODUCER, description=description)
    ctx = LoweringContext(b)
    for t in frozen.inputs:
        if t.op.type != "Placeholder":
            raise UnsupportedError(f"input {t.name} is not a placeholder of the frozen graph")
        if t.dtype.name not in INPUT_DTYPES:
            raise UnsupportedError(
                f"input {t.name} has dtype {t.dtype.name} (float32, or int32 indices such as token ids)"
            )
        if not t.shape.is_fully_defined():
            raise UnsupportedError(
                f"input {t.name} has shape {t.shape}: give every input a static shape (batch_size= or "
                "input_shapes=)"
            )
        ctx.index[t] = b.add_input(t.op.name, INPUT_DTYPES[t.dtype.name], t.shape.as_list())
    for op in frozen.graph.get_operations():
        if op.type in ("Placeholder", "Const"):
            continue
        fn = LOWERINGS.get(op.type)
        if fn is None:
            raise unsupported(
                op, f"the C runtime has no {op.type} op (exportable: {', '.join(supported_op_types())})"
            )
        fn(ctx, op)
    for t in frozen.outputs:
        if t in frozen.inputs:
            raise UnsupportedError(f"output {t.name} is a graph input (nothing to compute)")
        if t.op.type == "Const":
            raise UnsupportedError(f"output {t.name} is a constant (it does not depend on any input)")
        b.mark_output(ctx.index[t])
    for key, value in (metadata or {}).items():
        b.add_metadata(key, value)
    return b, {b.tensors[i].name: r for i, r in ctx.ranges.items()}
