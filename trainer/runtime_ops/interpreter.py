"""A numpy interpreter of ``.tlm`` files with the C runtime's semantics, for machines without a C compiler.

>>> import numpy as np
>>> from trainer.tlm import ModelBuilder
>>> b = ModelBuilder()
>>> x = b.add_input("x", np.float32, [1, 2])
>>> y = b.add_tensor("y", np.float32, [1, 2])
>>> _ = b.add_op("Relu6", [x], [y])
>>> b.mark_output(y)
>>> ReferenceInterpreter(model_content=b.finish()).run(np.array([[-1.0, 7.0]], np.float32))
[array([[0., 6.]], dtype=float32)]

The semantics are the schema's (``schema/tensorlet.fbs``): NHWC images; SAME padding gives
``ceil(input / stride)`` outputs with the smaller half of the padding before, VALID gives
``ceil((input - effective_kernel + 1) / stride)``; average pooling divides by the number of real (unpadded)
elements of each window (TensorFlow's rule); max pooling never picks a padded position; fused activations
clamp the op's result. Each op computes in float64 and stores its result as float32, as the runtime stores
every tensor in float32. This interpreter trusts the file (it is for models our exporter wrote); the C
runtime is what verifies untrusted files. int8 models run with :func:`reference_run` (the int8 kernels of
:mod:`trainer.quant.kernels_int8`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from trainer.quant.fixed_point import activation_range_int8
from trainer.quant.kernels_int8 import (
    PoolGeom,
    add_int8,
    average_pool2d_int8,
    concat_int8,
    conv2d_int8,
    conv_geom,
    depthwise_conv2d_int8,
    dequantize,
    fc_int8,
    logistic_int8,
    max_pool2d_int8,
    mean_int8,
    mul_int8,
    prepare_activation,
    prepare_add_sub,
    prepare_channel_requant,
    prepare_mul,
    prepare_requantize,
    prepare_softmax,
    quantize,
    requantize_int8,
    softmax_int8,
    sub_int8,
    tanh_int8,
)
from trainer.quant.rewrite import tensor_qparams as _tq
from trainer.tlm import ModelInfo, OpInfo, plan_model, read_model
from trainer.window import window

Kernel = Callable[[OpInfo, list[np.ndarray], tuple[int, ...]], np.ndarray]
KERNELS: dict[str, Kernel] = {}


def kernel(*opcodes: str) -> Callable[[Kernel], Kernel]:
    def deco(fn: Kernel) -> Kernel:
        for code in opcodes:
            KERNELS[code] = fn
        return fn

    return deco


def _activate(y: np.ndarray, act: str) -> np.ndarray:
    if act == "RELU":
        return np.maximum(y, 0)
    if act == "RELU6":
        return np.clip(y, 0, 6)
    return y


def _taps(
    x: np.ndarray, kh: int, kw: int, o: dict[str, Any], fill: float, dilated: bool = True
) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    """For each kernel tap (i, j): the input it reads for every output pixel, and which reads are real."""
    _, h, w, _ = x.shape
    sh, sw = o["stride_h"], o["stride_w"]
    dh, dw = (o["dilation_h"], o["dilation_w"]) if dilated else (1, 1)
    oh, pt, pb = window(h, kh, sh, dh, o["padding"])
    ow, pl, pr = window(w, kw, sw, dw, o["padding"])
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=fill)
    real = np.pad(np.ones((1, h, w, 1)), ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + (oh - 1) * sh + 1, sh)
            cols = slice(j * dw, j * dw + (ow - 1) * sw + 1, sw)
            yield i, j, xp[:, rows, cols, :], real[:, rows, cols, :]


@kernel("FullyConnected")
def _fully_connected(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    x, w = ins[0], ins[1]
    y = x.reshape(-1, w.shape[1]) @ w.T
    if len(ins) > 2:
        y = y + ins[2]
    return _activate(y.reshape(shape), op.options["activation"])


@kernel("Conv2D")
def _conv2d(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    x, w = ins[0], ins[1]
    y = np.zeros(shape)
    for i, j, tap, _ in _taps(x, w.shape[1], w.shape[2], op.options, 0.0):
        y += np.einsum("nhwc,oc->nhwo", tap, w[:, i, j, :])
    if len(ins) > 2:
        y = y + ins[2]
    return _activate(y, op.options["activation"])


@kernel("DepthwiseConv2D")
def _depthwise_conv2d(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    x, w = ins[0], ins[1]
    m = op.options["depth_multiplier"]
    y = np.zeros(shape)
    for i, j, tap, _ in _taps(x, w.shape[1], w.shape[2], op.options, 0.0):
        y += np.repeat(tap, m, axis=3) * w[0, i, j, :]  # output channel k reads input channel k // m
    if len(ins) > 2:
        y = y + ins[2]
    return _activate(y, op.options["activation"])


@kernel("MaxPool2D")
def _max_pool(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    o = op.options
    y = np.full(shape, -np.inf)
    for _, _, tap, _ in _taps(ins[0], o["filter_h"], o["filter_w"], o, -np.inf, dilated=False):
        y = np.maximum(y, tap)
    return _activate(y, o["activation"])


@kernel("AveragePool2D")
def _average_pool(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    o = op.options
    total, count = np.zeros(shape), np.zeros((1, *shape[1:3], 1))
    for _, _, tap, real in _taps(ins[0], o["filter_h"], o["filter_w"], o, 0.0, dilated=False):
        total += tap
        count = count + real
    return _activate(total / count, o["activation"])


@kernel("Mean")
def _mean(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    x = ins[0]
    axes = tuple(sorted({a % x.ndim for a in op.options["axes"]}))
    return x.mean(axis=axes, keepdims=bool(op.options["keep_dims"])).reshape(shape)


@kernel("Add", "Sub", "Mul")
def _binary(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    a, b = ins
    y = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply}[op.opcode](a, b)
    return _activate(y, op.options["activation"])


_UNARY: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "Relu": lambda x: np.maximum(x, 0),
    "Relu6": lambda x: np.clip(x, 0, 6),
    "Sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "Tanh": np.tanh,
}


@kernel(*_UNARY)
def _unary(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    with np.errstate(over="ignore"):
        return _UNARY[op.opcode](ins[0])


@kernel("Softmax")
def _softmax(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    z = ins[0] * op.options["beta"]
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@kernel("Reshape")
def _reshape(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return ins[0].reshape(shape)  # the output tensor's shape is authoritative


@kernel("Concatenation")
def _concat(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return _activate(np.concatenate(ins, axis=op.options["axis"]), op.options["activation"])


@kernel("Pad")
def _pad(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    p = op.options["paddings"]
    return np.pad(ins[0], [(p[2 * i], p[2 * i + 1]) for i in range(ins[0].ndim)])


@kernel("Transpose")
def _transpose(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return ins[0].transpose(op.options["perm"])


class ReferenceInterpreter:
    """Runs a ``.tlm`` model in numpy; the methods follow :class:`pyruntime.Interpreter`'s ``run`` style."""

    def __init__(self, model_path: str | os.PathLike | None = None, model_content: bytes | None = None):
        if (model_path is None) == (model_content is None):
            raise ValueError("pass exactly one of model_path and model_content")
        if model_path is not None:
            with open(model_path, "rb") as f:
                model_content = f.read()
        self.model: ModelInfo = read_model(model_content)  # type: ignore[arg-type]
        for op in self.model.ops:
            if op.opcode not in KERNELS:
                raise NotImplementedError(
                    f"op {op.index} ({op.opcode}) is not supported by the reference interpreter yet"
                )

    def _details(self, indices: list[int]) -> list[dict[str, Any]]:
        return [
            {
                "index": i,
                "name": self.model.tensors[i].name,
                "shape": np.array(self.model.tensors[i].shape, np.int32),
                "dtype": self.model.tensors[i].dtype.type,
            }
            for i in indices
        ]

    def get_input_details(self) -> list[dict[str, Any]]:
        return self._details(self.model.inputs)

    def get_output_details(self) -> list[dict[str, Any]]:
        return self._details(self.model.outputs)

    @property
    def arena_bytes(self) -> int:
        """The arena the C runtime plans for this model (same algorithm)."""
        return plan_model(self.model).arena_bytes

    def run_all(self, *inputs: np.ndarray) -> dict[int, np.ndarray]:
        """Every tensor's value (constants, inputs, each op's outputs) by tensor index."""
        m = self.model
        if len(inputs) != len(m.inputs):
            raise ValueError(f"run() takes {len(m.inputs)} inputs, got {len(inputs)}")
        values: dict[int, np.ndarray] = {t.index: t.data for t in m.tensors if t.data is not None}
        for idx, value in zip(m.inputs, inputs, strict=True):
            t = m.tensors[idx]
            value = np.asarray(value)
            if value.dtype != t.dtype or value.shape != t.shape:
                raise ValueError(
                    f"input {t.name!r}: got {value.dtype} {value.shape}, expected {t.dtype} {t.shape} "
                    "(no casting)"
                )
            values[idx] = value
        for op in m.ops:
            out = m.tensors[op.outputs[0]]
            args = [values[i].astype(np.float64) for i in op.inputs]
            y = KERNELS[op.opcode](op, args, out.shape)
            values[out.index] = np.asarray(y, dtype=np.float64).reshape(out.shape).astype(out.dtype)
        return values

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """Outputs (float32 copies) for one array per graph input."""
        values = self.run_all(*inputs)
        return [values[i].copy() for i in self.model.outputs]


# ---- whole models: the numpy int8 interpreter (every op of a .tlm with the kernels above) ----

_ACT = {"NONE": 0, "RELU": 1, "RELU6": 2, 0: 0, 1: 1, 2: 2}


def _run_int8_op(op, m, values: dict[int, np.ndarray]) -> np.ndarray:
    """One int8 op of ModelInfo ``m`` with the prepare rules of runtime_c/src/ops/*_int8.c."""
    ins = [values[i] for i in op.inputs]
    xt, yt = m.tensors[op.inputs[0]], m.tensors[op.outputs[0]]
    o, code = op.options, op.opcode
    act = _ACT[o.get("activation", "NONE")]
    if code in ("FullyConnected", "Conv2D", "DepthwiseConv2D"):
        s_in, zp_in = _tq(xt)
        s_out, zp_out = _tq(yt)
        wt = m.tensors[op.inputs[1]]
        rq = prepare_channel_requant(s_in, np.asarray(wt.quantization.scale, np.float32), s_out, zp_out, act)
        bias = ins[2] if len(ins) == 3 else None
        if code == "FullyConnected":
            x = ins[0].reshape(-1, ins[0].shape[-1])
            return fc_int8(x, ins[1], bias, zp_in, rq).reshape(yt.shape)
        kh, kw = ins[1].shape[1], ins[1].shape[2]
        g = conv_geom(
            xt.shape[1],
            xt.shape[2],
            kh,
            kw,
            (o["stride_h"], o["stride_w"]),
            (o["dilation_h"], o["dilation_w"]),
            o["padding"],
        )
        if code == "Conv2D":
            return conv2d_int8(ins[0], ins[1], bias, g, zp_in, rq)
        return depthwise_conv2d_int8(ins[0], ins[1], bias, g, o["depth_multiplier"], zp_in, rq)
    if code in ("Add", "Sub", "Mul"):
        (sa, za), (sb, zb), (so, zo) = _tq(xt), _tq(m.tensors[op.inputs[1]]), _tq(yt)
        if code == "Mul":
            return mul_int8(ins[0], ins[1], prepare_mul(sa, za, sb, zb, so, zo, act))
        p = prepare_add_sub(sa, za, sb, zb, so, zo, act)
        return (add_int8 if code == "Add" else sub_int8)(ins[0], ins[1], p)
    if code == "Dequantize":
        return dequantize(ins[0], *_tq(xt))
    (si, zi), (so, zo) = _tq(xt), _tq(yt)
    if code in ("MaxPool2D", "AveragePool2D"):
        g = conv_geom(
            xt.shape[1],
            xt.shape[2],
            o["filter_h"],
            o["filter_w"],
            (o["stride_h"], o["stride_w"]),
            (1, 1),
            o["padding"],
        )
        lo, hi = activation_range_int8(act, so, zo)
        fn = max_pool2d_int8 if code == "MaxPool2D" else average_pool2d_int8
        return fn(
            ins[0], PoolGeom(o["filter_h"], o["filter_w"], g), prepare_requantize(si, zi, so, zo, lo, hi)
        )
    if code == "Mean":
        return mean_int8(ins[0], o["axes"], o["keep_dims"], prepare_requantize(si, zi, so, zo))
    if code in ("Relu", "Relu6"):
        lo, hi = activation_range_int8(1 if code == "Relu" else 2, so, zo)
        return requantize_int8(ins[0], prepare_requantize(si, zi, so, zo, lo, hi))
    if code == "Sigmoid":
        return logistic_int8(ins[0], prepare_activation(si, zi))
    if code == "Tanh":
        return tanh_int8(ins[0], prepare_activation(si, zi))
    if code == "Softmax":
        return softmax_int8(ins[0], prepare_softmax(o["beta"], si))
    if code == "Concatenation":
        lo, hi = activation_range_int8(act, so, zo)
        params = [prepare_requantize(*_tq(m.tensors[i]), so, zo, lo, hi) for i in op.inputs]
        return concat_int8(ins, o["axis"], params)
    if code == "Reshape":
        return ins[0].reshape(yt.shape)
    if code == "Transpose":
        return np.transpose(ins[0], o["perm"])
    if code == "Pad":
        p = o["paddings"]
        return np.pad(ins[0], [(p[2 * k], p[2 * k + 1]) for k in range(ins[0].ndim)], constant_values=zo)
    raise NotImplementedError(f"op {op.index} ({code}) has no int8 reference")


def reference_run_all(model: bytes, *inputs: np.ndarray) -> dict[int, np.ndarray]:
    """Every tensor of a (possibly mixed float32 / int8) model, computed in numpy with the runtime's integer
    arithmetic for int8 ops: the bit-exact counterpart of the C runtime on whole models."""
    m = read_model(model)
    values: dict[int, np.ndarray] = {t.index: t.data for t in m.tensors if t.data is not None}
    for idx, value in zip(m.inputs, inputs, strict=True):
        values[idx] = np.asarray(value)
    for op in m.ops:
        out = m.tensors[op.outputs[0]]
        x0 = m.tensors[op.inputs[0]]
        if op.opcode == "Quantize":
            s, z = _tq(out)
            y = quantize(values[op.inputs[0]], s, z)
        elif x0.dtype == np.int8:
            y = _run_int8_op(op, m, values)
        else:
            args = [values[i].astype(np.float64) for i in op.inputs]
            y = KERNELS[op.opcode](op, args, out.shape)
        values[out.index] = np.asarray(y).reshape(out.shape).astype(out.dtype)
    return values


def reference_run(model: bytes, *inputs: np.ndarray) -> list[np.ndarray]:
    """The graph outputs of :func:`reference_run_all`."""
    values = reference_run_all(model, *inputs)
    return [values[i] for i in read_model(model).outputs]
