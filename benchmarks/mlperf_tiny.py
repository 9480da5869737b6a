"""Single-thread latency of the four MLPerf-Tiny-shaped models, float32 and int8: tensorlet (the imported
``.tflite`` on the C runtime, optimized kernels) against LiteRT (default resolver: XNNPACK) and TFLite Micro
(its reference kernels), as ratios. See benchmarks/README.md.

The int8 models (and the float32 DS-CNN) are the committed fixtures (tests/fixtures/tflite/); the float32
ResNet-8, MobileNetV1-0.25 and autoencoder are converted at run time by scripts/make_tflite_fixtures.py's
builders when TensorFlow is installed (same seeds as the fixtures), else left out. ``ai-edge-litert`` and
``tflite-micro`` are benchmark-only here; a missing one drops its column.

    PYTHONPATH=. python benchmarks/mlperf_tiny.py --rounds 10 --per-round 20
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "tflite"
# (label, fixture stem of the int8 model, builder name in make_tflite_fixtures, its seed)
MODELS = [
    ("DS-CNN KWS 49x10", "kws_ds_cnn", "ds_cnn", 10),
    ("ResNet-8 32x32x3", "ic_resnet8", "resnet8", 11),
    ("MobileNetV1-0.25 VWW 96x96x3", "vww_mobilenet_025", "mobilenet_025", 12),
    ("FC autoencoder 640", "ad_autoencoder", "autoencoder", 13),
]
RUNTIMES = ("tensorlet", "litert", "tflm")


@dataclass
class Case:
    """One model in one precision: its .tflite bytes and the median µs per invoke of each runtime."""

    label: str
    dtype: str
    tflite: bytes
    median_us: dict[str, float] = field(default_factory=dict)


def _fixture_builders() -> object | None:
    """scripts/make_tflite_fixtures.py as a module when TensorFlow imports, else None."""
    try:
        if importlib.util.find_spec("tensorflow") is None:
            return None
    except ImportError:
        return None
    path = ROOT / "scripts" / "make_tflite_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_tflite_fixtures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_cases(builders: object | None) -> list[Case]:
    """Every int8 fixture, the float32 DS-CNN fixture, and the other float32 models when ``builders``."""
    cases = []
    for label, stem, build, seed in MODELS:
        float_file = FIXTURES / f"{stem}.tflite"
        if float_file.exists():
            cases.append(Case(label, "float32", float_file.read_bytes()))
        elif builders is not None:
            cases.append(Case(label, "float32", builders.from_keras(getattr(builders, build), seed, "float")))
        cases.append(Case(label, "int8", (FIXTURES / f"{stem}_int8.tflite").read_bytes()))
    return cases


def _input(detail_shape, dtype, rng: np.random.Generator) -> np.ndarray:
    if np.dtype(dtype) == np.int8:
        return rng.integers(-128, 128, size=detail_shape, dtype=np.int8)
    if np.dtype(dtype) == np.int32:  # token ids: 0 and 1, rows of any embedding table
        return rng.integers(0, 2, size=detail_shape, dtype=np.int32)
    return rng.uniform(-2, 2, size=detail_shape).astype(np.float32)


def make_runners(tflite: bytes, available: set[str]) -> dict[str, Callable[[], None]]:
    """One zero-argument invoke per runtime, each with the same seeded input already set, single-threaded."""
    runners: dict[str, Callable[[], None]] = {}
    if "tensorlet" in available:
        import pyruntime
        from trainer.lite.tflite import from_tflite

        ours = pyruntime.Interpreter(model_content=from_tflite(tflite), num_threads=1)
        ours.allocate_tensors()
        (d,) = ours.get_input_details()
        ours.set_tensor(d["index"], _input(d["shape"], d["dtype"], np.random.default_rng(0)))
        runners["tensorlet"] = ours.invoke
    if "litert" in available:
        from ai_edge_litert import interpreter as lr

        ref = lr.Interpreter(model_content=tflite, num_threads=1)
        ref.allocate_tensors()
        (d,) = ref.get_input_details()
        ref.set_tensor(d["index"], _input(d["shape"], d["dtype"], np.random.default_rng(0)))
        runners["litert"] = ref.invoke
    if "tflm" in available:
        from tflite_micro import runtime

        micro = runtime.Interpreter.from_bytes(tflite)
        d = micro.get_input_details(0)
        micro.set_input(_input(d["shape"], d["dtype"], np.random.default_rng(0)), 0)
        runners["tflm"] = micro.invoke
    return runners


def interleaved(runners: dict[str, Callable[[], None]], rounds: int, per_round: int) -> dict[str, float]:
    """Median µs per call: each round times ``per_round`` calls of every runner in turn (a busy machine slows
    them alike)."""
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(rounds):
        for name, run in runners.items():
            t0 = time.perf_counter()
            for _ in range(per_round):
                run()
            times[name].append((time.perf_counter() - t0) / per_round * 1e6)
    return {name: statistics.median(v) for name, v in times.items()}


def ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None or b <= 0 else f"**{a / b:.2f}**"


def _us(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}"


def markdown(cases: list[Case]) -> str:
    lines = [
        "| model | dtype | tensorlet µs | LiteRT (XNNPACK) µs | TFLite Micro µs | tensorlet / LiteRT "
        "| tensorlet / TFLite Micro |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for c in cases:
        t, lr, tm = (c.median_us.get(r) for r in RUNTIMES)
        lines.append(
            f"| {c.label} | {c.dtype} | {_us(t)} | {_us(lr)} | {_us(tm)} | {ratio(t, lr)} | {ratio(t, tm)} |"
        )
    return "\n".join(lines)


def available_runtimes() -> set[str]:
    found = {"tensorlet"}
    for name, module in (("litert", "ai_edge_litert"), ("tflm", "tflite_micro")):
        try:
            ok = importlib.util.find_spec(module) is not None
        except ImportError:
            ok = False
        if ok:
            found.add(name)
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10, help="interleaved rounds (default 10)")
    ap.add_argument("--per-round", type=int, default=20, help="invokes per runtime per round (default 20)")
    ap.add_argument("--no-float-conversion", action="store_true", help="skip converting float models with TF")
    args = ap.parse_args(argv)
    builders = None if args.no_float_conversion else _fixture_builders()
    available = available_runtimes()
    cases = load_cases(builders)
    for c in cases:
        runners = make_runners(c.tflite, available)
        for run in runners.values():  # warm-up
            run()
        c.median_us = interleaved(runners, args.rounds, args.per_round)
        got = ", ".join(f"{k} {v:.1f} µs" for k, v in c.median_us.items())
        print(f"{c.label} {c.dtype}: {got}", flush=True)
    print(markdown(cases))
    return 0


if __name__ == "__main__":
    sys.exit(main())
