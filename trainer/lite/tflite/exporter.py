"""``.tlm`` -> ``.tflite``: the same graph written as a TFLite FlatBuffer (schema version 3, one subgraph),
for LiteRT, TFLite Micro, Netron and the rest of that ecosystem.

Tensors keep their ``.tlm`` indices, names, shapes and quantization; constants get one TFLite buffer each
(buffer 0 is TFLite's empty sentinel). What TFLite takes as input tensors but tensorlet as options (the axes
of Mean, Sum and ReduceMax, Pad's paddings, Transpose's perm, Reshape's shape) and the float32 outputs of
the DEQUANTIZE ops TFLite needs before float16 weights are appended after the ``.tlm`` tensors. The ``.tlm``
metadata (producer, entries) travels in a TFLite metadata buffer named ``tensorlet_metadata``, so importing
the file again gives the original ``.tlm`` byte for byte (for files whose tensors are numbered in order of
first use, as tensorlet's converter and builder write them).

``micro=True`` writes the file for TFLite Micro, whose kernels take less than LiteRT's (docs/tflite.md
section 8): float16 weights become float32 constants (its DEQUANTIZE takes no float16); an int8 Relu6 whose
output parameters differ from its input's becomes RELU, plus a MINIMUM with the quantized 6 where that bound
is inside int8 (TFLite Micro's RELU6 clamps in the input's parameters and never requantizes); a
Concatenation with a fused activation becomes CONCATENATION then RELU or RELU6 (TFLite Micro refuses the
fused one); an int8 AveragePool2D with differing input and output parameters, which TFLite Micro refuses
and no exact rewrite exists for, is refused by name. The outputs stay the same on LiteRT; importing such a
file gives an equivalent model, not the original bytes.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import flatbuffers
import numpy as np

from trainer.lite.tflite import schema
from trainer.lite.tflite.context import NO_BIAS
from trainer.lite.tflite.errors import TFLiteImportError
from trainer.quant.fixed_point import activation_range_int8
from trainer.tlm import read_model

METADATA_NAME = "tensorlet_metadata"
_TYPES = {
    np.dtype("float32"): 0, np.dtype("float16"): 1, np.dtype("int32"): 2, np.dtype("uint8"): 3,
    np.dtype("int64"): 4, np.dtype("bool"): 6, np.dtype("int16"): 7, np.dtype("int8"): 9,
}  # fmt: skip
_ACT = {"NONE": 0, "RELU": 1, "RELU6": 3}
_PAD = {"SAME": 0, "VALID": 1}
_OPS = {
    "Add": "ADD", "Sub": "SUB", "Mul": "MUL", "FullyConnected": "FULLY_CONNECTED", "Conv2D": "CONV_2D",
    "DepthwiseConv2D": "DEPTHWISE_CONV_2D", "MaxPool2D": "MAX_POOL_2D", "AveragePool2D": "AVERAGE_POOL_2D",
    "Mean": "MEAN", "Relu": "RELU", "Relu6": "RELU6", "Sigmoid": "LOGISTIC", "Tanh": "TANH",
    "Softmax": "SOFTMAX", "Reshape": "RESHAPE", "Concatenation": "CONCATENATION", "Pad": "PAD",
    "Transpose": "TRANSPOSE", "Quantize": "QUANTIZE", "Dequantize": "DEQUANTIZE", "Maximum": "MAXIMUM",
    "Minimum": "MINIMUM", "Abs": "ABS", "Neg": "NEG", "Square": "SQUARE", "Sqrt": "SQRT", "Rsqrt": "RSQRT",
    "Exp": "EXP", "Log": "LOG", "Elu": "ELU", "LeakyRelu": "LEAKY_RELU", "Div": "DIV",
    "SquaredDifference": "SQUARED_DIFFERENCE", "BatchMatMul": "BATCH_MATMUL", "HardSwish": "HARD_SWISH",
    "Gelu": "GELU", "Split": "SPLIT", "TransposeConv": "TRANSPOSE_CONV", "PRelu": "PRELU",
    "StridedSlice": "STRIDED_SLICE",
    "L2Normalization": "L2_NORMALIZATION", "Pack": "PACK", "Unpack": "UNPACK",
    "ResizeBilinear": "RESIZE_BILINEAR", "ResizeNearestNeighbor": "RESIZE_NEAREST_NEIGHBOR",
    "Gather": "GATHER", "Sum": "SUM", "ReduceMax": "REDUCE_MAX",
    "ArgMax": "ARG_MAX", "ArgMin": "ARG_MIN",
}  # fmt: skip
_WEIGHTED = ("FullyConnected", "Conv2D", "DepthwiseConv2D")


def _vector(b: flatbuffers.Builder, values: list, width: int, prepend: Any) -> int:
    b.StartVector(width, len(values), width)
    for v in reversed(values):
        prepend(v)
    return b.EndVector()


def _ints(b: flatbuffers.Builder, values) -> int:
    return _vector(b, [int(v) for v in values], 4, b.PrependInt32)


def _offsets(b: flatbuffers.Builder, offsets: list[int]) -> int:
    return _vector(b, offsets, 4, b.PrependUOffsetTRelative)


def _bytes(b: flatbuffers.Builder, data: bytes) -> int:
    b.StartVector(1, len(data), 16)  # 16-byte aligned, as TFLite's own writer does
    b.head = b.head - len(data)
    b.Bytes[b.head : b.head + len(data)] = data
    return b.EndVector()


def _table(b: flatbuffers.Builder, n_slots: int, fields: list[tuple[int, str, Any]]) -> int:
    """A table of scalars: (slot, kind, value) with kind b (int8), i (int32), f (float32), ? (bool)."""
    b.StartObject(n_slots)
    for slot, kind, value in fields:
        add = {
            "b": b.PrependInt8Slot,
            "i": b.PrependInt32Slot,
            "f": b.PrependFloat32Slot,
            "?": b.PrependBoolSlot,
        }
        add[kind](slot, value, 0 if kind != "f" else 0.0)
    return b.EndObject()


class _Graph:
    """The TFLite tensors, buffers and operators, filled from a .tlm model (``micro``: for TFLite Micro)."""

    def __init__(self, info, micro: bool = False) -> None:
        self.info = info
        self.micro = micro
        self.tensors: list[dict] = []  # name, type, shape, data (bytes or None), quant
        self.ops: list[tuple[str, list[int], list[int], str | None, list]] = []
        for t in info.tensors:
            if t.dtype not in _TYPES:
                raise TFLiteImportError(f"tensor {t.index} ({t.name!r}): dtype {t.dtype} has no TFLite type")
            q = t.quantization
            self.tensors.append(
                {
                    "name": t.name,
                    "type": _TYPES[t.dtype],
                    "shape": list(t.shape),
                    "data": None
                    if t.data is None
                    else np.ascontiguousarray(t.data).astype(t.dtype.newbyteorder("<")).tobytes(),
                    "quant": None
                    if q is None or not q.scale
                    else (list(q.scale), list(q.zero_point), q.axis),
                }
            )
        self.dequantized: dict[int, int] = {}

    def const(self, name: str, array: np.ndarray) -> int:
        a = np.ascontiguousarray(array, dtype=np.int32)
        self.tensors.append(
            {
                "name": name,
                "type": 2,
                "shape": list(a.shape),
                "data": a.astype("<i4").tobytes(),
                "quant": None,
            }
        )
        return len(self.tensors) - 1

    def requantized(self, i: int, like: int) -> int:
        """Tensor ``i`` requantized (a QUANTIZE op) to the parameters of tensor ``like`` when they differ."""
        if self.tensors[i]["quant"] == self.tensors[like]["quant"]:
            return i
        t = self.tensors[i]
        self.tensors.append(
            {**t, "name": f"{t['name']}/requantized", "data": None, "quant": self.tensors[like]["quant"]}
        )
        self.ops.append(("QUANTIZE", [i], [len(self.tensors) - 1], None, []))
        return len(self.tensors) - 1

    def zero_bias(self, op) -> int:
        x, w = (self.info.tensors[i] for i in op.inputs[:2])
        y = self.info.tensors[op.outputs[0]]
        channels = w.shape[0] if op.opcode == "Conv2D" else w.shape[3]
        name = f"{y.name}{NO_BIAS}"
        if x.quantization is None or not x.quantization.scale:  # float
            self.tensors.append({"name": name, "type": 0, "shape": [channels], "quant": None,
                                 "data": np.zeros(channels, "<f4").tobytes()})  # fmt: skip
        else:
            ws = np.broadcast_to(np.asarray(w.quantization.scale, np.float64), [channels])
            scale = [float(np.float32(x.quantization.scale[0] * s)) for s in ws]
            quant = (scale, [0] * channels, 0)
            self.tensors.append({"name": name, "type": 2, "shape": [channels], "quant": quant,
                                 "data": np.zeros(channels, "<i4").tobytes()})  # fmt: skip
        return len(self.tensors) - 1

    def weight(self, i: int) -> int:
        """A float16 constant goes through a DEQUANTIZE op (TFLite kernels take float32 weights); for TFLite
        Micro, whose DEQUANTIZE takes no float16, it becomes a float32 constant (the same values)."""
        t = self.info.tensors[i]
        if t.data is None or t.dtype != np.float16:
            return i
        if self.micro:
            self.tensors[i] = {**self.tensors[i], "type": 0, "data": np.asarray(t.data, "<f4").tobytes()}
            return i
        if i not in self.dequantized:
            self.tensors.append(
                {"name": t.name, "type": 0, "shape": list(t.shape), "data": None, "quant": None}
            )
            out = len(self.tensors) - 1
            self.ops.insert(0, ("DEQUANTIZE", [i], [out], None, []))
            self.dequantized[i] = out
        return self.dequantized[i]

    def intermediate(self, like: int, suffix: str) -> int:
        """A new non-constant tensor with the type, shape and quantization of tensor ``like``."""
        t = self.tensors[like]
        self.tensors.append({**t, "name": f"{t['name']}{suffix}", "data": None})
        return len(self.tensors) - 1

    def int8_scalar(self, value: int, like: int, suffix: str) -> int:
        """A constant int8 [1] holding ``value``, quantized as tensor ``like``."""
        t = self.tensors[like]
        self.tensors.append(
            {**t, "name": f"{t['name']}{suffix}", "shape": [1], "data": np.int8(value).tobytes()}
        )
        return len(self.tensors) - 1


def _micro_relu6(g: _Graph, op) -> bool:
    """TFLite Micro's int8 RELU6 clamps to [zp, zp + round(6 / scale)] of its input and never requantizes,
    so a Relu6 with other output parameters is written as RELU (requantize, clamp below at the output zero
    point) and, where the output's quantized 6 is below 127, a MINIMUM with it: the same numbers on both
    runtimes."""
    x, y = op.inputs[0], op.outputs[0]
    qx, qy = g.tensors[x]["quant"], g.tensors[y]["quant"]
    if qy is None or qx == qy or len(qy[0]) != 1:
        return False
    _, six = activation_range_int8(2, float(qy[0][0]), int(qy[1][0]))  # the runtime's clamp
    if six >= 127:
        g.ops.append(("RELU", [x], [y], None, []))
        return True
    relu = g.intermediate(y, "/relu")
    g.ops.append(("RELU", [x], [relu], None, []))
    g.ops.append(("MINIMUM", [relu, g.int8_scalar(six, y, "/six")], [y], None, []))
    return True


def _requantizes(g: _Graph, ins: list[int], out: int) -> bool:
    q = g.tensors[out]["quant"]
    return q is not None and any(
        g.tensors[i]["quant"] is not None and g.tensors[i]["quant"] != q for i in ins
    )


def _convert_op(g: _Graph, op) -> None:
    o = op.options
    ins, outs = list(op.inputs), list(op.outputs)
    x_shape = g.info.tensors[ins[0]].shape if ins else ()
    name = _OPS.get(op.opcode)
    if name is None:
        raise TFLiteImportError(f"op {op.index} ({op.opcode}) has no TFLite export")
    if g.micro and op.opcode == "Relu6" and _micro_relu6(g, op):
        return
    if op.opcode == "Sum" and g.tensors[ins[0]]["quant"] and not _requantizes(g, ins, outs[0]):
        raise TFLiteImportError(
            f"op {op.index} (Sum): TFLite's int8 SUM with equal input and output parameters adds the raw "
            "values in int8 (wrapping) instead of rescaling; give the output its own parameters"
        )
    if g.micro and op.opcode == "AveragePool2D" and _requantizes(g, ins, outs[0]):
        raise TFLiteImportError(
            f"op {op.index} (AveragePool2D): TFLite Micro needs equal input and output parameters for int8 "
            "AVERAGE_POOL_2D, and no exact rewrite exists (export without micro for LiteRT)"
        )
    if g.micro and op.opcode == "Concatenation" and o["activation"] != "NONE":
        # TFLite Micro refuses CONCATENATION with a fused activation: concatenate, then RELU / RELU6 on
        # equal parameters (a clamp, what the fused activation does after the inputs' requantization)
        joined = g.intermediate(outs[0], "/concat")
        _convert_op(g, dataclasses.replace(op, outputs=[joined], options={**o, "activation": "NONE"}))
        g.ops.append((o["activation"], [joined], outs, None, []))
        return
    if op.opcode in _WEIGHTED:
        ins = [ins[0], *[g.weight(i) for i in ins[1:]]]
        if len(ins) == 2 and op.opcode == "FullyConnected":
            ins.append(-1)
        elif len(ins) == 2:  # LiteRT's convolutions need a bias: zeros, which the importer drops again
            ins.append(g.zero_bias(op))
    opts: tuple[str, list] | None = None
    if op.opcode in ("Add", "Sub", "Mul"):
        opts = (f"{op.opcode}Options", [(0, "b", _ACT[o["activation"]])])
    elif op.opcode == "FullyConnected":
        opts = ("FullyConnectedOptions", [(0, "b", _ACT[o["activation"]]), (2, "?", len(x_shape) != 2)])
    elif op.opcode in ("Conv2D", "DepthwiseConv2D"):
        common = [(0, "b", _PAD[o["padding"]]), (1, "i", o["stride_w"]), (2, "i", o["stride_h"])]
        if op.opcode == "Conv2D":
            extra = [(3, "b", _ACT[o["activation"]]), (4, "i", o["dilation_w"]), (5, "i", o["dilation_h"])]
        else:
            extra = [
                (3, "i", o["depth_multiplier"]), (4, "b", _ACT[o["activation"]]),
                (5, "i", o["dilation_w"]), (6, "i", o["dilation_h"]),
            ]  # fmt: skip
        opts = (f"{op.opcode}Options", common + extra)
    elif op.opcode in ("MaxPool2D", "AveragePool2D"):
        opts = (
            "Pool2DOptions",
            [
                (0, "b", _PAD[o["padding"]]), (1, "i", o["stride_w"]), (2, "i", o["stride_h"]),
                (3, "i", o["filter_w"]), (4, "i", o["filter_h"]), (5, "b", _ACT[o["activation"]]),
            ],
        )  # fmt: skip
    elif op.opcode in ("Mean", "Sum", "ReduceMax"):
        ins.append(g.const(f"{g.info.tensors[outs[0]].name}/axes", np.asarray(o["axes"])))
        opts = ("ReducerOptions", [(0, "?", bool(o["keep_dims"]))])
    elif op.opcode in ("ArgMax", "ArgMin"):  # the axis as an int32 constant input, output_type the output's
        ins.append(g.const(f"{g.info.tensors[outs[0]].name}/axis", np.asarray([o["axis"]], np.int32)))
        opts = (f"{op.opcode}Options", [(0, "b", g.tensors[outs[0]]["type"])])
    elif op.opcode == "Softmax":
        opts = ("SoftmaxOptions", [(0, "f", float(o["beta"]))])
    elif op.opcode == "Reshape":
        shape = list(g.info.tensors[outs[0]].shape)
        ins.append(g.const(f"{g.info.tensors[outs[0]].name}/shape", np.asarray(shape)))
        opts = ("ReshapeOptions", [("new_shape", "[i]", shape)])
    elif op.opcode == "Concatenation" and _requantizes(g, ins, outs[0]):
        # TFLite's int8 Concatenation needs equal parameters: requantize with QUANTIZE ops (int8 -> int8)
        if len(ins) == 1 and o["activation"] == "NONE":
            g.ops.append(("QUANTIZE", ins, outs, None, []))
            return
        ins = [g.requantized(i, outs[0]) for i in ins]
        opts = ("ConcatenationOptions", [(0, "i", o["axis"]), (1, "b", _ACT[o["activation"]])])
    elif op.opcode == "Concatenation":
        opts = ("ConcatenationOptions", [(0, "i", o["axis"]), (1, "b", _ACT[o["activation"]])])
    elif op.opcode in ("Maximum", "Minimum") and _requantizes(g, ins, outs[0]):
        # TFLite's int8 MAXIMUM / MINIMUM compare raw values: requantize the inputs to the output (QUANTIZE)
        ins = [g.requantized(i, outs[0]) for i in ins]
    elif op.opcode == "Pad":
        pads = np.asarray(o["paddings"]).reshape(-1, 2)
        ins.append(g.const(f"{g.info.tensors[outs[0]].name}/paddings", pads))
        opts = ("PadOptions", [])
    elif op.opcode == "Div":
        opts = ("DivOptions", [(0, "b", 0)])
    elif op.opcode == "LeakyRelu":
        opts = ("LeakyReluOptions", [(0, "f", float(o["alpha"]))])
    elif op.opcode == "TransposeConv":  # TFLite's inputs: output_shape, weights, input, bias
        out_shape = g.const(
            f"{g.info.tensors[outs[0]].name}/output_shape", np.asarray(g.info.tensors[outs[0]].shape)
        )
        ins = [out_shape, g.weight(ins[1]), ins[0], *[g.weight(i) for i in ins[2:]]]
        opts = (
            "TransposeConvOptions",
            [(0, "b", _PAD[o["padding"]]), (1, "i", o["stride_w"]), (2, "i", o["stride_h"]),
             (3, "b", _ACT[o["activation"]])],
        )  # fmt: skip
    elif op.opcode == "BatchMatMul":
        opts = ("BatchMatMulOptions", [(0, "?", bool(o["adj_x"])), (1, "?", bool(o["adj_y"]))])
    elif op.opcode == "L2Normalization":
        opts = ("L2NormOptions", [(0, "b", 0)])
    elif op.opcode == "Gelu":
        opts = ("GeluOptions", [(0, "?", bool(o["approximate"]))])
    elif op.opcode == "Transpose":
        ins.append(g.const(f"{g.info.tensors[outs[0]].name}/perm", np.asarray(o["perm"])))
        opts = ("TransposeOptions", [])
    elif op.opcode == "Pack":  # TFLite's int8 PACK needs equal parameters: requantize (QUANTIZE) the others
        ins = [g.requantized(i, outs[0]) for i in ins]
        opts = ("PackOptions", [(0, "i", len(ins)), (1, "i", o["axis"])])
    elif op.opcode == "Gather":  # the indices stay the int32 tensor they are; batch_dims 0
        opts = ("GatherOptions", [(0, "i", o["axis"]), (1, "i", 0)])
    elif op.opcode == "Unpack":
        opts = ("UnpackOptions", [(0, "i", len(outs)), (1, "i", o["axis"])])
    elif op.opcode in ("ResizeBilinear", "ResizeNearestNeighbor"):  # size stays the int32 input it is
        first = 2 if op.opcode == "ResizeBilinear" else 0  # ResizeBilinearOptions' fields 0, 1 are deprecated
        flags = [(first, "?", bool(o["align_corners"])), (first + 1, "?", bool(o["half_pixel_centers"]))]
        opts = (f"{op.opcode}Options", flags)
    elif op.opcode == "StridedSlice":  # begin, end, strides stay the int32 input tensors they are
        opts = (
            "StridedSliceOptions",
            [(0, "i", o["begin_mask"]), (1, "i", o["end_mask"]), (4, "i", o["shrink_axis_mask"])],
        )
    elif op.opcode == "Split":  # SPLIT for equal pieces, SPLIT_V for any; the axis as a constant input
        axis = o["axis"] % len(x_shape)
        sizes = [g.info.tensors[i].shape[axis] for i in outs]
        axis_t = g.const(f"{g.info.tensors[outs[0]].name}/axis", np.asarray(axis, np.int32))
        if len(set(sizes)) == 1:
            ins = [axis_t, ins[0]]
            opts = ("SplitOptions", [(0, "i", len(outs))])
        else:
            name = "SPLIT_V"
            sizes_t = g.const(f"{g.info.tensors[outs[0]].name}/size_splits", np.asarray(sizes, np.int32))
            ins = [ins[0], sizes_t, axis_t]
            opts = ("SplitVOptions", [(0, "i", len(outs))])
    g.ops.append((name, ins, outs, opts[0] if opts else None, opts[1] if opts else []))


def to_tflite(tlm: bytes, micro: bool = False) -> bytes:
    """The ``.tflite`` bytes of a ``.tlm`` model (one line TFLiteImportError for what TFLite cannot hold);
    ``micro``: written for TFLite Micro's kernels (the module's docstring)."""
    try:
        info = read_model(bytes(tlm))
    except Exception as e:  # read_model trusts the structure: verify untrusted files with pyruntime first
        raise TFLiteImportError(f"not a valid .tlm model: {type(e).__name__}: {e}") from None
    g = _Graph(info, micro)
    for op in info.ops:
        _convert_op(g, op)
    b = flatbuffers.Builder(1024)
    # buffers: 0 empty; then one per constant tensor, in tensor order
    buffer_of: dict[int, int] = {}
    datas: list[bytes] = []
    for i, t in enumerate(g.tensors):
        if t["data"] is not None:
            datas.append(t["data"])
            buffer_of[i] = len(datas)
    meta = json.dumps(
        {"producer": info.metadata.producer, "entries": list(info.metadata.entries.items())}, sort_keys=True
    ).encode()
    datas.append(meta)
    meta_buffer = len(datas)
    buffer_offsets = []
    for data in [b"", *datas]:
        off = _bytes(b, data) if data else None
        b.StartObject(3)
        if off is not None:
            b.PrependUOffsetTRelativeSlot(schema.BUFFER["data"], off, 0)
        buffer_offsets.append(b.EndObject())
    tensor_offsets = []
    for i, t in enumerate(g.tensors):
        name = b.CreateString(t["name"]) if t["name"] else None
        shape = _ints(b, t["shape"])
        quant = None
        if t["quant"] is not None:
            scale, zp, axis = t["quant"]
            s_off = _vector(b, [float(s) for s in scale], 4, b.PrependFloat32)
            z_off = _vector(b, [int(z) for z in zp], 8, b.PrependInt64)
            b.StartObject(7)
            b.PrependUOffsetTRelativeSlot(schema.QUANTIZATION["scale"], s_off, 0)
            b.PrependUOffsetTRelativeSlot(schema.QUANTIZATION["zero_point"], z_off, 0)
            b.PrependInt32Slot(schema.QUANTIZATION["quantized_dimension"], int(axis), 0)
            quant = b.EndObject()
        b.StartObject(11)
        b.PrependUOffsetTRelativeSlot(schema.TENSOR["shape"], shape, 0)
        b.PrependInt8Slot(schema.TENSOR["type"], t["type"], 0)
        b.PrependUint32Slot(schema.TENSOR["buffer"], buffer_of.get(i, 0), 0)
        if name is not None:
            b.PrependUOffsetTRelativeSlot(schema.TENSOR["name"], name, 0)
        if quant is not None:
            b.PrependUOffsetTRelativeSlot(schema.TENSOR["quantization"], quant, 0)
        tensor_offsets.append(b.EndObject())
    codes: list[int] = []
    op_offsets = []
    for name, ins, outs, opt_table, fields in g.ops:
        code = schema.BUILTIN_OPERATORS.index(name)
        if code not in codes:
            codes.append(code)
        options = None
        if opt_table is not None:
            if fields and fields[0][0] == "new_shape":  # ReshapeOptions: its one field is a vector
                shape_off = _ints(b, fields[0][2])
                b.StartObject(1)
                b.PrependUOffsetTRelativeSlot(schema.RESHAPE_OPTIONS_NEW_SHAPE, shape_off, 0)
                options = b.EndObject()
            else:
                options = _table(b, 8, fields)
        i_off, o_off = _ints(b, ins), _ints(b, outs)
        b.StartObject(14)
        b.PrependUint32Slot(schema.OPERATOR["opcode_index"], codes.index(code), 0)
        b.PrependUOffsetTRelativeSlot(schema.OPERATOR["inputs"], i_off, 0)
        b.PrependUOffsetTRelativeSlot(schema.OPERATOR["outputs"], o_off, 0)
        if options is not None:
            b.PrependUint8Slot(schema.OPERATOR["builtin_options_type"], schema.BUILTIN_OPTIONS[opt_table], 0)
            b.PrependUOffsetTRelativeSlot(schema.OPERATOR["builtin_options"], options, 0)
        op_offsets.append(b.EndObject())
    code_offsets = []
    for code in codes:
        b.StartObject(4)
        b.PrependInt8Slot(schema.OPERATOR_CODE["deprecated_builtin_code"], min(code, 127), 0)
        b.PrependInt32Slot(schema.OPERATOR_CODE["version"], 1, 1)
        b.PrependInt32Slot(schema.OPERATOR_CODE["builtin_code"], code, 0)
        code_offsets.append(b.EndObject())
    sg_vectors = (
        _offsets(b, tensor_offsets), _ints(b, info.inputs), _ints(b, info.outputs), _offsets(b, op_offsets),
    )  # fmt: skip
    sg_name = b.CreateString("main")
    b.StartObject(6)
    for slot, off in zip((0, 1, 2, 3), sg_vectors, strict=True):
        b.PrependUOffsetTRelativeSlot(slot, off, 0)
    b.PrependUOffsetTRelativeSlot(schema.SUBGRAPH["name"], sg_name, 0)
    subgraph = b.EndObject()
    meta_name = b.CreateString(METADATA_NAME)
    b.StartObject(2)
    b.PrependUOffsetTRelativeSlot(0, meta_name, 0)
    b.PrependUint32Slot(1, meta_buffer, 0)
    metadata = b.EndObject()
    model_vectors = {
        "operator_codes": _offsets(b, code_offsets),
        "subgraphs": _offsets(b, [subgraph]),
        "buffers": _offsets(b, buffer_offsets),
        "metadata": _offsets(b, [metadata]),
    }
    description = b.CreateString(info.metadata.description)
    b.StartObject(10)
    b.PrependUint32Slot(schema.MODEL["version"], 3, 0)
    b.PrependUOffsetTRelativeSlot(schema.MODEL["operator_codes"], model_vectors["operator_codes"], 0)
    b.PrependUOffsetTRelativeSlot(schema.MODEL["subgraphs"], model_vectors["subgraphs"], 0)
    b.PrependUOffsetTRelativeSlot(schema.MODEL["description"], description, 0)
    b.PrependUOffsetTRelativeSlot(schema.MODEL["buffers"], model_vectors["buffers"], 0)
    b.PrependUOffsetTRelativeSlot(schema.MODEL["metadata"], model_vectors["metadata"], 0)
    model = b.EndObject()
    b.Finish(model, file_identifier=schema.FILE_IDENTIFIER)
    return bytes(b.Output())
