"""Single-thread latency of one-op BatchMatMul and TransposeConv models, float32 and int8: tensorlet (its
optimized kernels, and its reference kernels for scale) against LiteRT (default resolver: XNNPACK), side by
side, as ratios to LiteRT.

Each model is built as a ``.tlm`` (seeded weights and inputs; int8 by ``trainer.quantize.quantize_model``
with int8 inputs and outputs, so the file holds the op alone), exported to ``.tflite`` by tensorlet's TFLite
exporter, and both runtimes run that same file (tensorlet imports it back), timed in interleaved rounds
(benchmarks/mlperf_tiny.py's ``interleaved``). The outputs are compared before timing (float32: relative
difference; int8: the largest difference in steps, XNNPACK's int8 rounding being its own). ``ai-edge-litert``
is benchmark-only; without it only tensorlet's columns are filled. No test asserts these timings.

    PYTHONPATH=. python benchmarks/gemm_ops_litert.py --rounds 10 --per-round 50
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# label: (op, shapes and options)
CASES: dict[str, tuple[str, dict]] = {
    "BatchMatMul Q K^T (4 heads, 32 tokens, 16 wide)": ("bmm", {"a": [1, 4, 32, 16], "b": [1, 4, 32, 16],
                                                                "adj_y": True}),
    "BatchMatMul P V (4 heads, 32 tokens, 16 wide)": ("bmm", {"a": [1, 4, 32, 32], "b": [1, 4, 32, 16]}),
    "BatchMatMul 8 x [128, 64] [64, 128]": ("bmm", {"a": [8, 128, 64], "b": [8, 64, 128]}),
    "TransposeConv 8x8x32 -> 16x16x16 (3x3, stride 2)": ("tconv", {"x": [1, 8, 8, 32], "oc": 16, "k": 3}),
    "TransposeConv 16x16x16 -> 32x32x1 (3x3, stride 2)": ("tconv", {"x": [1, 16, 16, 16], "oc": 1, "k": 3}),
    "TransposeConv 16x16x64 -> 32x32x32 (4x4, stride 2)": ("tconv", {"x": [1, 16, 16, 64], "oc": 32, "k": 4}),
}  # fmt: skip


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def float_model(op: str, o: dict) -> tuple[bytes, list[list[int]]]:
    """The float32 one-op .tlm and its input shapes."""
    from trainer.tlm import ModelBuilder

    rng = np.random.default_rng(1)
    b = ModelBuilder(description=f"bench {op}")
    if op == "bmm":
        adj_y = bool(o.get("adj_y", False))
        a, c = b.add_input("a", np.float32, o["a"]), b.add_input("b", np.float32, o["b"])
        n = o["b"][-2] if adj_y else o["b"][-1]
        y = b.add_tensor("y", np.float32, [*o["a"][:-1], n])
        b.add_op("BatchMatMul", [a, c], [y], adj_x=False, adj_y=adj_y)
        shapes = [o["a"], o["b"]]
    else:
        n, h, w, c_in = o["x"]
        k, oc = o["k"], o["oc"]
        x = b.add_input("x", np.float32, o["x"])
        wt = b.add_constant(
            "w", (rng.standard_normal((oc, k, k, c_in)) / np.sqrt(k * k * c_in)).astype(np.float32)
        )
        bias = b.add_constant("bias", (0.1 * rng.standard_normal(oc)).astype(np.float32))
        y = b.add_tensor("y", np.float32, [n, 2 * h, 2 * w, oc])
        b.add_op(
            "TransposeConv", [x, wt, bias], [y], padding="SAME", stride_h=2, stride_w=2, activation="RELU"
        )
        shapes = [o["x"]]
    b.mark_output(y)
    return b.finish(), shapes


def int8_model(model: bytes, shapes: list[list[int]]) -> bytes:
    from trainer.quantize import quantize_model

    rng = np.random.default_rng(2)
    samples = [[rng.uniform(-2, 2, s).astype(np.float32) for s in shapes] for _ in range(16)]
    return quantize_model(model, samples, inference_input_type="int8", inference_output_type="int8")


def _inputs(details: list[dict]) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    out = []
    for d in details:
        if np.dtype(d["dtype"]) == np.int8:
            out.append(rng.integers(-128, 128, size=d["shape"], dtype=np.int8))
        else:
            out.append(rng.uniform(-2, 2, size=d["shape"]).astype(np.float32))
    return out


def runners(
    tflite: bytes, with_litert: bool
) -> tuple[dict[str, Callable[[], None]], dict[str, list[np.ndarray]]]:
    """Invokes with the same seeded inputs set, single-threaded, and each runtime's outputs."""
    import pyruntime
    from trainer.lite.tflite import from_tflite

    tlm = from_tflite(tflite)
    runs: dict[str, Callable[[], None]] = {}
    outs: dict[str, list[np.ndarray]] = {}
    for name, kernels in (("tensorlet", None), ("tensorlet ref", "reference")):
        it = pyruntime.Interpreter(model_content=tlm, num_threads=1, kernels=kernels)
        it.allocate_tensors()
        for d, x in zip(it.get_input_details(), _inputs(it.get_input_details()), strict=True):
            it.set_tensor(d["index"], x)
        it.invoke()
        outs[name] = [it.get_tensor(d["index"]) for d in it.get_output_details()]
        runs[name] = it.invoke
    if with_litert:
        from ai_edge_litert import interpreter as lr

        ref = lr.Interpreter(model_content=tflite, num_threads=1)
        ref.allocate_tensors()
        for d, x in zip(ref.get_input_details(), _inputs(ref.get_input_details()), strict=True):
            ref.set_tensor(d["index"], x)
        ref.invoke()
        outs["litert"] = [ref.get_tensor(d["index"]) for d in ref.get_output_details()]
        runs["litert"] = ref.invoke
    return runs, outs


def _agreement(outs: dict[str, list[np.ndarray]]) -> str:
    if "litert" not in outs:
        return "-"
    a, b = outs["tensorlet"][0], outs["litert"][0]
    if a.dtype == np.int8:
        return f"max {int(np.abs(a.astype(int) - b).max())} step(s)"
    return f"rel {float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30)):.1e}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10, help="interleaved rounds (default 10)")
    ap.add_argument("--per-round", type=int, default=50, help="invokes per runtime per round (default 50)")
    args = ap.parse_args(argv)
    bench = _load(ROOT / "benchmarks" / "mlperf_tiny.py", "mlperf_tiny")
    from trainer.lite.tflite import to_tflite

    with_litert = importlib.util.find_spec("ai_edge_litert") is not None
    rows = [
        "| model | dtype | tensorlet µs | tensorlet ref µs | LiteRT µs | ratio | outputs |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, (op, o) in CASES.items():
        model, shapes = float_model(op, o)
        for dtype, tlm in (("float32", model), ("int8", int8_model(model, shapes))):
            runs, outs = runners(to_tflite(tlm), with_litert)
            for run in runs.values():  # warm-up
                run()
            us = bench.interleaved(runs, args.rounds, args.per_round)
            lite = us.get("litert")
            cells = [f"{us['tensorlet']:.1f}", f"{us['tensorlet ref']:.1f}", f"{lite:.1f}" if lite else "-"]
            rows.append(f"| {label} | {dtype} | {' | '.join(cells)} | {bench.ratio(us['tensorlet'], lite)} | "
                        f"{_agreement(outs)} |")  # fmt: skip
            print(rows[-1], flush=True)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
