"""The trainer's convolution kernels, numpy (im2col + OpenBLAS sgemm) against the C runtime's packed GEMM.

For each convolution of the benchmark CNN's step (trainer_epoch.py, batch 128: conv 3x3 1->32 on 28x28 and
3x3 32->64 on 14x14, SAME) times Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter (and the first 2x2
pool's MaxPool2D and MaxPoolGrad) on both paths of
trainer/ops/conv_ops.py (``TENSORLET_TRAINER_KERNELS=numpy`` and ``runtime``), interleaved in rounds, in
CPU time (``time.process_time``, all threads of the process) and wall clock, and prints the GFLOP/s of each
and the runtime / numpy ratio, with the load average before and after. Also the bare sgemm of the second
convolution's im2col matrix through numpy, the BLAS bound of the numpy path.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python benchmarks/trainer_conv_kernels.py
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from types import SimpleNamespace

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from trainer.ops import conv_ops  # noqa: E402

# (name, N, H, W, C, O): 3x3 SAME, stride 1
LAYERS = [("conv1 28x28 1->32", 128, 28, 28, 1, 32), ("conv2 14x14 32->64", 128, 14, 14, 32, 64)]
ATTRS = {"strides": (1, 1), "dilations": (1, 1), "padding": "SAME"}


def _ctx() -> SimpleNamespace:
    return SimpleNamespace(attrs=ATTRS, xp=np, op=SimpleNamespace(name="bench"), step=None)


def _cases(n: int, h: int, w: int, c: int, o: int, rng: np.random.Generator):
    x = rng.standard_normal((n, h, w, c), dtype=np.float32)
    k = rng.standard_normal((3, 3, c, o), dtype=np.float32)
    dy = rng.standard_normal((n, h, w, o), dtype=np.float32)
    flop = 2.0 * n * h * w * 9 * c * o
    yield "Conv2D", flop, lambda: conv_ops._conv2d_kernel(_ctx(), x, k)
    if c > 1:  # the first layer's input gradient is never computed (x is a placeholder)
        sizes = np.array(x.shape, np.int32)
        yield "Conv2DBackpropInput", flop, lambda: conv_ops._conv2d_bi_kernel(_ctx(), sizes, k, dy)
    yield "Conv2DBackpropFilter", flop, lambda: conv_ops._conv2d_bf_kernel(_ctx(), x, np.array(k.shape), dy)


def _pool_cases(rng: np.random.Generator):
    """MaxPool2D and MaxPoolGrad of the first layer's 2x2 pool (128x28x28x32, after a ReLU)."""
    x = np.maximum(rng.standard_normal((128, 28, 28, 32), dtype=np.float32), 0)
    a = {"ksize": (2, 2), "strides": (2, 2), "padding": "SAME"}
    ctx = SimpleNamespace(attrs=a, xp=np, op=SimpleNamespace(name="bench"), step=None)
    y = conv_ops._max_pool_kernel(ctx, x)
    dy = rng.standard_normal(y.shape, dtype=np.float32)
    yield "MaxPool2D", 0.0, lambda: conv_ops._max_pool_kernel(ctx, x)
    yield "MaxPoolGrad", 0.0, lambda: conv_ops._max_pool_grad_kernel(ctx, x, y, dy)


def _time(fn, reps: int) -> tuple[float, float]:
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.process_time() - c0) / reps, (time.perf_counter() - w0) / reps


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=5, help="rounds of (numpy, runtime) per op")
    p.add_argument("--reps", type=int, default=3, help="calls per path and round")
    args = p.parse_args()
    from trainer.ops import conv_runtime

    print(f"numpy {np.__version__}, runtime threads {conv_runtime.threads()}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}, "
          f"load average before {os.getloadavg()[0]:.2f}")  # fmt: skip
    rng = np.random.default_rng(0)
    print(f"{'layer':20} {'op':22} {'numpy ms cpu/wall':>18} {'runtime ms cpu/wall':>20} "
          f"{'GFLOP/s np/rt (cpu)':>20} {'ratio cpu':>9} {'max |diff|':>10}")  # fmt: skip
    cases = [(name, case) for name, n, h, w, c, o in LAYERS for case in _cases(n, h, w, c, o, rng)]
    cases += [("pool1 128x28x28x32", case) for case in _pool_cases(rng)]
    for name, (op, flop, fn) in cases:
        paths = {"numpy": [], "runtime": []}
        out = {}
        for path in paths:
            os.environ[conv_runtime.ENV_VAR] = path
            out[path] = fn()  # warm up (and keep the result to compare)
        for _ in range(args.rounds):
            for path, times in paths.items():
                os.environ[conv_runtime.ENV_VAR] = path
                times.append(_time(fn, args.reps))
        cpu = {k: min(t[0] for t in v) for k, v in paths.items()}
        wall = {k: min(t[1] for t in v) for k, v in paths.items()}
        diff = float(np.max(np.abs(out["numpy"] - out["runtime"])))
        print(f"{name:20} {op:22} {cpu['numpy'] * 1e3:8.2f}/{wall['numpy'] * 1e3:<8.2f} "
              f"{cpu['runtime'] * 1e3:9.2f}/{wall['runtime'] * 1e3:<9.2f} "
              f"{flop / cpu['numpy'] / 1e9:9.1f}/{flop / cpu['runtime'] / 1e9:<9.1f} "  # 0 for pooling
              f"{cpu['runtime'] / cpu['numpy']:8.2f}x {diff:10.2e}")  # fmt: skip
    os.environ.pop(conv_runtime.ENV_VAR, None)
    # the numpy path's bound: one sgemm of conv2's im2col matrix [N*H*W, 9*C] by [9*C, O]
    a = rng.standard_normal((128 * 14 * 14, 288), dtype=np.float32)
    b = rng.standard_normal((288, 64), dtype=np.float32)
    a @ b
    cpu, wall = min(_time(lambda: a @ b, args.reps) for _ in range(args.rounds))
    print(f"sgemm [25088, 288] x [288, 64] (numpy's BLAS): {cpu * 1e3:.2f} ms cpu, {wall * 1e3:.2f} ms wall, "
          f"{2 * 25088 * 288 * 64 / cpu / 1e9:.1f} GFLOP/s")  # fmt: skip
    print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
