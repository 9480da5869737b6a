"""tensorlet (reference and optimized kernels) side by side with LiteRT and ONNX Runtime, 1 thread.

Three models with the same random weights in every runtime: the MLP 784-256-256-10, the CNN
conv3x3x32-pool-conv3x3x64-pool-dense128-dense10 on 28x28x1, and MobileNetV1 width 0.5 at 128x128x3 with
1000 classes (batch 1, ReLU/ReLU6, folded batch norm, SAME padding). Each model is described once as a list
of layers (numpy weights) and emitted three ways: a .tlm with trainer.tlm.ModelBuilder, a Keras model
converted by tensorflow's TFLiteConverter and run by ai_edge_litert, and an ONNX graph (NCHW, weights
transposed to match) run by onnxruntime. Outputs are checked against each other before timing.

Timing: every runtime's invoke is timed from Python (inputs set once; ONNX Runtime's run() also binds the
input, as its API needs), in interleaved rounds (each round times `--per-round` invokes of every runtime in
turn), and the medians over all rounds are printed with ratios to LiteRT. tensorlet is also timed with
`tl_bench` (C, no Python) at both kernel levels. Benchmark-only dependencies (ai-edge-litert,
tensorflow-cpu, onnx, onnxruntime) are optional: a missing one is reported and its column left out.

    .venv/bin/python benchmarks/runtime_vs_litert.py                    # 10 rounds x 40 invokes each
    .venv/bin/python benchmarks/runtime_vs_litert.py --models mlp cnn --rounds 20
    .venv/bin/python benchmarks/runtime_vs_litert.py --int8              # int8 models, tensorlet vs LiteRT

With --int8 the same float models are quantized (int8 inputs and outputs, per-channel weights) from 16
random calibration inputs: tensorlet's by trainer.quantize.quantize_model, LiteRT's by TFLiteConverter with
Optimize.DEFAULT, a representative dataset and TFLITE_BUILTINS_INT8. The two calibrations differ, so their
outputs agree only approximately (printed); tensorlet's optimized and reference kernels must agree exactly.
ONNX Runtime is left out of the int8 mode.
"""

from __future__ import annotations

import argparse
import importlib.util
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

from trainer.tlm import ModelBuilder  # noqa: E402

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
        elif layer.kind == "maxpool":
            b.add_op(
                "MaxPool2D",
                [t],
                [y],
                padding="VALID",
                filter_h=layer.pool,
                filter_w=layer.pool,
                stride_h=layer.pool,
                stride_w=layer.pool,
            )
        elif layer.kind == "avgpool_global":
            b.add_op(
                "AveragePool2D",
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


def to_tlm_int8(net: Net) -> bytes:
    from trainer.quantize import quantize_model

    samples = _calibration(net)
    return quantize_model(
        to_tlm(net),
        lambda: ([x] for x in samples),
        inference_input_type="int8",
        inference_output_type="int8",
    )


def to_tflite_int8(net: Net) -> bytes:
    import tensorflow as tf

    samples = _calibration(net)
    converter = tf.lite.TFLiteConverter.from_keras_model(_keras(net))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([x] for x in samples)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
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


# ---- runners: each returns (invoke() -> None, output() -> ndarray) with the input already set ----

Runner = tuple[Callable[[], None], Callable[[], np.ndarray]]


def _quantized_io(it, x: np.ndarray) -> Runner:
    """Sets the input (quantized with the input's parameters when it is int8); the output getter returns
    float values (dequantized when the output is int8)."""
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    if inp["dtype"] == np.int8:
        scale, zp = inp["quantization"]
        x = np.clip(np.round(x / scale) + zp, -128, 127).astype(np.int8)
    it.set_tensor(inp["index"], x)

    def output() -> np.ndarray:
        y = it.get_tensor(out["index"])
        if out["dtype"] == np.int8:
            scale, zp = out["quantization"]
            return (y.astype(np.float64) - zp) * scale
        return y

    return it.invoke, output


def tensorlet_runner(model: bytes, x: np.ndarray, kernels: str) -> Runner:
    from pyruntime import Interpreter

    it = Interpreter(model_content=model, kernels=kernels)
    it.allocate_tensors()
    return _quantized_io(it, x)


def litert_runner(model: bytes, x: np.ndarray) -> Runner:
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_content=model, num_threads=1)
    it.allocate_tensors()
    return _quantized_io(it, x)


def ort_runner(model: bytes, x: np.ndarray) -> Runner:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    feed = {"input": x.transpose(0, 3, 1, 2).copy() if x.ndim == 4 else x}
    result: list[np.ndarray] = []

    def invoke() -> None:
        result[:] = sess.run(None, feed)

    return invoke, lambda: result[0]


def tl_bench(model: bytes, kernels: str, runs: int, build_dir: Path) -> dict[str, str]:
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
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "m.tlm"
        path.write_bytes(model)
        env = dict(os.environ, TENSORLET_KERNELS=kernels)
        out = subprocess.run(
            [str(build_dir / "tl_bench"), str(path), "--runs", str(runs), "--warmup", "20"],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout
    return dict(line.split(": ", 1) for line in out.strip().splitlines())


def have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def bench(net: Net, rounds: int, per_round: int, build_dir: Path, int8: bool = False) -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, net.input_shape).astype(np.float32)
    tlm = to_tlm_int8(net) if int8 else to_tlm(net)
    runners: dict[str, Runner] = {
        "tensorlet reference": tensorlet_runner(tlm, x, "reference"),
        "tensorlet": tensorlet_runner(tlm, x, "auto"),
    }
    if have("ai_edge_litert") and have("tensorflow"):
        runners["LiteRT"] = litert_runner(to_tflite_int8(net) if int8 else to_tflite(net), x)
    else:
        print("  (LiteRT left out: ai-edge-litert and tensorflow-cpu are not installed)")
    if int8:
        print("  (ONNX Runtime left out of the int8 mode)")
    elif have("onnxruntime") and have("onnx"):
        runners["ONNX Runtime"] = ort_runner(to_onnx(net), x)
    else:
        print("  (ONNX Runtime left out: onnx and onnxruntime are not installed)")
    outs = {}
    for name, (invoke, output) in runners.items():
        for _ in range(5):
            invoke()
        outs[name] = output().astype(np.float64).reshape(-1)
    want = outs["tensorlet reference"]
    if int8 and not np.array_equal(outs["tensorlet"], want):
        raise SystemExit("tensorlet optimized int8 output differs from its reference kernels")
    for name, got in outs.items():
        err = float(np.max(np.abs(got - want))) / max(float(np.max(np.abs(want))), 1e-30)
        print(f"  {name:20s} max |out - reference| / max |reference| = {err:.2e}")
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(rounds):  # interleaved: every runtime once per round
        for name, (invoke, _) in runners.items():
            for _ in range(per_round):
                t0 = time.perf_counter_ns()
                invoke()
                times[name].append((time.perf_counter_ns() - t0) / 1e3)
    med = {name: statistics.median(ts) for name, ts in times.items()}
    base = med.get("LiteRT")
    runs = len(times["tensorlet"])
    print(f"  {'runtime':20s} {'median us':>10s} {'GFLOP/s':>8s} {'/ LiteRT':>9s}   ({runs} runs each)")
    for name, m in med.items():
        ratio = f"{m / base:9.2f}" if base else "        -"
        print(f"  {name:20s} {m:10.1f} {net.flops / m / 1e3:8.1f} {ratio}")
    for kernels in ("reference", "auto"):
        r = tl_bench(tlm, kernels, rounds * per_round, build_dir)
        print(
            f"  tl_bench {kernels:9s}   median {float(r['median_us']):8.1f} us, arena {r['arena_bytes']} B, "
            f"caller memory {r['required_memory_bytes']} B"
        )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", choices=sorted(MODELS), default=["mlp", "cnn", "mobilenet"])
    p.add_argument("--rounds", type=int, default=10, help="interleaved rounds (default 10)")
    p.add_argument("--per-round", type=int, default=40, help="invokes per runtime per round (default 40)")
    p.add_argument("--int8", action="store_true", help="int8-quantized models (tensorlet and LiteRT)")
    p.add_argument(
        "--build-dir",
        type=Path,
        default=ROOT / "build" / "bench",
        help="tl_bench build (default build/bench)",
    )
    args = p.parse_args(argv)
    if args.rounds * args.per_round < 300:
        p.error("medians need at least 300 runs: raise --rounds or --per-round")
    sys.path.insert(0, str(ROOT / "tests"))
    from runtime_op_cases import ensure_pyruntime

    ensure_pyruntime()  # the extension must be built from the current C sources
    for key in args.models:
        net = MODELS[key]()
        kind = "int8" if args.int8 else "float32"
        print(f"{net.name} ({kind}): {net.flops / 1e6:.2f} MFLOP, batch 1, 1 thread")
        bench(net, args.rounds, args.per_round, args.build_dir.resolve(), args.int8)


if __name__ == "__main__":
    main()
