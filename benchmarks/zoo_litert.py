"""Single-thread latency of the model zoo's MobileNetV2, MobileNetV3, ResNet-8, DS-CNN, transformer and text
classifier (examples/zoo/zoo.py, full sizes), float32 and int8: tensorlet against LiteRT (default resolver:
XNNPACK), side by side, as ratios.

The models are the zoo's ``.tlm`` files (written by ``examples/zoo/zoo.py --out DIR``, or made here when
missing); each is exported to ``.tflite`` by tensorlet's TFLite exporter (``trainer.lite.tflite.to_tflite``),
and both runtimes run that same file (tensorlet imports it back), with the same seeded input, timed in
interleaved rounds (benchmarks/mlperf_tiny.py's ``make_runners`` and ``interleaved``). ``ai-edge-litert`` is
benchmark-only; without it only tensorlet's column is filled. No test asserts these timings.

``--calls N`` times single invokes instead, alternating the runtimes call by call N times, and reports the
minimum and the median of each (on a busy machine the minimum is the least disturbed figure, and alternating
single calls keeps a burst of load from falling on one runtime's whole round).

    PYTHONPATH=. python benchmarks/zoo_litert.py --zoo out/zoo --rounds 10 --per-round 20
    PYTHONPATH=. python benchmarks/zoo_litert.py --zoo out/zoo --family transformer --calls 2000
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ("mobilenet_v2", "mobilenet_v3", "resnet8", "ds_cnn", "transformer", "text")


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def zoo_cases(zoo_dir: Path, families: list[str], size: str = "full") -> list:
    """mlperf_tiny.Case per family and precision, from the zoo's models in ``zoo_dir`` (made when missing);
    families whose runtime ops have not landed are left out."""
    sys.path.insert(0, str(ROOT / "examples" / "zoo"))
    zoo = _load(ROOT / "examples" / "zoo" / "zoo.py", "zoo")
    bench = _load(ROOT / "benchmarks" / "mlperf_tiny.py", "mlperf_tiny")
    from trainer.lite.tflite import to_tflite

    cases = []
    for name in families:
        family = zoo.FAMILIES[name][0]
        if zoo.missing_ops(family):
            print(f"{name}: left out, the runtime has no {', '.join(zoo.missing_ops(family))}", flush=True)
            continue
        if not (zoo_dir / f"{name}_int8.tlm").is_file():
            zoo.run_family(name, size, out=zoo_dir)
        for dtype, stem in (("float32", "float"), ("int8", "int8")):
            tlm = (zoo_dir / f"{name}_{stem}.tlm").read_bytes()
            cases.append(bench.Case(f"{family.title} {family.shape}", dtype, to_tflite(tlm)))
    return cases


def per_call(runners: dict[str, Callable[[], None]], calls: int) -> dict[str, tuple[float, float]]:
    """(min, median) µs per invoke of each runtime, single calls alternating between the runtimes."""
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(calls):
        for name, run in runners.items():
            t0 = time.perf_counter()
            run()
            times[name].append((time.perf_counter() - t0) * 1e6)
    return {name: (min(v), statistics.median(v)) for name, v in times.items()}


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "-"


def _pair(v: tuple[float, float] | None) -> str:
    return f"{v[0]:.1f} / {v[1]:.1f}" if v else "-"


def per_call_markdown(rows: list[tuple[str, str, dict[str, tuple[float, float]]]]) -> str:
    lines = [
        "| model | dtype | tensorlet min / median µs | LiteRT (XNNPACK) min / median µs "
        "| ratio of minima | ratio of medians |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for label, dtype, got in rows:
        t, lr = got.get("tensorlet"), got.get("litert")
        lines.append(
            f"| {label} | {dtype} | {_pair(t)} | {_pair(lr)} | {_ratio(t and t[0], lr and lr[0])} "
            f"| {_ratio(t and t[1], lr and lr[1])} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zoo", default="out/zoo", help="folder of the zoo's models (default out/zoo)")
    ap.add_argument("--family", action="append", choices=FAMILIES, help="repeatable (default: all six)")
    ap.add_argument("--rounds", type=int, default=10, help="interleaved rounds (default 10)")
    ap.add_argument("--per-round", type=int, default=20, help="invokes per runtime per round (default 20)")
    ap.add_argument("--calls", type=int, default=0, help="single invokes, alternating (min, median)")
    args = ap.parse_args(argv)
    bench = _load(ROOT / "benchmarks" / "mlperf_tiny.py", "mlperf_tiny")
    available = bench.available_runtimes() - {"tflm"}
    cases = zoo_cases(Path(args.zoo), list(args.family or FAMILIES))
    rows = []
    for c in cases:
        try:
            runners = bench.make_runners(c.tflite, available)
        except RuntimeError as e:  # LiteRT lacks a kernel (e.g. int8 SQUARE): tensorlet alone
            print(f"{c.label} {c.dtype}: LiteRT refused it ({str(e).splitlines()[0]})", flush=True)
            runners = bench.make_runners(c.tflite, available - {"litert"})
        for run in runners.values():  # warm-up
            run()
        if args.calls:
            rows.append((c.label, c.dtype, per_call(runners, args.calls)))
            print(
                f"{c.label} {c.dtype}: " + ", ".join(f"{k} min {v[0]:.1f} µs" for k, v in rows[-1][2].items())
            )
            continue
        c.median_us = bench.interleaved(runners, args.rounds, args.per_round)
        got = ", ".join(f"{k} {v:.1f} µs" for k, v in c.median_us.items())
        print(f"{c.label} {c.dtype}: {got}", flush=True)
    print(per_call_markdown(rows) if args.calls else bench.markdown(cases))
    return 0


if __name__ == "__main__":
    sys.exit(main())
