"""Single-thread latency of one-op float32 GEMM models: the pointwise (1x1) convolutions and the batch-1
FullyConnected of MobileNetV1-0.5 at 128, the DS-CNN's pointwise convolution, the transformer's 32-token
projections, and a stack of MobileNet's 512-wide layers ending in its FullyConnected (weights in L3):
tensorlet (its optimized kernels) against LiteRT (default resolver: XNNPACK), side by side.

Each model is built as a ``.tlm`` (seeded weights), exported to ``.tflite`` by tensorlet's TFLite exporter,
and both runtimes run their twin with the same seeded input; the outputs are compared before timing. Single
invokes alternate between the runtimes in rounds (``--rounds`` of ``--per-round`` calls each), and the minimum
and the median per call are printed with the ratios (on a busy machine the minimum is the least disturbed
figure). ``ai-edge-litert`` is benchmark-only; without it only tensorlet's columns are filled. No test
asserts these timings.

    PYTHONPATH=. python benchmarks/gemm_f32_litert.py --rounds 20 --per-round 100
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# label: ("pw", h, w, in_c, out_c) pointwise Conv2D with ReLU6, or ("fc", m, k, n) FullyConnected with ReLU,
# or ("stack", layers, width, n): `layers` 1x1 convolutions width -> width on one pixel, then an FC to n
CASES: dict[str, tuple] = {
    "1x1 conv 64x64, 16 -> 32 (MobileNet)": ("pw", 64, 64, 16, 32),
    "1x1 conv 32x32, 32 -> 64 (MobileNet)": ("pw", 32, 32, 32, 64),
    "1x1 conv 16x16, 128 -> 128 (MobileNet)": ("pw", 16, 16, 128, 128),
    "1x1 conv 8x8, 256 -> 256 (MobileNet)": ("pw", 8, 8, 256, 256),
    "1x1 conv 4x4, 512 -> 512 (MobileNet)": ("pw", 4, 4, 512, 512),
    "1x1 conv 25x5, 64 -> 64 (DS-CNN)": ("pw", 25, 5, 64, 64),
    "FC 32 x 64 -> 192 (transformer)": ("fc", 32, 64, 192),
    "FC 32 x 128 -> 64 (transformer)": ("fc", 32, 128, 64),
    "FC 1 x 784 -> 256 (MLP)": ("fc", 1, 784, 256),
    "FC 1 x 512 -> 1000 (MobileNet)": ("fc", 1, 512, 1000),
    "4 x 1x1 512 -> 512 on 1 pixel, FC 512 -> 1000": ("stack", 4, 512, 1000),
}  # fmt: skip


def model(case: tuple) -> bytes:
    """The one-op (or stacked) float32 .tlm of a case."""
    from trainer.tlm import ModelBuilder

    rng = np.random.default_rng(1)
    b = ModelBuilder(description="bench gemm")
    count = [0]

    def dense(x, shape_in: list[int], n: int, k: int, act: str, conv: bool):
        count[0] += 1
        w_shape = (n, 1, 1, k) if conv else (n, k)
        w = b.add_constant(f"w{count[0]}", (rng.standard_normal(w_shape) / np.sqrt(k)).astype(np.float32))
        bias = b.add_constant(f"b{count[0]}", (0.1 * rng.standard_normal(n)).astype(np.float32))
        y = b.add_tensor(f"y{count[0]}", np.float32, [*shape_in[:-1], n])
        if conv:
            b.add_op("Conv2D", [x, w, bias], [y], padding="SAME", stride_h=1, stride_w=1, activation=act)
        else:
            b.add_op("FullyConnected", [x, w, bias], [y], activation=act)
        return y

    if case[0] == "pw":
        _, h, w, k, n = case
        x = b.add_input("x", np.float32, [1, h, w, k])
        y = dense(x, [1, h, w, k], n, k, "RELU6", True)
    elif case[0] == "fc":
        _, m, k, n = case
        x = b.add_input("x", np.float32, [m, k])
        y = dense(x, [m, k], n, k, "RELU", False)
    else:
        _, layers, width, n = case
        y = x = b.add_input("x", np.float32, [1, 1, 1, width])
        for _ in range(layers):
            y = dense(y, [1, 1, 1, width], width, width, "RELU6", True)
        flat = b.add_tensor("flat", np.float32, [1, width])
        b.add_op("Reshape", [y], [flat], new_shape=[1, width])
        y = dense(flat, [1, width], n, width, "NONE", False)
    b.mark_output(y)
    return b.finish()


def _ready(it):
    it.allocate_tensors()
    rng = np.random.default_rng(0)
    for d in it.get_input_details():
        it.set_tensor(d["index"], rng.uniform(-2, 2, size=d["shape"]).astype(np.float32))
    it.invoke()
    return it


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20, help="rounds (default 20)")
    ap.add_argument("--per-round", type=int, default=100, help="calls per runtime per round (default 100)")
    args = ap.parse_args(argv)
    import pyruntime
    from trainer.lite.tflite import to_tflite

    with_litert = importlib.util.find_spec("ai_edge_litert") is not None
    rows = [
        "| model | tensorlet min / median µs | LiteRT min / median µs | ratio of minima | ratio of medians "
        "| outputs |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for label, case in CASES.items():
        tlm = model(case)
        runs = {"tensorlet": _ready(pyruntime.Interpreter(model_content=tlm, num_threads=1))}
        if with_litert:
            from ai_edge_litert import interpreter as lr

            runs["litert"] = _ready(lr.Interpreter(model_content=to_tflite(tlm), num_threads=1))
        outs = {k: it.get_tensor(it.get_output_details()[0]["index"]) for k, it in runs.items()}
        times: dict[str, list[float]] = {k: [] for k in runs}
        for _ in range(args.rounds):
            for name, it in runs.items():
                for _ in range(args.per_round):
                    t0 = time.perf_counter()
                    it.invoke()
                    times[name].append((time.perf_counter() - t0) * 1e6)
        mn = {k: min(v) for k, v in times.items()}
        md = {k: statistics.median(v) for k, v in times.items()}
        if with_litert:
            a, b = outs["tensorlet"], outs["litert"]
            agree = f"rel {float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30)):.1e}"
            lite = f"{mn['litert']:.1f} / {md['litert']:.1f}"
            ratios = f"**{mn['tensorlet'] / mn['litert']:.2f}** | **{md['tensorlet'] / md['litert']:.2f}**"
        else:
            agree, lite, ratios = "-", "-", "- | -"
        ours = f"{mn['tensorlet']:.1f} / {md['tensorlet']:.1f}"
        rows.append(f"| {label} | {ours} | {lite} | {ratios} | {agree} |")
        print(rows[-1], flush=True)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
