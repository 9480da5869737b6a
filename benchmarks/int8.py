"""Int8 post-training quantization: accuracy, size and latency of the float and int8 MNIST models.

Trains the MLP and the CNN of examples/mnist (same architectures) on MNIST-10k or Fashion-MNIST, converts
each to a float32 .tlm and to an int8 .tlm (Converter with optimizations + representative_dataset), then
reports for both: top-1 test accuracy on the C runtime (pyruntime), model bytes, and tl_bench latency
(batch 1, native Release build). Not part of the test suite.

    .venv/bin/python benchmarks/int8.py                                # MNIST-10k, 6 CNN / 20 MLP epochs
    .venv/bin/python benchmarks/int8.py --dataset fashion --epochs 2 --max-steps 300
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "examples" / "mnist")]
sys.path.append(str(ROOT / "tests"))  # cbuild (after ROOT: tests/trainer must not shadow the package)

import cnn  # noqa: E402
import mlp  # noqa: E402
from mnist_common import load_data, random_shift  # noqa: E402

import trainer as tf  # noqa: E402
from trainer import datasets  # noqa: E402
from trainer.lite import Converter, Optimize  # noqa: E402


def train(build, flat: bool, data, epochs: int, max_steps: int | None, lr: float, seed: int = 0):
    xtr, ytr, _, _ = data
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(seed)
        x = tf.placeholder(tf.float32, [None, *xtr.shape[1:]], name="x")
        y = tf.placeholder(tf.int32, [None], name="y")
        training = tf.placeholder_with_default(False, [], name="training")
        logits = build(x, training)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        step = tf.train.get_or_create_global_step()
        per_epoch = datasets.num_batches(len(xtr), 64)
        if max_steps:
            per_epoch = min(per_epoch, max_steps)
        rate = tf.train.exponential_decay(lr, step, 2 * per_epoch, 0.5, staircase=True)
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            train_op = tf.train.AdamOptimizer(rate).minimize(loss, global_step=step)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=graph)
    sess.run(init)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        for i, (xb, yb) in enumerate(datasets.batches(xtr, ytr, 64, seed=rng)):
            if i >= per_epoch:
                break
            if not flat:
                xb = random_shift(xb, 2, rng)
            sess.run(train_op, {x: xb, y: yb, training: True})
    return sess, x, logits


def accuracy(model: bytes, xs: np.ndarray, ys: np.ndarray, batch: int) -> float:
    import pyruntime

    interp = pyruntime.Interpreter(model_content=model)
    hits = 0
    for i in range(0, len(xs) - batch + 1, batch):
        hits += int(np.sum(interp.run(xs[i : i + batch])[0].argmax(-1) == ys[i : i + batch]))
    return hits / (len(xs) // batch * batch)


def bench(model: bytes, runs: int) -> float:
    from cbuild import build, run_tool

    build("native", targets=("tl_bench",))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "m.tlm"
        path.write_bytes(model)
        result = run_tool("native", "tl_bench", [str(path), "--runs", str(runs), "--warmup", "5"])
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    report = dict(line.split(": ", 1) for line in result.stdout.strip().splitlines())
    return float(report["median_us"])


def convert(sess: Any, x: Any, logits: Any, batch: int, rep: list[np.ndarray] | None) -> bytes:
    conv = Converter.from_session(sess, [x], [logits])
    conv.batch_size = batch
    if rep is not None:
        conv.optimizations = [Optimize.DEFAULT]
        conv.representative_dataset = lambda: ([r] for r in rep)
    return conv.convert()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=["mnist10k", "fashion"], default="mnist10k")
    p.add_argument("--epochs", type=int, default=None, help="default: 20 (MLP) and 6 (CNN)")
    p.add_argument("--max-steps", type=int, default=None, help="cap on steps per epoch")
    p.add_argument("--calibration", type=int, default=200, help="representative images (default 200)")
    p.add_argument("--runs", type=int, default=200, help="tl_bench timed runs (default 200)")
    p.add_argument("--models", default="mlp,cnn")
    args = p.parse_args(argv)
    rows = []
    for name in args.models.split(","):
        module, flat, epochs, lr = {"mlp": (mlp, True, 20, 1e-3), "cnn": (cnn, False, 6, 2e-3)}[name]
        data = load_data(argparse.Namespace(dataset=args.dataset, data=None), flat)
        start = time.perf_counter()
        sess, x, logits = train(module.build, flat, data, args.epochs or epochs, args.max_steps, lr)
        trained_s = time.perf_counter() - start
        _, _, xte, yte = data
        xtr = data[0]
        n_cal = max(100, args.calibration // 100 * 100)  # the same images calibrate both batch sizes
        f100 = convert(sess, x, logits, 100, None)
        q100 = convert(sess, x, logits, 100, [xtr[i : i + 100] for i in range(0, n_cal, 100)])
        f1 = convert(sess, x, logits, 1, None)
        q1 = convert(sess, x, logits, 1, [xtr[i : i + 1] for i in range(n_cal)])
        acc_f, acc_q = accuracy(f100, xte, yte, 100), accuracy(q100, xte, yte, 100)
        rows.append(
            (name, acc_f, acc_q, len(f1), len(q1), bench(f1, args.runs), bench(q1, args.runs), trained_s)
        )
        print(f"{name}: float {acc_f:.4f} int8 {acc_q:.4f} ({len(f1)} -> {len(q1)} bytes)", flush=True)
    print(
        f"\n{args.dataset}, {len(xte)} test images; latency: tl_bench median, batch 1, native Release build\n"
    )
    print(
        "| model | float top-1 | int8 top-1 | diff (points) | float bytes | int8 bytes | ratio | "
        "float us | int8 us |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, af, aq, bf, bq, tf_, tq, _ in rows:
        print(
            f"| {name} | {af:.4f} | {aq:.4f} | {100 * (aq - af):+.2f} | {bf} | {bq} | {bf / bq:.2f}x | "
            f"{tf_:.1f} | {tq:.1f} |"
        )


if __name__ == "__main__":
    main()
