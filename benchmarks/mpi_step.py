"""CNN training step time on 1 vs 2 MPI ranks: data parallel (batch split over the ranks) and model parallel
(conv layers on task 0, dense head on task 1), against the same graph in one rank.

The benchmark CNN of ``trainer_epoch.py`` (conv3x3x32-maxpool-conv3x3x64-maxpool-dense128-dense10, Adam,
global batch 128) on random 28x28 images. Run without mpiexec it is the driver: it launches itself with the
venv's ``mpiexec -n 1`` and ``-n 2`` (one BLAS thread per rank) and prints a table with the ratios::

    .venv/bin/python benchmarks/mpi_step.py --steps 30
    .venv/bin/mpiexec -n 2 .venv/bin/python benchmarks/mpi_step.py --worker --mode data   # one measurement

Two ranks can at best halve a data-parallel step (each computes half the batch; one Allreduce of the
gradients, ~0.9 MB, is added). Model parallel runs the two halves of the network one after the other, so
its step is no faster than one rank's: it is for models that do not fit in one process, and the numbers
show the cost of the transfers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=30, help="timed steps")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--batch", type=int, default=128, help="global batch")
    p.add_argument("--ranks", default="1,2")
    p.add_argument("--worker", action="store_true", help="measure (run under mpiexec)")
    p.add_argument("--mode", choices=["data", "model"], default="data")
    return p.parse_args()


def worker(args: argparse.Namespace) -> None:
    import numpy as np

    sys.path.insert(0, ROOT)
    import trainer as tf
    import trainer.distributed as dist

    n = dist.size()
    tf.set_random_seed(0)
    x = tf.placeholder(tf.float32, [None, 28, 28, 1], name="x")
    y = tf.placeholder(tf.int32, [None], name="y")
    model = args.mode == "model" and n > 1
    with tf.device(dist.worker_device(0) if model else None):
        h = tf.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
        h = tf.layers.MaxPool2D(2, 2)(h)
        h = tf.layers.Conv2D(64, 3, padding="same", activation="relu")(h)
        h = tf.layers.MaxPool2D(2, 2)(h)
    with tf.device(dist.worker_device(1) if model else None):
        h = tf.layers.Flatten()(h)
        h = tf.layers.Dense(128, activation="relu")(h)
        logits = tf.layers.Dense(10)(h)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    opt = tf.train.AdamOptimizer(1e-3)
    train = (opt if model else dist.DistributedOptimizer(opt)).minimize(loss)
    rng = np.random.default_rng(0)
    xb = rng.random((args.batch, 28, 28, 1), dtype=np.float32)
    yb = rng.integers(0, 10, args.batch).astype(np.int32)
    if not model:
        xb, yb = dist.shard(xb), dist.shard(yb)
    times = []
    with tf.Session(target=dist.MPI_TARGET if model else "") as sess:
        sess.run(tf.global_variables_initializer())
        if not model:
            dist.broadcast_variables(sess)
        for i in range(args.warmup + args.steps):
            dist.barrier()
            t0 = time.perf_counter()
            sess.run([train, loss], {x: xb, y: yb})
            dist.barrier()
            if i >= args.warmup:
                times.append(time.perf_counter() - t0)
    if dist.is_chief():
        print(
            json.dumps({"ranks": n, "mode": args.mode, "median_ms": 1e3 * float(np.median(times))}),
            flush=True,
        )


def driver(args: argparse.Namespace) -> None:
    exe = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    rows = {}
    for mode in ("data", "model"):
        for n in [int(r) for r in args.ranks.split(",")]:
            cmd = [exe, "-n", str(n), sys.executable, os.path.abspath(__file__), "--worker", "--mode", mode]
            cmd += ["--steps", str(args.steps), "--warmup", str(args.warmup), "--batch", str(args.batch)]
            out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
            if out.returncode != 0:
                sys.exit(f"{' '.join(cmd)} failed:\n{out.stdout}{out.stderr}")
            res = json.loads(out.stdout.strip().splitlines()[-1])
            rows[(mode, n)] = res["median_ms"]
    print(
        f"CNN training step, global batch {args.batch}, Adam, 1 BLAS thread per rank, median of {args.steps}"
    )
    print("| mode | ranks | step ms | vs 1 rank |")
    print("|---|---:|---:|---:|")
    for (mode, n), ms in rows.items():
        base = rows.get((mode, 1), ms)
        print(f"| {mode} parallel | {n} | {ms:.1f} | {ms / base:.2f}x |")


if __name__ == "__main__":
    ARGS = _parse()
    worker(ARGS) if ARGS.worker else driver(ARGS)
