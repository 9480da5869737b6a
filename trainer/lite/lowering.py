"""Lowering of a frozen trainer graph to a ``.tlm`` model: one table from trainer op type to runtime op.

Every entry of :data:`LOWERINGS` turns one trainer op into one runtime op of ``schema/tensorlet.fbs``,
rewriting constant filters into the runtime's layouts on the way:

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

Everything else is refused with :class:`UnsupportedError`, naming the op, its type and what is unsupported
(also dtypes other than float32 and shapes that are not static); nothing is written then. Constants are
only written where an op reads them, and ops are written in the frozen graph's (topological) order, so the
same frozen graph always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trainer.errors import UnimplementedError
from trainer.freeze import FrozenGraph
from trainer.graph import Operation, Tensor
from trainer.tlm import ModelBuilder

PRODUCER = "tensorlet trainer.lite"
MAX_CONCAT_INPUTS = 16
MAX_BINARY_RANK = 4


class UnsupportedError(UnimplementedError):
    """A graph the C runtime cannot run: an op, dtype, shape or attribute with no runtime counterpart."""


def _unsupported(op: Operation, what: str) -> UnsupportedError:
    return UnsupportedError(f"cannot export op {op.name!r} ({op.type}): {what}")


class LoweringContext:
    """The builder plus the map from trainer tensors to model tensor indices."""

    def __init__(self, builder: ModelBuilder) -> None:
        self.b = builder
        self.index: dict[Tensor, int] = {}

    def _check_float(self, op: Operation, t: Tensor, what: str) -> None:
        if t.dtype.name != "float32":
            raise _unsupported(op, f"{what} {t.name} has dtype {t.dtype.name} (only float32 is supported)")
        if not t.shape.is_fully_defined():
            raise _unsupported(op, f"{what} {t.name} has shape {t.shape}, which is not static")

    def input(self, op: Operation, t: Tensor) -> int:
        """The model tensor of op input ``t`` (a constant is written on first use)."""
        if t in self.index:
            return self.index[t]
        if t.op.type != "Const":
            raise _unsupported(op, f"input {t.name} comes from an op that was not exported")
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


Lowering = Callable[[LoweringContext, Operation], None]
LOWERINGS: dict[str, Lowering] = {}


def lowers(*op_types: str) -> Callable[[Lowering], Lowering]:
    def deco(fn: Lowering) -> Lowering:
        for t in op_types:
            assert t not in LOWERINGS, t
            LOWERINGS[t] = fn
        return fn

    return deco


def _const(op: Operation, i: int, what: str) -> np.ndarray:
    t = op.inputs[i]
    if t.op.type != "Const":
        raise _unsupported(op, f"the {what} ({t.name}) must be a constant")
    return np.asarray(t.op.attrs["value"])


def _bias(ctx: LoweringContext, op: Operation) -> list[int]:
    if len(op.inputs) < 3:
        return []
    return [ctx.constant(f"{op.name}/bias", _const(op, 2, "bias"))]


def _window_options(op: Operation) -> dict[str, Any]:
    (sh, sw), (dh, dw) = op.attrs["strides"], op.attrs["dilations"]
    return {
        "padding": op.attrs["padding"],
        "stride_h": sh,
        "stride_w": sw,
        "dilation_h": dh,
        "dilation_w": dw,
    }


@lowers("_FusedMatMul")
def _fully_connected(ctx: LoweringContext, op: Operation) -> None:
    if op.attrs["transpose_a"]:
        raise _unsupported(op, "transpose_a=True")
    w = _const(op, 1, "weight matrix")
    w = w if op.attrs["transpose_b"] else w.T  # the runtime wants [out, in]
    ins = [ctx.input(op, op.inputs[0]), ctx.constant(f"{op.name}/weights", w), *_bias(ctx, op)]
    ctx.emit("FullyConnected", op, ins, activation=op.attrs["activation"])


@lowers("_FusedConv2D")
def _conv2d(ctx: LoweringContext, op: Operation) -> None:
    w = _const(op, 1, "filter").transpose(3, 0, 1, 2)  # HWIO -> OHWI
    ins = [ctx.input(op, op.inputs[0]), ctx.constant(f"{op.name}/weights", w), *_bias(ctx, op)]
    ctx.emit("Conv2D", op, ins, activation=op.attrs["activation"], **_window_options(op))


@lowers("_FusedDepthwiseConv2D")
def _depthwise_conv2d(ctx: LoweringContext, op: Operation) -> None:
    w = _const(op, 1, "filter")
    kh, kw, c, m = w.shape
    ins = [
        ctx.input(op, op.inputs[0]),
        ctx.constant(f"{op.name}/weights", w.reshape(1, kh, kw, c * m)),
        *_bias(ctx, op),
    ]
    ctx.emit(
        "DepthwiseConv2D",
        op,
        ins,
        activation=op.attrs["activation"],
        depth_multiplier=int(m),
        **_window_options(op),
    )


@lowers("MatMul", "Conv2D", "DepthwiseConv2D")
def _unfused(ctx: LoweringContext, op: Operation) -> None:
    # freeze() turns these into fused ops whenever their filter is constant (and MatMul has no transpose_a)
    if op.type == "MatMul" and op.attrs["transpose_a"]:
        raise _unsupported(op, "transpose_a=True")
    _const(op, 1, "filter" if op.type != "MatMul" else "weight matrix")
    raise _unsupported(op, "not frozen: run it through trainer.freeze first")


@lowers("MaxPool2D", "AveragePool2D")
def _pool(ctx: LoweringContext, op: Operation) -> None:
    (kh, kw), (sh, sw) = op.attrs["ksize"], op.attrs["strides"]
    if tuple(op.attrs.get("dilations", (1, 1))) != (1, 1):
        raise _unsupported(op, f"dilations {op.attrs['dilations']}")
    options = {"padding": op.attrs["padding"], "stride_h": sh, "stride_w": sw, "filter_h": kh, "filter_w": kw}
    ctx.emit(op.type, op, [ctx.input(op, op.inputs[0])], **options)


@lowers("Mean")
def _mean(ctx: LoweringContext, op: Operation) -> None:
    axes = [int(a) for a in op.attrs["axis"]]
    if not axes:
        raise _unsupported(op, "an empty axis list")
    ctx.emit("Mean", op, [ctx.input(op, op.inputs[0])], axes=axes, keep_dims=bool(op.attrs["keepdims"]))


def _check_binary_ranks(op: Operation) -> None:
    for t in op.inputs:
        if t.shape.ndims is not None and t.shape.ndims > MAX_BINARY_RANK:
            raise _unsupported(op, f"input {t.name} has rank {t.shape.ndims} (at most 4 is supported)")


@lowers("Add", "Sub", "Mul", "BiasAdd")
def _binary(ctx: LoweringContext, op: Operation) -> None:
    _check_binary_ranks(op)
    opcode = "Add" if op.type == "BiasAdd" else op.type
    ctx.emit(opcode, op, [ctx.input(op, t) for t in op.inputs])


@lowers("RealDiv")
def _real_div(ctx: LoweringContext, op: Operation) -> None:
    _check_binary_ranks(op)
    d = _const(op, 1, "divisor").astype(np.float32)
    ins = [ctx.input(op, op.inputs[0]), ctx.constant(f"{op.name}/reciprocal", np.float32(1) / d)]
    ctx.emit("Mul", op, ins)


@lowers("Relu", "Relu6", "Sigmoid", "Tanh")
def _unary(ctx: LoweringContext, op: Operation) -> None:
    ctx.emit(op.type, op, [ctx.input(op, op.inputs[0])])


@lowers("Softmax")
def _softmax(ctx: LoweringContext, op: Operation) -> None:
    rank = op.inputs[0].shape.ndims
    if op.attrs["axis"] != rank - 1:
        raise _unsupported(op, f"axis {op.attrs['axis']} (only the last axis, {rank - 1}, is supported)")
    ctx.emit("Softmax", op, [ctx.input(op, op.inputs[0])], beta=1.0)


@lowers("Reshape", "Squeeze", "ExpandDims")
def _reshape(ctx: LoweringContext, op: Operation) -> None:
    out = op.outputs[0]
    if not out.shape.is_fully_defined():
        raise _unsupported(op, f"output shape {out.shape} is not static")
    ctx.emit("Reshape", op, [ctx.input(op, op.inputs[0])], new_shape=out.shape.as_list())


@lowers("Concatenation")
def _concat(ctx: LoweringContext, op: Operation) -> None:
    if len(op.inputs) > MAX_CONCAT_INPUTS:
        raise _unsupported(op, f"{len(op.inputs)} inputs (at most {MAX_CONCAT_INPUTS})")
    ctx.emit("Concatenation", op, [ctx.input(op, t) for t in op.inputs], axis=int(op.attrs["axis"]))


@lowers("Pad")
def _pad(ctx: LoweringContext, op: Operation) -> None:
    if float(op.attrs["constant_values"]) != 0.0:
        raise _unsupported(op, f"constant_values={op.attrs['constant_values']} (only zero padding)")
    paddings = [int(v) for pair in op.attrs["paddings"] for v in pair]
    ctx.emit("Pad", op, [ctx.input(op, op.inputs[0])], paddings=paddings)


@lowers("Transpose")
def _transpose(ctx: LoweringContext, op: Operation) -> None:
    ctx.emit("Transpose", op, [ctx.input(op, op.inputs[0])], perm=[int(p) for p in op.attrs["perm"]])


def supported_op_types() -> list[str]:
    """Trainer op types the exporter can lower (after freezing)."""
    return sorted(LOWERINGS)


def lower(
    frozen: FrozenGraph, *, description: str = "", metadata: dict[str, str] | None = None
) -> ModelBuilder:
    """A :class:`ModelBuilder` holding ``frozen`` as runtime ops (call ``finish()`` for the bytes).

    Raises :class:`UnsupportedError` for anything the runtime cannot run.
    """
    b = ModelBuilder(producer=PRODUCER, description=description)
    ctx = LoweringContext(b)
    for t in frozen.inputs:
        if t.op.type != "Placeholder":
            raise UnsupportedError(f"input {t.name} is not a placeholder of the frozen graph")
        if t.dtype.name != "float32":
            raise UnsupportedError(f"input {t.name} has dtype {t.dtype.name} (only float32 is supported)")
        if not t.shape.is_fully_defined():
            raise UnsupportedError(
                f"input {t.name} has shape {t.shape}: give every input a static shape (batch_size= or "
                "input_shapes=)"
            )
        ctx.index[t] = b.add_input(t.op.name, np.float32, t.shape.as_list())
    for op in frozen.graph.get_operations():
        if op.type in ("Placeholder", "Const"):
            continue
        fn = LOWERINGS.get(op.type)
        if fn is None:
            raise _unsupported(
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
    return b
