"""C runtime latency and memory of a 784-256-256-10 float32 MLP (random weights), via tl_bench and pyruntime.

Builds the model with trainer.tlm.ModelBuilder (FullyConnected+ReLU, FullyConnected+ReLU, FullyConnected;
the output is the logits), builds tl_bench with CMake (Release, gcc by default) and runs
``tl_bench MODEL --runs N``, then times ``pyruntime.Interpreter.invoke`` on the same model. Not part of the
test suite; nothing here is compared with another runtime.

    .venv/bin/python benchmarks/runtime_mlp.py                         # build/bench, 2000 runs, batch 1
    .venv/bin/python benchmarks/runtime_mlp.py --build-dir build-docs/bench --batch 8
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trainer.tlm import ModelBuilder  # noqa: E402

LAYERS = (784, 256, 256, 10)


def build_mlp(batch: int = 1, seed: int = 0) -> bytes:
    """The float32 MLP as .tlm bytes; He-scaled normal weights, zero biases."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder(description=f"benchmark MLP {'-'.join(map(str, LAYERS))}, random weights")
    h = b.add_input("x", np.float32, [batch, LAYERS[0]])
    for k, (n_in, n_out) in enumerate(zip(LAYERS[:-1], LAYERS[1:], strict=True)):
        w = rng.normal(0.0, np.sqrt(2.0 / n_in), (n_out, n_in)).astype(np.float32)  # [out, in]
        wi = b.add_constant(f"dense_{k}/kernel", w)
        bi = b.add_constant(f"dense_{k}/bias", np.zeros(n_out, np.float32))
        last = k == len(LAYERS) - 2
        y = b.add_tensor("logits" if last else f"dense_{k}/Relu", np.float32, [batch, n_out])
        b.add_op("FullyConnected", [h, wi, bi], [y], activation="NONE" if last else "RELU")
        h = y
    b.mark_output(h)
    return b.finish()


def build_tl_bench(build_dir: Path, compiler: str) -> Path:
    """Configure (once) and build tl_bench in build_dir, Release, without the C tests."""
    if not (build_dir / "CMakeCache.txt").exists():
        subprocess.run(
            [
                "cmake", "-S", str(ROOT / "runtime_c"), "-B", str(build_dir),
                "-DCMAKE_BUILD_TYPE=Release", f"-DCMAKE_C_COMPILER={compiler}", "-DTL_BUILD_TESTS=OFF",
            ],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    subprocess.run(
        ["cmake", "--build", str(build_dir), "--target", "tl_bench", "-j2"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return build_dir / "tl_bench"


def run_tl_bench(tool: Path, model_path: Path, runs: int, warmup: int) -> dict[str, str]:
    out = subprocess.run(
        [str(tool), str(model_path), "--runs", str(runs), "--warmup", str(warmup)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return dict(line.split(": ", 1) for line in out.strip().splitlines())


def pyruntime_latency(
    model: bytes, batch: int, runs: int, warmup: int
) -> tuple[list[float], list[float], int]:
    """Microseconds per invoke() and per run() (set input + invoke + copy output), and the arena bytes."""
    from pyruntime import Interpreter

    interp = Interpreter(model_content=model)
    interp.allocate_tensors()
    x = np.random.default_rng(1).uniform(-1, 1, (batch, LAYERS[0])).astype(np.float32)
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    invoke, run = [], []
    for i in range(warmup + runs):
        t0 = time.perf_counter_ns()
        interp.invoke()
        t1 = time.perf_counter_ns()
        interp.run(x)
        t2 = time.perf_counter_ns()
        if i >= warmup:
            invoke.append((t1 - t0) / 1e3)
            run.append((t2 - t1) / 1e3)
    return invoke, run, interp.arena_bytes


def p90(samples: list[float]) -> float:
    """Nearest rank, as tl_bench computes it."""
    s = sorted(samples)
    return s[(len(s) * 9 + 9) // 10 - 1]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=2000, help="timed invokes (default 2000)")
    p.add_argument("--warmup", type=int, default=50, help="untimed invokes first (default 50)")
    p.add_argument("--batch", type=int, default=1, help="batch size baked into the model (default 1)")
    p.add_argument("--build-dir", type=Path, default=ROOT / "build" / "bench", help="default build/bench")
    p.add_argument("--cc", default=os.environ.get("CC", "gcc"), help="C compiler (default $CC or gcc)")
    p.add_argument("--no-pyruntime", action="store_true", help="skip the pyruntime timing")
    args = p.parse_args(argv)

    model = build_mlp(args.batch)
    tool = build_tl_bench(args.build_dir.resolve(), args.cc)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "mlp.tlm"
        path.write_bytes(model)
        r = run_tl_bench(tool, path, args.runs, args.warmup)
    flops = 2 * args.batch * sum(a * b for a, b in zip(LAYERS[:-1], LAYERS[1:], strict=True))
    arch = "-".join(map(str, LAYERS))
    print(f"model: MLP {arch} float32, batch {args.batch}, {flops / 1e6:.2f} MFLOP per invoke")
    print(f"model_bytes: {r['model_bytes']}")
    print(f"arena_bytes: {r['arena_bytes']}")
    print(f"required_memory_bytes: {r['required_memory_bytes']}")
    print(
        f"tl_bench ({args.runs} runs, {args.cc}, Release): min {float(r['min_us']):.1f} us, "
        f"median {float(r['median_us']):.1f} us, p90 {float(r['p90_us']):.1f} us"
    )
    if not args.no_pyruntime:
        invoke, run, arena = pyruntime_latency(model, args.batch, args.runs, args.warmup)
        assert arena == int(r["arena_bytes"]), (arena, r["arena_bytes"])
        print(
            f"pyruntime invoke(): min {min(invoke):.1f} us, median {statistics.median(invoke):.1f} us, "
            f"p90 {p90(invoke):.1f} us"
        )
        print(
            f"pyruntime run() (set_tensor + invoke + get_tensor): median {statistics.median(run):.1f} us, "
            f"p90 {p90(run):.1f} us"
        )


if __name__ == "__main__":
    main()
