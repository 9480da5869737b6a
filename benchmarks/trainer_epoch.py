"""Seconds per Fashion-MNIST training epoch: tensorlet's trainer against PyTorch on the CPU, in one run.

Models (batch 128, Adam 1e-3, softmax cross entropy):
  mlp  784-256-256-10 (ReLU)
  cnn  conv3x3x32-maxpool-conv3x3x64-maxpool-dense128-dense10 (ReLU, SAME convs, 2x2 pools)

Both frameworks train the same architecture on the same batches, interleaved in rounds of a few steps
(so that a busy machine slows both alike), with the same number of BLAS/intra-op threads. By default a
measured fraction of an epoch is timed and extrapolated to the 469 steps of a full epoch (the report says
so); ``--full-epoch`` times whole epochs instead.

    .venv/bin/pip install torch==2.13.0          # benchmark-only dependency (CPU build)
    .venv/bin/python benchmarks/trainer_epoch.py --steps 60 --threads 1
    .venv/bin/python benchmarks/trainer_epoch.py --profile cnn   # cProfile of tensorlet's step, by op kernel
    .venv/bin/python benchmarks/trainer_epoch.py --models cnn --kernels numpy,runtime   # before/after
"""

from __future__ import annotations

import argparse
import os
import sys


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default="mlp,cnn", help="comma-separated subset of mlp,cnn")
    p.add_argument("--steps", type=int, default=60, help="timed steps per framework and model")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    p.add_argument("--round", type=int, default=5, help="steps per framework before switching")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads for numpy = torch intra-op threads")
    p.add_argument("--full-epoch", action="store_true", help="time whole epochs (slow)")
    p.add_argument("--profile", choices=["mlp", "cnn"], help="cProfile tensorlet's training step instead")
    p.add_argument("--data", default=None, help="Fashion-MNIST folder (default: system copy or cache)")
    p.add_argument(
        "--kernels",
        default="auto",
        help="comma-separated TENSORLET_TRAINER_KERNELS values (auto, numpy, runtime), one model each, "
        "interleaved with PyTorch in the same rounds (e.g. numpy,runtime: before/after side by side)",
    )
    return p.parse_args()


ARGS = _parse() if __name__ == "__main__" else None
if ARGS is not None:
    # numpy reads these when it loads OpenBLAS: they must be set before the first numpy import.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import time  # noqa: E402

import numpy as np  # noqa: E402

BATCH = 128
LR = 1e-3


# --------------------------------------------------------------------------------------------- tensorlet
def build_tensorlet(model: str, seed: int = 0):
    """Graph, session and a ``step(x, y) -> loss`` closure for one model."""
    import trainer as tf

    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(seed)
        if model == "mlp":
            x = tf.placeholder(tf.float32, [None, 784], name="x")
            net = tf.layers.Sequential(
                [
                    tf.layers.Dense(256, activation=tf.nn.relu),
                    tf.layers.Dense(256, activation=tf.nn.relu),
                    tf.layers.Dense(10),
                ]
            )
        else:
            x = tf.placeholder(tf.float32, [None, 28, 28, 1], name="x")
            net = tf.layers.Sequential(
                [
                    tf.layers.Conv2D(32, 3, padding="same", activation=tf.nn.relu),
                    tf.layers.MaxPool2D(2, 2),
                    tf.layers.Conv2D(64, 3, padding="same", activation=tf.nn.relu),
                    tf.layers.MaxPool2D(2, 2),
                    tf.layers.Flatten(),
                    tf.layers.Dense(128, activation=tf.nn.relu),
                    tf.layers.Dense(10),
                ]
            )
        y = tf.placeholder(tf.int32, [None], name="y")
        logits = net(x, training=True)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train_op = tf.train.AdamOptimizer(LR).minimize(loss)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    fetches = [train_op, loss]

    def step(xb: np.ndarray, yb: np.ndarray) -> float:
        return float(sess.run(fetches, {x: xb, y: yb})[1])

    return step


# --------------------------------------------------------------------------------------------- PyTorch
def build_torch(model: str, seed: int = 0):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    if model == "mlp":
        net = nn.Sequential(
            nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
        )
    else:
        net = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
        )  # fmt: skip
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()

    def step(xb: np.ndarray, yb: np.ndarray) -> float:
        xt = torch.from_numpy(xb)
        if model == "cnn":
            xt = xt.permute(0, 3, 1, 2)  # NHWC -> NCHW, as a user feeding the same arrays would
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(xt), torch.from_numpy(yb).long())
        loss.backward()
        opt.step()
        return float(loss.detach())

    return step


# --------------------------------------------------------------------------------------------- driver
def _data(model: str, path: str | None):
    from trainer import datasets

    (xtr, ytr), _ = datasets.fashion_mnist(path)
    x = datasets.normalize(xtr)
    x = x.reshape(-1, 784) if model == "mlp" else x.reshape(-1, 28, 28, 1)
    return np.ascontiguousarray(x), ytr.astype(np.int32)


def _batch_stream(x: np.ndarray, y: np.ndarray, seed: int):
    from trainer import datasets

    rng = np.random.default_rng(seed)
    while True:
        yield from datasets.batches(x, y, BATCH, seed=rng, drop_remainder=True)


def bench(model: str, args: argparse.Namespace) -> dict:
    import torch

    torch.set_num_threads(args.threads)
    x, y = _data(model, args.data)
    steps_per_epoch = -(-len(x) // BATCH)
    steps = {_tensorlet_name(k): _with_kernels(k, build_tensorlet(model)) for k in args.kernels.split(",")}
    steps["pytorch"] = build_torch(model)
    total = steps_per_epoch if args.full_epoch else args.steps
    times = {k: 0.0 for k in steps}
    cpu = {k: 0.0 for k in steps}
    losses: dict[str, list[float]] = {k: [] for k in steps}
    streams = {k: _batch_stream(x, y, 1) for k in steps}  # same batches for both
    for name, step in steps.items():
        for _ in range(args.warmup):
            step(*next(streams[name]))
    done = 0
    while done < total:
        n = min(args.round, total - done)
        for name, step in steps.items():
            stream = streams[name]
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(n):
                losses[name].append(step(*next(stream)))
            times[name] += time.perf_counter() - t0
            cpu[name] += time.process_time() - c0  # every thread of the process (spinning pool threads too)
        done += n
    per_step = {k: v / total for k, v in times.items()}
    return {
        "model": model,
        "timed_steps": total,
        "steps_per_epoch": steps_per_epoch,
        "epoch_s": {k: v * steps_per_epoch for k, v in per_step.items()},
        "cpu_ms_per_step": {k: v / total * 1e3 for k, v in cpu.items()},
        "ratio": {k: per_step[k] / per_step["pytorch"] for k in steps if k != "pytorch"},
        "cpu_ratio": {k: cpu[k] / cpu["pytorch"] for k in steps if k != "pytorch"},
        "last_loss": {k: float(np.mean(v[-10:])) for k, v in losses.items()},
    }


def _tensorlet_name(kernels: str) -> str:
    return "tensorlet" if kernels == "auto" else f"tensorlet[{kernels}]"


def _with_kernels(kernels: str, step):
    """step run with TENSORLET_TRAINER_KERNELS=kernels (read by the convolution kernels at every call)."""

    def run(xb: np.ndarray, yb: np.ndarray) -> float:
        os.environ["TENSORLET_TRAINER_KERNELS"] = kernels
        return step(xb, yb)

    return run


def profile(model: str, args: argparse.Namespace) -> None:
    import cProfile
    import pstats

    x, y = _data(model, args.data)
    step = build_tensorlet(model)
    stream = _batch_stream(x, y, 1)
    for _ in range(args.warmup):
        step(*next(stream))
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(args.steps):
        step(*next(stream))
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)


def main(args: argparse.Namespace) -> None:
    if args.profile:
        profile(args.profile, args)
        return
    import torch

    print(
        f"numpy {np.__version__}, torch {torch.__version__}, threads {args.threads} (BLAS and torch), "
        f"batch {BATCH}, Adam lr {LR}, Fashion-MNIST 60k train, {os.cpu_count()} CPUs visible"
    )
    kind = "full epoch" if args.full_epoch else f"{args.steps} steps timed, extrapolated to an epoch"
    print(f"load average {os.getloadavg()[0]:.2f} before")
    print(
        f"{'model':5} {'framework':20} {'s/epoch':>9} {'CPU ms/step':>12} {'ratio':>7} {'CPU ratio':>9}  "
        f"(wall clock, {kind}; CPU time of all threads)"
    )
    for model in args.models.split(","):
        r = bench(model.strip(), args)
        for name, e in r["epoch_s"].items():
            ratio = f"{r['ratio'][name]:6.2f}x {r['cpu_ratio'][name]:8.2f}x" if name != "pytorch" else ""
            print(
                f"{r['model']:5} {name:20} {e:9.2f} {r['cpu_ms_per_step'][name]:12.1f} {ratio:>17}"
                f"  loss after {r['timed_steps']} steps {r['last_loss'][name]:.3f}"
            )
    print(f"load average {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main(ARGS)
