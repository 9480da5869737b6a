"""tensorlet (reference and optimized kernels) side by side with LiteRT and ONNX Runtime, 1 and 2 threads.

Three models with the same random weights in every runtime: the MLP 784-256-256-10, the CNN
conv3x3x32-pool-conv3x3x64-pool-dense128-dense10 on 28x28x1, and MobileNetV1 width 0.5 at 128x128x3 with
1000 classes (batch 1, ReLU/ReLU6, folded batch norm, SAME padding). Each model is described once as a list
of layers (numpy weights) and emitted three ways: a .tlm with trainer.tlm.ModelBuilder, a Keras model
converted by tensorflow's TFLiteConverter and run by ai_edge_litert, and an ONNX graph (NCHW, weights
transposed to match) run by onnxruntime. Outputs are checked against each other before timing.

Threads (`--threads`, default 1 2): every runtime runs at each count (LiteRT `num_threads`, ONNX Runtime
`intra_op_num_threads`, pyruntime `Interpreter(num_threads=N)`, `tl_bench --threads N` when tl_bench has it);
ratios are to LiteRT at the same count.

Timing: every runtime's invoke is timed from Python (inputs set once; ONNX Runtime's run() also binds the
input, as its API needs), in interleaved rounds (each round times `--per-round` invokes of every runtime at
every thread count in turn), and the medians over all rounds are printed with ratios to LiteRT. With
`--calls N` single invokes are timed instead, one thread count after the other: N times one invoke of every
runtime at that count in turn, and the minimum and the median of each are printed with both ratios to LiteRT
(on a machine whose load comes in phases, a phase then falls on every runtime alike, and the minimum is the
least disturbed figure; interleaved rounds' medians move with it). `--no-reference-timing` still checks the
outputs against tensorlet's reference kernels but leaves them out of the timing: their invokes, 10-40x slower,
otherwise run between the others' and evict their caches. tensorlet is
also timed with `tl_bench` (C, no Python) at both kernel levels, which also reports the arena and the caller
memory. Peak RSS: each runtime and thread count runs in its own worker process (`--rss-worker`) that imports
only numpy and that runtime, reads the input, then loads the model from its file, allocates and invokes
`--rss-runs` times; it reports how much the peak resident set (VmHWM) grew over the peak after the imports.
Benchmark-only dependencies (ai-edge-litert, tensorflow-cpu, onnx, onnxruntime) are optional: a missing one
is reported and its column left out.

    .venv/bin/python benchmarks/runtime_vs_litert.py                # 10 rounds x 40 invokes, 1 and 2 threads
    .venv/bin/python benchmarks/runtime_vs_litert.py --models mlp cnn --rounds 20 --threads 1
    .venv/bin/python benchmarks/runtime_vs_litert.py --int8              # int8 models
    .venv/bin/python benchmarks/runtime_vs_litert.py --models mlp --calls 2000 --rss-runs 0   # single calls
    .venv/bin/python benchmarks/runtime_vs_litert.py --calls 300 --no-reference-timing --rss-runs 0

With --int8 the same float models are quantized (int8 inputs and outputs, per-channel weights) from 16
random calibration inputs: tensorlet's by trainer.quantize.quantize_model, LiteRT's by TFLiteConverter with
Optimize.DEFAULT, a representative dataset and TFLITE_BUILTINS_INT8, ONNX Runtime's by
onnxruntime.quantization.quantize_static (QDQ, or QOperator with --ort-format; uint8 activations, int8
per-channel weights, MinMax; the input QuantizeLinear and output DequantizeLinear removed so that it too
takes and returns quantized tensors). The calibrations differ, so their outputs agree only approximately
(printed, also against the float model); tensorlet's optimized and reference kernels must agree exactly.
With --int8 --float-io the models keep float32 inputs and outputs (int8 inside, a Quantize first and a
Dequantize last): the default of trainer.lite.Converter, which calls quantize_model with float32 I/O, as
TFLiteConverter does when inference_input_type/output_type are left unset (LiteRT's twin is converted so).

The first line printed names the CPU, its cache sizes (sysfs), the core count and the load average.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# ---- the models, once ----


@dataclass
class Layer:
    """One layer; weights in tensorlet's layouts (FC [out, in], conv OHWI, depthwise [1, kh, kw, c])."""

    kind: str  # conv, dwconv, dense, maxpool, avgpool_global, flatten, softmax
    w: np.ndarray | None = None
    b: np.ndarray | None = None
    stride: int = 1
    padding: str = "SAME"
    act: str = "NONE"  # NONE, RELU, RELU6
    pool: int = 2


@dataclass
class Net:
    name: str
    input_shape: tuple[int, ...]  # NHWC or [1, features]
    layers: list[Layer] = field(default_factory=list)
    flops: int = 0


def _he(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), shape).astype(np.float32)


def _bias(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.normal(0.0, 0.05, n).astype(np.float32)


def mlp() -> Net:
    rng = np.random.default_rng(1)
    net = Net("MLP 784-256-256-10", (1, 784))
    sizes = (784, 256, 256, 10)
    for k, (i, o) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        act = "RELU" if k < 2 else "NONE"
        net.layers.append(Layer("dense", _he(rng, (o, i), i), _bias(rng, o), act=act))
        net.flops += 2 * i * o
    return net


def cnn() -> Net:
    rng = np.random.default_rng(2)
    net = Net("CNN 28x28x1 conv32-pool-conv64-pool-dense128-dense10", (1, 28, 28, 1))
    net.layers += [
        Layer("conv", _he(rng, (32, 3, 3, 1), 9), _bias(rng, 32), padding="VALID", act="RELU"),
        Layer("maxpool"),
        Layer("conv", _he(rng, (64, 3, 3, 32), 288), _bias(rng, 64), padding="VALID", act="RELU"),
        Layer("maxpool"),
        Layer("flatten"),
        Layer("dense", _he(rng, (128, 1600), 1600), _bias(rng, 128), act="RELU"),
        Layer("dense", _he(rng, (10, 128), 128), _bias(rng, 10)),
    ]
    net.flops = 2 * (26 * 26 * 32 * 9 + 11 * 11 * 64 * 288 + 1600 * 128 + 128 * 10)
    return net


def mobilenet_v1(alpha: float = 0.5, size: int = 128, classes: int = 1000) -> Net:
    rng = np.random.default_rng(3)
    net = Net(f"MobileNetV1 {alpha} {size}x{size}x3, {classes} classes", (1, size, size, 3))
    c = int(32 * alpha)
    net.layers.append(Layer("conv", _he(rng, (c, 3, 3, 3), 27), _bias(rng, c), stride=2, act="RELU6"))
    hw = size // 2
    net.flops += 2 * hw * hw * c * 27
    blocks = (
        [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    )
    for out, stride in blocks:
        out = int(out * alpha)
        net.layers.append(
            Layer("dwconv", _he(rng, (1, 3, 3, c), 9), _bias(rng, c), stride=stride, act="RELU6")
        )
        hw = -(-hw // stride)
        net.flops += 2 * hw * hw * c * 9
        net.layers.append(Layer("conv", _he(rng, (out, 1, 1, c), c), _bias(rng, out), act="RELU6"))
        net.flops += 2 * hw * hw * c * out
        c = out
    net.layers.append(Layer("avgpool_global", pool=hw))
    net.layers.append(Layer("flatten"))
    net.layers.append(Layer("dense", _he(rng, (classes, c), c), _bias(rng, classes)))
    net.layers.append(Layer("softmax"))
    net.flops += 2 * c * classes
    return net


MODELS: dict[str, Callable[[], Net]] = {"mlp": mlp, "cnn": cnn, "mobilenet": mobilenet_v1}


def _shapes(net: Net) -> list[tuple[int, ...]]:
    """Output shape (NHWC / [1, n]) of every layer."""
    shape, out = net.input_shape, []
    for layer in net.layers:
        if layer.kind in ("conv", "dwconv"):
            assert layer.w is not None
            k, ch = layer.w.shape[1], layer.w.shape[0] if layer.kind == "conv" else layer.w.shape[3]
            if layer.padding == "SAME":
                h, w = -(-shape[1] // layer.stride), -(-shape[2] // layer.stride)
            else:
                h, w = (shape[1] - k) // layer.stride + 1, (shape[2] - k) // layer.stride + 1
            shape = (1, h, w, ch)
        elif layer.kind == "maxpool":
            shape = (1, shape[1] // layer.pool, shape[2] // layer.pool, shape[3])
        elif layer.kind == "avgpool_global":
            shape = (1, 1, 1, shape[3])
        elif layer.kind == "flatten":
            shape = (1, int(np.prod(shape[1:])))
        elif layer.kind == "dense":
            assert layer.w is not None
            shape = (1, layer.w.shape[0])
        out.append(shape)
    return out


# ---- emitters ----


def to_tlm(net: Net) -> bytes:
    from trainer.tlm import ModelBuilder

    b = ModelBuilder(description=net.name)
    t = b.add_input("input", np.float32, list(net.input_shape))
    for i, (layer, shape) in enumerate(zip(net.layers, _shapes(net), strict=True)):
        y = b.add_tensor(f"l{i}_{layer.kind}", np.float32, list(shape))
        if layer.kind in ("conv", "dwconv", "dense"):
            ins = [t, b.add_constant(f"l{i}/w", layer.w), b.add_constant(f"l{i}/b", layer.b)]
            if layer.kind == "dense":
                b.add_op("FullyConnected", ins, [y], activation=layer.act)
            else:
                op = "Conv2D" if layer.kind == "conv" else "DepthwiseConv2D"
                extra = {"depth_multiplier": 1} if layer.kind == "dwconv" else {}
                b.add_op(
                    op,
                    ins,
                    [y],
                    padding=layer.padding,
                    stride_h=layer.stride,
                    stride_w=layer.stride,
                    activation=layer.act,
                    **extra,
                )
        elif layer.kind in ("maxpool", "avgpool_global"):
            b.add_op(
                "MaxPool2D" if layer.kind == "maxpool" else "AveragePool2D",
                [t],
                [y],
                padding="VALID",
                filter_h=layer.pool,
                filter_w=layer.pool,
                stride_h=layer.pool,
                stride_w=layer.pool,
            )
        elif layer.kind == "flatten":
            b.add_op("Reshape", [t], [y], new_shape=list(shape))
        elif layer.kind == "softmax":
            b.add_op("Softmax", [t], [y])
        t = y
    b.mark_output(t)
    return b.finish()


def to_tflite(net: Net) -> bytes:
    import tensorflow as tf

    return tf.lite.TFLiteConverter.from_keras_model(_keras(net)).convert()


def _keras(net: Net):
    import tensorflow as tf

    layers: list = [tf.keras.Input(shape=net.input_shape[1:], batch_size=1)]
    acts = {"NONE": None, "RELU": "relu", "RELU6": tf.nn.relu6}
    weights: list[tuple[int, list[np.ndarray]]] = []
    for layer in net.layers:
        if layer.kind == "conv":
            assert layer.w is not None
            k = layer.w.shape[1]
            layers.append(
                tf.keras.layers.Conv2D(
                    layer.w.shape[0], k, layer.stride, layer.padding.lower(), activation=acts[layer.act]
                )
            )
            weights.append((len(layers) - 1, [layer.w.transpose(1, 2, 3, 0), layer.b]))
        elif layer.kind == "dwconv":
            assert layer.w is not None
            layers.append(
                tf.keras.layers.DepthwiseConv2D(
                    layer.w.shape[1], layer.stride, layer.padding.lower(), activation=acts[layer.act]
                )
            )
            weights.append((len(layers) - 1, [layer.w[0][..., None], layer.b]))
        elif layer.kind == "dense":
            assert layer.w is not None
            layers.append(tf.keras.layers.Dense(layer.w.shape[0], activation=acts[layer.act]))
            weights.append((len(layers) - 1, [layer.w.T, layer.b]))
        elif layer.kind == "maxpool":
            layers.append(tf.keras.layers.MaxPooling2D(layer.pool))
        elif layer.kind == "avgpool_global":
            layers.append(tf.keras.layers.AveragePooling2D(layer.pool))
        elif layer.kind == "flatten":
            layers.append(tf.keras.layers.Flatten())
        elif layer.kind == "softmax":
            layers.append(tf.keras.layers.Softmax())
    model = tf.keras.Sequential(layers)
    for index, ws in weights:
        model.layers[index - 1].set_weights(ws)  # Input is not in model.layers
    return model


def _calibration(net: Net, n: int = 16) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.uniform(-1, 1, net.input_shape).astype(np.float32) for _ in range(n)]


def to_tlm_int8(net: Net, float_io: bool = False) -> bytes:
    """int8 inside; int8 inputs and outputs, or with float_io the Converter's default float32 ones."""
    from trainer.quantize import quantize_model

    samples = _calibration(net)
    io = "float32" if float_io else "int8"
    return quantize_model(
        to_tlm(net),
        lambda: ([x] for x in samples),
        inference_input_type=io,
        inference_output_type=io,
    )


def to_tflite_int8(net: Net, float_io: bool = False) -> bytes:
    import tensorflow as tf

    samples = _calibration(net)
    converter = tf.lite.TFLiteConverter.from_keras_model(_keras(net))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([x] for x in samples)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if not float_io:  # unset, TFLiteConverter keeps float32 inputs and outputs
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


def to_onnx(net: Net) -> bytes:
    """NCHW graph; weights transposed, and the first dense after a flatten permuted from HWC to CHW order."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    shapes = _shapes(net)
    nchw = len(net.input_shape) == 4
    in_shape = [1, net.input_shape[3], *net.input_shape[1:3]] if nchw else list(net.input_shape)
    t, prev = "input", tuple(net.input_shape)

    def const(name: str, a: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(a, dtype=np.float32), name))
        return name

    def act(i: int, out: str, kind: str) -> str:
        if kind == "NONE":
            return out
        y = f"l{i}_act"
        if kind == "RELU":
            nodes.append(helper.make_node("Relu", [out], [y]))
        else:
            nodes.append(
                helper.make_node(
                    "Clip", [out, const(f"l{i}/lo", np.float32(0)), const(f"l{i}/hi", np.float32(6))], [y]
                )
            )
        return y

    for i, (layer, shape) in enumerate(zip(net.layers, shapes, strict=True)):
        y = f"l{i}"
        if layer.kind in ("conv", "dwconv"):
            assert layer.w is not None
            if layer.kind == "conv":
                w, group = layer.w.transpose(0, 3, 1, 2), 1
            else:
                w, group = layer.w[0].transpose(2, 0, 1)[:, None], layer.w.shape[3]
            pad = {"auto_pad": "SAME_UPPER"} if layer.padding == "SAME" else {}
            nodes.append(
                helper.make_node(
                    "Conv",
                    [t, const(f"l{i}/w", w), const(f"l{i}/b", layer.b)],
                    [y],
                    strides=[layer.stride] * 2,
                    group=group,
                    **pad,
                )
            )
            y = act(i, y, layer.act)
        elif layer.kind == "dense":
            assert layer.w is not None
            w = layer.w
            if len(prev) == 2 and i > 0 and net.layers[i - 1].kind == "flatten" and len(shapes[i - 2]) == 4:
                _, h, ww, c = shapes[i - 2]  # NHWC flatten index (h, w, c) -> NCHW (c, h, w)
                w = w.reshape(-1, h, ww, c).transpose(0, 3, 1, 2).reshape(w.shape[0], -1)
            nodes.append(
                helper.make_node("Gemm", [t, const(f"l{i}/w", w), const(f"l{i}/b", layer.b)], [y], transB=1)
            )
            y = act(i, y, layer.act)
        elif layer.kind == "maxpool":
            nodes.append(
                helper.make_node("MaxPool", [t], [y], kernel_shape=[layer.pool] * 2, strides=[layer.pool] * 2)
            )
        elif layer.kind == "avgpool_global":
            nodes.append(helper.make_node("GlobalAveragePool", [t], [y]))
        elif layer.kind == "flatten":
            nodes.append(helper.make_node("Flatten", [t], [y], axis=1))
        elif layer.kind == "softmax":
            nodes.append(helper.make_node("Softmax", [t], [y], axis=-1))
        t, prev = y, shape
    graph = helper.make_graph(
        nodes,
        net.name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info(t, TensorProto.FLOAT, list(shapes[-1]))],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def to_onnx_int8(net: Net, quant_format: str = "qdq") -> bytes:
    """The float ONNX graph quantized statically by onnxruntime.quantization on the same calibration inputs
    as the other int8 models: per-channel int8 weights, uint8 activations (ONNX Runtime's fast path on x86),
    MinMax calibration. The graph's input QuantizeLinear and output DequantizeLinear are then removed, so
    that ONNX Runtime, like the others, takes and returns quantized tensors (uint8 here); their scales and
    zero points are kept in the model's metadata (see `_ort_int8_io`)."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    samples = [x.transpose(0, 3, 1, 2).copy() if x.ndim == 4 else x for x in _calibration(net)]

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.it = iter(samples)

        def get_next(self) -> dict[str, np.ndarray] | None:
            x = next(self.it, None)
            return None if x is None else {"input": x}

    fmt = {"qdq": QuantFormat.QDQ, "qoperator": QuantFormat.QOperator}[quant_format]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d)
        (path / "float.onnx").write_bytes(to_onnx(net))
        quant_pre_process(str(path / "float.onnx"), str(path / "pre.onnx"))
        quantize_static(
            str(path / "pre.onnx"),
            str(path / "int8.onnx"),
            Reader(),
            quant_format=fmt,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
            calibrate_method=CalibrationMethod.MinMax,
        )
        model = onnx.load(str(path / "int8.onnx"))
    _strip_io_quantization(model)
    return model.SerializeToString()


def _strip_io_quantization(model) -> None:
    """Removes the QuantizeLinear that reads the graph input and the DequantizeLinear that writes the graph
    output (when the graph has them); the graph then takes and returns the quantized tensors, and the scale
    and zero point of each are stored as metadata (input_scale, input_zero_point, output_...)."""
    from onnx import helper, numpy_helper

    g = model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    inp, out = g.input[0], g.output[0]
    readers = [n for n in g.node if inp.name in n.input]
    q = readers[0] if len(readers) == 1 and readers[0].op_type == "QuantizeLinear" else None
    dq = next((n for n in g.node if n.op_type == "DequantizeLinear" and n.output[0] == out.name), None)
    props = {}
    for key, node, info in (("input", q, inp), ("output", dq, out)):
        if node is None or len(node.input) < 3 or node.input[2] not in inits:
            continue
        scale, zero = inits[node.input[1]], inits[node.input[2]]
        if scale.size != 1:
            continue
        info.name = node.output[0] if key == "input" else node.input[0]
        info.type.tensor_type.elem_type = helper.np_dtype_to_tensor_dtype(zero.dtype)
        props[f"{key}_scale"] = repr(float(scale))
        props[f"{key}_zero_point"] = str(int(zero))
        g.node.remove(node)
    helper.set_model_props(model, props)


# ---- runners: each returns (invoke() -> None, output() -> ndarray) with the input already set ----

Runner = tuple[Callable[[], None], Callable[[], np.ndarray]]
Model = bytes | Path  # in memory, or a file (the peak RSS workers load files, as an application would)

RUNTIMES = ("tensorlet-reference", "tensorlet", "litert", "ort")  # --rss-worker's RUNTIME
LABELS = {
    "tensorlet-reference": "tensorlet reference",
    "tensorlet": "tensorlet",
    "litert": "LiteRT",
    "ort": "ONNX Runtime",
}


def _quantize(x: np.ndarray, scale: float, zero: int, dtype: type) -> np.ndarray:
    info = np.iinfo(dtype)
    return np.clip(np.round(x / scale) + zero, info.min, info.max).astype(dtype)


def _quantized_io(it, x: np.ndarray) -> Runner:
    """Sets the input (quantized with the input's parameters when it is int8); the output getter returns
    float values (dequantized when the output is int8)."""
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    if inp["dtype"] == np.int8:
        scale, zp = inp["quantization"]
        x = _quantize(x, scale, zp, np.int8)
    it.set_tensor(inp["index"], x)

    def output() -> np.ndarray:
        y = it.get_tensor(out["index"])
        if out["dtype"] == np.int8:
            scale, zp = out["quantization"]
            return (y.astype(np.float64) - zp) * scale
        return y

    return it.invoke, output


def tensorlet_runner(model: Model, x: np.ndarray, kernels: str, threads: int = 1) -> Runner:
    from pyruntime import Interpreter

    source = {"model_path": model} if isinstance(model, Path) else {"model_content": model}
    it = Interpreter(**source, kernels=kernels, num_threads=threads)
    it.allocate_tensors()
    return _quantized_io(it, x)


def litert_runner(model: Model, x: np.ndarray, threads: int = 1) -> Runner:
    from ai_edge_litert.interpreter import Interpreter

    source = {"model_path": str(model)} if isinstance(model, Path) else {"model_content": model}
    it = Interpreter(**source, num_threads=threads)
    it.allocate_tensors()
    return _quantized_io(it, x)


def ort_runner(model: Model, x: np.ndarray, threads: int = 1) -> Runner:
    """Float input in NHWC order is transposed to the graph's NCHW (before timing); a quantized graph input
    (see `_strip_io_quantization`) is quantized, a quantized output dequantized after timing."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(
        str(model) if isinstance(model, Path) else model, opts, providers=["CPUExecutionProvider"]
    )
    meta = sess.get_modelmeta().custom_metadata_map
    inp = sess.get_inputs()[0]
    x = x.transpose(0, 3, 1, 2).copy() if x.ndim == 4 else x
    if "input_scale" in meta:
        dtype = np.uint8 if inp.type == "tensor(uint8)" else np.int8
        x = _quantize(x, float(meta["input_scale"]), int(meta["input_zero_point"]), dtype)
    feed = {inp.name: x}
    result: list[np.ndarray] = []

    def invoke() -> None:
        result[:] = sess.run(None, feed)

    def output() -> np.ndarray:
        if "output_scale" in meta:
            return (result[0].astype(np.float64) - int(meta["output_zero_point"])) * float(
                meta["output_scale"]
            )
        return result[0]

    return invoke, output


def open_runner(runtime: str, model: Model, x: np.ndarray, threads: int) -> Runner:
    if runtime == "tensorlet-reference":
        return tensorlet_runner(model, x, "reference", threads)
    if runtime == "tensorlet":
        return tensorlet_runner(model, x, "auto", threads)
    if runtime == "litert":
        return litert_runner(model, x, threads)
    if runtime == "ort":
        return ort_runner(model, x, threads)
    raise ValueError(f"unknown runtime {runtime!r}")


# ---- peak RSS, one subprocess per runtime and thread count ----


def _status_kib(field: str) -> int:
    """A memory line of /proc/self/status in KiB: VmHWM (peak RSS of this process image) or VmRSS."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def rss_worker(runtime: str, model: Path, inputs: Path, threads: int, runs: int) -> dict[str, int]:
    """Run in a fresh process: imports only numpy and the one runtime and loads the input, then measures the
    peak RSS before and after loading `model` from its file, creating the interpreter, allocating, setting
    the input and `runs` invokes. Returns the baseline and the growth of the peak and of the current RSS.

    The peak is the kernel's high-water mark of the process's resident set, VmHWM: what
    getrusage(RUSAGE_SELF).ru_maxrss reports too, except that Linux carries ru_maxrss over from the parent
    through fork and exec (the benchmark's parent holds TensorFlow, far more than any worker), so the
    worker reads the same high-water mark from /proc/self/status, where it starts afresh at exec."""
    if runtime.startswith("tensorlet"):
        import pyruntime  # noqa: F401
    elif runtime == "litert":
        import ai_edge_litert.interpreter  # noqa: F401
    elif runtime == "ort":
        import onnxruntime  # noqa: F401
    x = np.load(inputs)
    base_peak, base_now = _status_kib("VmHWM"), _status_kib("VmRSS")
    invoke, output = open_runner(runtime, model, x, threads)
    for _ in range(runs):
        invoke()
    output()
    return {
        "baseline_kib": base_peak,
        "peak_growth_kib": _status_kib("VmHWM") - base_peak,
        "now_growth_kib": _status_kib("VmRSS") - base_now,
    }


def measure_rss(runtime: str, model: bytes, x: np.ndarray, threads: int, runs: int) -> dict[str, int]:
    suffix = {"litert": ".tflite", "ort": ".onnx"}.get(runtime, ".tlm")
    with tempfile.TemporaryDirectory() as d:
        model_path, input_path = Path(d) / f"model{suffix}", Path(d) / "input.npy"
        model_path.write_bytes(model)
        np.save(input_path, x)
        args = [str(model_path), str(input_path), "--threads", str(threads), "--rss-runs", str(runs)]
        out = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--rss-worker", runtime, *args],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return json.loads(out.strip().splitlines()[-1])


# ---- tl_bench ----


def build_tl_bench(build_dir: Path) -> tuple[Path, bool]:
    """Builds tl_bench (Release); returns its path and whether it takes --threads."""
    if not (build_dir / "CMakeCache.txt").exists():
        subprocess.run(
            [
                "cmake",
                "-S",
                str(ROOT / "runtime_c"),
                "-B",
                str(build_dir),
                "-DCMAKE_BUILD_TYPE=Release",
                "-DTL_BUILD_TESTS=OFF",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    subprocess.run(
        ["cmake", "--build", str(build_dir), "--target", "tl_bench", "-j2"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    exe = build_dir / "tl_bench"
    usage = subprocess.run([str(exe), "--help"], capture_output=True, text=True)
    return exe, "--threads" in usage.stdout + usage.stderr


def tl_bench(exe: Path, model: bytes, kernels: str, runs: int, threads: int | None) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "m.tlm"
        path.write_bytes(model)
        env = dict(os.environ, TENSORLET_KERNELS=kernels)
        extra = ["--threads", str(threads)] if threads is not None else []
        out = subprocess.run(
            [str(exe), str(path), "--runs", str(runs), "--warmup", "20", *extra],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout
    return dict(line.split(": ", 1) for line in out.strip().splitlines() if ": " in line)


def have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# ---- the benchmark ----


@dataclass
class Options:
    rounds: int = 10
    per_round: int = 40
    threads: tuple[int, ...] = (1, 2)
    int8: bool = False
    float_io: bool = False  # with int8: float32 inputs and outputs (the Converter's default)
    rss_runs: int = 20  # invokes in each peak RSS worker; 0 skips the workers
    ort_format: str = "qdq"
    tl_bench: tuple[Path, bool] | None = None  # (executable, takes --threads)
    clock: str = "wall"  # a key of CLOCKS
    calls: int = 0  # > 0: single invokes alternating between the runners (per_call) instead of rounds
    time_reference: bool = True  # False: the reference kernels check the outputs but are not timed


@dataclass
class Result:
    """One model's numbers: median µs (and with --calls the minimum) and peak / current RSS growth (KiB) per
    (runtime, threads)."""

    net: Net
    median_us: dict[tuple[str, int], float] = field(default_factory=dict)
    min_us: dict[tuple[str, int], float] = field(default_factory=dict)  # --calls only
    rss_kib: dict[tuple[str, int], dict[str, int]] = field(default_factory=dict)
    tl_bench: dict[tuple[str, int], dict[str, str]] = field(default_factory=dict)


KERNELS = {"reference": "reference", "auto": "optimized"}  # TENSORLET_KERNELS -> table label


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a is not None and b else "-"


# --clock: wall-clock time per invoke, or the process's CPU time per invoke (on a machine with more runnable
# jobs than cores, a wall-clock median depends on whether an invoke fits in one scheduler time slice, which
# favours the shorter invoke; CPU time does not; at 2 threads it is the threads' sum, the work, not latency)
CLOCKS: dict[str, Callable[[], int]] = {"wall": time.perf_counter_ns, "cpu": time.process_time_ns}


def interleaved(
    runners: dict[tuple[str, int], Runner],
    rounds: int,
    per_round: int,
    clock: Callable[[], int] = time.perf_counter_ns,
) -> dict:
    """Median µs per runner (clock in ns); each round times `per_round` invokes of every runner in turn."""
    times: dict[tuple[str, int], list[float]] = {key: [] for key in runners}
    for _ in range(rounds):
        for key, (invoke, _) in runners.items():
            for _ in range(per_round):
                t0 = clock()
                invoke()
                times[key].append((clock() - t0) / 1e3)
    return {key: statistics.median(ts) for key, ts in times.items()}


def per_call(
    runners: dict[tuple[str, int], Runner],
    calls: int,
    clock: Callable[[], int] = time.perf_counter_ns,
) -> dict[tuple[str, int], tuple[float, float]]:
    """(min, median) µs per runner (clock in ns) over `calls` single invokes each, one invoke of every runner
    in turn: a burst of load falls on all of them alike instead of on one runner's whole round."""
    times: dict[tuple[str, int], list[float]] = {key: [] for key in runners}
    for _ in range(calls):
        for key, (invoke, _) in runners.items():
            t0 = clock()
            invoke()
            times[key].append((clock() - t0) / 1e3)
    return {key: (min(ts), statistics.median(ts)) for key, ts in times.items()}


def bench(net: Net, opts: Options) -> Result:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, net.input_shape).astype(np.float32)
    float_tlm = to_tlm(net)
    models: dict[str, bytes] = {}
    models["tensorlet-reference"] = models["tensorlet"] = (
        to_tlm_int8(net, opts.float_io) if opts.int8 else float_tlm
    )
    if have("ai_edge_litert") and have("tensorflow"):
        models["litert"] = to_tflite_int8(net, opts.float_io) if opts.int8 else to_tflite(net)
    else:
        print("  (LiteRT left out: ai-edge-litert and tensorflow-cpu are not installed)")
    if opts.float_io:
        print("  (ONNX Runtime left out: its int8 graph here takes and returns quantized tensors)")
    elif have("onnxruntime") and have("onnx"):
        models["ort"] = to_onnx_int8(net, opts.ort_format) if opts.int8 else to_onnx(net)
    else:
        print("  (ONNX Runtime left out: onnx and onnxruntime are not installed)")
    runners = {
        (runtime, n): open_runner(runtime, model, x, n)
        for n in opts.threads
        for runtime, model in models.items()
    }

    # outputs first: against tensorlet's reference kernels (int8: exactly, for tensorlet) and the float model
    outs = {}
    for key, (invoke, output) in runners.items():
        for _ in range(5):
            invoke()
        outs[key] = output().astype(np.float64).reshape(-1)
    want = outs[("tensorlet-reference", opts.threads[0])]
    ref_float = want
    if opts.int8:
        invoke, output = tensorlet_runner(float_tlm, x, "reference")
        invoke()
        ref_float = output().astype(np.float64).reshape(-1)
    for (runtime, n), got in outs.items():
        if opts.int8 and runtime.startswith("tensorlet") and not np.array_equal(got, want):
            raise SystemExit(
                f"tensorlet int8 output ({runtime}, {n} threads) differs from its reference kernels"
            )
        line = (
            f"  {LABELS[runtime]:20s} {n}T  max |out - tensorlet ref| / max |ref| = {_relerr(got, want):.2e}"
        )
        if opts.int8:
            top = np.flatnonzero(got == got.max())  # int8 outputs tie; is the float top-1 among the tied?
            agree = ("yes" if np.argmax(ref_float) in top else "no") + (
                f" ({top.size} tied)" if top.size > 1 else ""
            )
            line += (
                f"; vs float model {_relerr(got, ref_float):.2e}"
                f" (max abs {np.max(np.abs(got - ref_float)):.2e}), top-1 {agree}"
            )
        print(line)
    if opts.int8:
        print(f"  (float model: top-1 {int(np.argmax(ref_float))}, largest output {np.max(ref_float):.4g})")

    result = Result(net)
    if not opts.time_reference:  # checked above; its slow invokes stay out of the alternation
        runners = {key: r for key, r in runners.items() if key[0] != "tensorlet-reference"}
    if opts.calls:  # one thread count at a time, as an application runs one
        for n in opts.threads:
            got = per_call({k: r for k, r in runners.items() if k[1] == n}, opts.calls, CLOCKS[opts.clock])
            result.min_us.update({key: v[0] for key, v in got.items()})
            result.median_us.update({key: v[1] for key, v in got.items()})
        runs = opts.calls
    else:
        result.median_us = interleaved(runners, opts.rounds, opts.per_round, CLOCKS[opts.clock])
        runs = opts.rounds * opts.per_round
    for n in opts.threads:
        base = result.median_us.get(("litert", n))
        head = f"{'runtime':20s} {'median us':>10s} {'GFLOP/s':>8s} {'/ LiteRT':>9s}"
        if opts.calls:
            head += f" {'min us':>9s} {'/ LiteRT':>9s}"
        print(f"  {n} thread(s): {head}   ({runs} {'single calls' if opts.calls else 'runs'})")
        for runtime in models:
            if (runtime, n) not in result.median_us:
                continue
            m = result.median_us[(runtime, n)]
            line = (
                f"  {'':13s}{LABELS[runtime]:20s} {m:10.1f} {net.flops / m / 1e3:8.1f} {ratio(m, base):>9s}"
            )
            if opts.calls:
                lo = result.min_us[(runtime, n)]
                line += f" {lo:9.1f} {ratio(lo, result.min_us.get(('litert', n))):>9s}"
            print(line)
    del runners
    if opts.tl_bench is not None:
        exe, takes_threads = opts.tl_bench
        for n in opts.threads if takes_threads else (1,):
            for kernels in ("reference", "auto"):
                r = tl_bench(exe, models["tensorlet"], kernels, runs, n if takes_threads else None)
                result.tl_bench[(kernels, n)] = r
                print(
                    f"  tl_bench {kernels:9s} {n}T  median {float(r['median_us']):8.1f} us, "
                    f"arena {r['arena_bytes']} B, caller memory {r['required_memory_bytes']} B"
                )
        if not takes_threads:
            print("  (tl_bench has no --threads: timed with 1 thread only)")
    if opts.rss_runs > 0:
        for n in opts.threads:
            for runtime, model in models.items():
                r = measure_rss(runtime, model, x, n, opts.rss_runs)
                result.rss_kib[(runtime, n)] = r
                print(
                    f"  peak RSS {LABELS[runtime]:20s} {n}T  +{r['peak_growth_kib'] / 1024:7.2f} MiB "
                    f"(after {opts.rss_runs} invokes +{r['now_growth_kib'] / 1024:.2f} MiB; "
                    f"baseline {r['baseline_kib'] / 1024:.1f} MiB)"
                )
    return result


def _relerr(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.max(np.abs(got - want))) / max(float(np.max(np.abs(want))), 1e-30)


def markdown(results: list[Result], opts: Options) -> str:
    """The tables of benchmarks/README.md: latency and ratios, then peak RSS growth. With --calls each
    runtime's cell is "min / median" µs, and each ratio to LiteRT is given of the minima and of the
    medians."""
    cols = [r for r in RUNTIMES if any(k[0] == r for res in results for k in res.median_us)]
    suffix = (" int8" + (" float I/O" if opts.float_io else "")) if opts.int8 else ""
    unit = " min / median" if opts.calls else ""
    head = [
        "model",
        "threads",
        *(LABELS[c] + (suffix if c in ("litert", "ort") else "") + unit for c in cols),
    ]
    compared = [c for c in cols if c in ("tensorlet", "ort")]
    if opts.calls:
        head += [f"{LABELS[c]} / LiteRT, {kind}" for c in compared for kind in ("minima", "medians")]
    else:
        head += [f"{LABELS[c]} / LiteRT" for c in compared]
    head += ["`tl_bench` ref / opt"]
    lines = ["| " + " | ".join(head) + " |", "|---|---:|" + "---:|" * (len(head) - 2)]
    for res in results:
        for n in opts.threads:
            cells = [res.net.name, str(n)]
            for c in cols:
                if (c, n) not in res.median_us:
                    cells.append("-")
                elif opts.calls:
                    cells.append(f"{res.min_us[(c, n)]:.1f} / {res.median_us[(c, n)]:.1f}")
                else:
                    cells.append(f"{res.median_us[(c, n)]:.1f}")
            base = res.median_us.get(("litert", n))
            for c in compared:
                if opts.calls:
                    cells.append(f"**{ratio(res.min_us.get((c, n)), res.min_us.get(('litert', n)))}**")
                cells.append(f"**{ratio(res.median_us.get((c, n)), base)}**")
            tb = [res.tl_bench.get((k, n)) for k in ("reference", "auto")]
            cells.append(" / ".join(f"{float(t['median_us']):.1f}" for t in tb) if all(tb) else "-")
            lines.append("| " + " | ".join(cells) + " |")
    if any(res.rss_kib for res in results):
        lines += ["", "Peak RSS growth in MiB (current RSS growth after the invokes in parentheses):", ""]
        head = [
            "model",
            *(f"{LABELS[c]}, {n} thread{'s' if n > 1 else ''}" for n in opts.threads for c in cols),
        ]
        lines += ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
        for res in results:
            cells = [res.net.name]
            for n in opts.threads:
                for c in cols:
                    r = res.rss_kib.get((c, n))
                    cells.append(
                        f"{r['peak_growth_kib'] / 1024:.1f} ({r['now_growth_kib'] / 1024:.1f})" if r else "-"
                    )
            lines.append("| " + " | ".join(cells) + " |")
    memo = []
    for res in results:  # tl_bench: arena and caller memory (packed weights and per-thread scratch included)
        parts = [
            f"{KERNELS[kernels]} {int(t['required_memory_bytes']):,} B ({n} thread{'s' if n > 1 else ''})"
            for (kernels, n), t in sorted(
                res.tl_bench.items(), key=lambda item: (item[0][0] != "reference", item[0][1])
            )
        ]
        if parts:
            arena = int(next(iter(res.tl_bench.values()))["arena_bytes"])
            memo.append(f"{res.net.name}: arena {arena:,} B; caller memory " + ", ".join(parts))
    if memo:
        memo.insert(
            0,
            "`tl_bench` memory: the arena, and the caller memory that tl_interpreter_required_memory_bytes()",
        )
        memo.insert(
            1, "counts (the arena, the interpreter, packed weights, scratch of each thread; not the model):"
        )
        memo.insert(2, "")
    return "\n".join(lines + [""] + memo)


def cache_sizes(root: Path = Path("/sys/devices/system/cpu/cpu0/cache")) -> str:
    """The CPU's caches as Linux's sysfs lists them ("L1d 32K, L1i 32K, L2 1024K, L3 32768K"), "" when
    unknown (another OS)."""
    names = {"Data": "d", "Instruction": "i", "Unified": ""}
    out = []
    for index in sorted(root.glob("index*")):
        try:
            level, kind, size = ((index / f).read_text().strip() for f in ("level", "type", "size"))
        except OSError:
            continue
        out.append(f"L{level}{names.get(kind, '')} {size}")
    return ", ".join(out)


def machine() -> str:
    """One line on the CPU, its caches, the cores, the load and the versions of the runtimes."""
    import platform
    from importlib import metadata

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    versions = []
    for dist in ("numpy", "ai-edge-litert", "tensorflow-cpu", "onnxruntime"):
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            pass
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    system = f"{platform.system()} {platform.machine()}"
    caches = cache_sizes()
    cpu += f" ({caches})" if caches else ""
    return f"{cpu}, {os.cpu_count()} CPUs, {system}; {', '.join(versions)}; load average {load}"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", choices=sorted(MODELS), default=["mlp", "cnn", "mobilenet"])
    p.add_argument("--rounds", type=int, default=10, help="interleaved rounds (default 10)")
    p.add_argument("--per-round", type=int, default=40, help="invokes per runtime per round (default 40)")
    p.add_argument(
        "--calls",
        type=int,
        default=0,
        help="time N single invokes of every runtime, alternating call by call, and report the minimum and "
        "median of each (instead of --rounds x --per-round; at least 100)",
    )
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts (default 1 2)")
    p.add_argument("--int8", action="store_true", help="int8-quantized models")
    p.add_argument(
        "--float-io",
        action="store_true",
        help="with --int8: float32 inputs and outputs (the Converter's default; LiteRT's twin alike)",
    )
    p.add_argument(
        "--ort-format",
        choices=["qdq", "qoperator"],
        default="qdq",
        help="ONNX Runtime int8 format (default qdq; both ran alike here, uint8 activations either way)",
    )
    p.add_argument(
        "--rss-runs", type=int, default=20, help="invokes in each peak-RSS worker (default 20; 0: no RSS)"
    )
    p.add_argument("--no-tl-bench", action="store_true", help="skip tl_bench (C timings, arena bytes)")
    p.add_argument(
        "--no-reference-timing",
        action="store_true",
        help="check outputs against tensorlet's reference kernels but leave them out of the timing (their "
        "invokes, 10-40x slower, run between the others' and evict their caches)",
    )
    p.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall (default) or cpu: the process's CPU time per invoke (fair on an oversubscribed machine; "
        "at 2 threads the threads' sum, not latency)",
    )
    p.add_argument(
        "--build-dir",
        type=Path,
        default=ROOT / "build" / "bench",
        help="tl_bench build (default build/bench)",
    )
    p.add_argument(
        "--rss-worker",
        nargs=3,
        metavar=("RUNTIME", "MODEL", "INPUT_NPY"),
        help=f"internal: print the peak RSS growth of RUNTIME ({', '.join(RUNTIMES)}) as JSON",
    )
    args = p.parse_args(argv)
    if any(n < 1 for n in args.threads):
        p.error("--threads must be positive")
    if args.rss_worker:
        runtime, model, inputs = args.rss_worker
        print(json.dumps(rss_worker(runtime, Path(model), Path(inputs), args.threads[0], args.rss_runs)))
        return
    if args.float_io and not args.int8:
        p.error("--float-io needs --int8 (float models have float inputs and outputs already)")
    if args.calls < 0 or 0 < args.calls < 100:
        p.error("--calls needs at least 100 calls (minima and medians of fewer mean little)")
    if not args.calls and args.rounds * args.per_round < 300:
        p.error("medians need at least 300 runs: raise --rounds or --per-round")
    sys.path.insert(0, str(ROOT / "tests"))
    from runtime_op_cases import ensure_pyruntime

    ensure_pyruntime()  # the extension must be built from the current C sources
    opts = Options(
        rounds=args.rounds,
        per_round=args.per_round,
        threads=tuple(dict.fromkeys(args.threads)),
        int8=args.int8,
        float_io=args.float_io,
        rss_runs=args.rss_runs,
        ort_format=args.ort_format,
        tl_bench=None if args.no_tl_bench else build_tl_bench(args.build_dir.resolve()),
        clock=args.clock,
        calls=args.calls,
        time_reference=not args.no_reference_timing,
    )
    print(machine() + ("; times are CPU time per invoke (--clock cpu)" if args.clock == "cpu" else ""))
    start = time.monotonic()
    results = []
    for key in args.models:
        net = MODELS[key]()
        kind = ("int8, float32 I/O" if args.float_io else "int8") if args.int8 else "float32"
        threads = ", ".join(map(str, opts.threads))
        print(f"{net.name} ({kind}): {net.flops / 1e6:.2f} MFLOP, batch 1, threads {threads}", flush=True)
        results.append(bench(net, opts))
    print()
    print(markdown(results, opts))
    print(f"\n({time.monotonic() - start:.0f} s; load average {os.getloadavg()[0]:.2f} at the end)")


if __name__ == "__main__":
    main()
