"""Shared parts of the MNIST examples: command line, data, the TF1 training loop with a tqdm progress bar.

The examples build their graphs TF1 style (``import trainer as tf``, placeholders, a Session); this module
only holds what both of them repeat.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

# Batches of 64 gain little from BLAS threads, and OpenBLAS threads that spin on a busy machine slow a step
# down many times over: one thread unless the caller chose (this must precede the first numpy import).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

try:
    import trainer as tf
except ImportError:  # running from a source checkout without `pip install -e .`
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    import trainer as tf

from trainer import datasets

try:
    from tqdm import tqdm
except ImportError:  # tqdm is in the `demo` extra; fall back to one line per epoch
    tqdm = None


def parse_args(
    description: str,
    argv: Sequence[str] | None,
    epochs: int,
    lr: float,
    batch_size: int,
    decay_epochs: int = 2,
    shift: int = 2,
) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--dataset",
        choices=["mnist10k", "fashion"],
        default="mnist10k",
        help="mnist10k: bundled digits, first 8,000 train / last 2,000 test; fashion: Fashion-MNIST "
        "60k/10k (Debian package dataset-fashion-mnist, or downloaded)",
    )
    p.add_argument(
        "--epochs", type=int, default=epochs, help=f"passes over the training set (default {epochs})"
    )
    p.add_argument("--batch-size", type=int, default=batch_size, help=f"default {batch_size}")
    p.add_argument("--lr", type=float, default=lr, help=f"initial Adam learning rate (default {lr})")
    p.add_argument(
        "--decay-epochs",
        type=int,
        default=decay_epochs,
        help=f"halve the learning rate every N epochs, 0: never (default {decay_epochs})",
    )
    p.add_argument(
        "--shift",
        type=int,
        default=None,
        help=f"augment: shift training images by up to N pixels, 0: off (default {shift} for mnist10k, "
        "0 for fashion, whose 60,000 images need no augmentation)",
    )
    p.add_argument("--seed", type=int, default=0, help="graph seed and shuffling seed (default 0)")
    p.add_argument("--data", default=None, help="folder with the Fashion-MNIST files (default: system/cache)")
    p.add_argument("--max-steps", type=int, default=None, help="stop each epoch after this many steps")
    p.add_argument("--save", default=None, help="write a checkpoint to this folder after training")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    if args.shift is None:
        args.shift = shift if args.dataset == "mnist10k" else 0
    return args


def load_data(args: argparse.Namespace, flat: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """float32 images in [0, 1] (``[N, 784]`` if ``flat`` else ``[N, 28, 28, 1]``) and int32 labels."""
    if args.dataset == "mnist10k":
        (xtr, ytr), (xte, yte) = datasets.mnist10k_split()
    else:
        (xtr, ytr), (xte, yte) = datasets.fashion_mnist(args.data)
    shape = (-1, 784) if flat else (-1, 28, 28, 1)
    return (
        datasets.normalize(xtr).reshape(shape),
        ytr.astype(np.int32),
        datasets.normalize(xte).reshape(shape),
        yte.astype(np.int32),
    )


def train(
    args: argparse.Namespace,
    build: Callable[[Any, Any], Any],
    flat: bool,
) -> dict[str, Any]:
    """Build ``logits = build(x, training)`` in a fresh graph, train with Adam, report test accuracy.

    Returns ``{"losses": [...], "test_accuracy": float, "seconds": float, "steps": int}``.
    """
    xtr, ytr, xte, yte = load_data(args, flat)
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(args.seed)
        x = tf.placeholder(tf.float32, [None, *xtr.shape[1:]], name="x")
        y = tf.placeholder(tf.int32, [None], name="y")
        training = tf.placeholder_with_default(False, [], name="training")
        logits = build(x, training)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        correct = tf.equal(tf.cast(tf.argmax(logits, 1), tf.int32), y)
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
        global_step = tf.train.get_or_create_global_step()
        steps_per_epoch = datasets.num_batches(len(xtr), args.batch_size)
        if args.max_steps:
            steps_per_epoch = min(steps_per_epoch, args.max_steps)
        lr: Any = args.lr
        if args.decay_epochs > 0:
            lr = tf.train.exponential_decay(
                args.lr, global_step, args.decay_epochs * steps_per_epoch, 0.5, staircase=True
            )
        # BatchNormalization's moving averages update through UPDATE_OPS (TF1 style).
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            train_op = tf.train.AdamOptimizer(lr).minimize(loss, global_step=global_step)
        saver = tf.train.Saver() if args.save else None
        init = tf.global_variables_initializer()

    rng = np.random.default_rng(args.seed)
    losses: list[float] = []
    start = time.perf_counter()
    with tf.Session(graph=graph) as sess:
        sess.run(init)
        for epoch in range(args.epochs):
            bar = None
            # a bar only on a terminal: in a log file its carriage-return redraws would flood one line
            if tqdm is not None and not args.no_progress and sys.stderr.isatty():
                bar = tqdm(
                    total=steps_per_epoch,
                    desc=f"epoch {epoch + 1}/{args.epochs}",
                    unit="step",
                    leave=True,
                    dynamic_ncols=True,
                )
            run_loss = run_acc = 0.0
            batches = datasets.batches(xtr, ytr, args.batch_size, seed=rng)
            for i, (xb, yb) in enumerate(batches):
                if i >= steps_per_epoch:
                    break
                if args.shift:
                    xb = random_shift(xb, args.shift, rng)
                _, lv, av = sess.run([train_op, loss, accuracy], {x: xb, y: yb, training: True})
                losses.append(float(lv))
                run_loss = 0.95 * run_loss + 0.05 * float(lv) if i else float(lv)
                run_acc = 0.95 * run_acc + 0.05 * float(av) if i else float(av)
                if bar is not None:
                    bar.update(1)
                    if i % 10 == 0 or i == steps_per_epoch - 1:
                        bar.set_postfix(loss=f"{run_loss:.4f}", acc=f"{run_acc:.3f}", refresh=False)
            test_acc = evaluate(sess, accuracy, x, y, xte, yte)
            if bar is not None:
                bar.set_postfix(loss=f"{run_loss:.4f}", acc=f"{run_acc:.3f}", test_acc=f"{test_acc:.4f}")
                bar.close()
            else:
                print(
                    f"epoch {epoch + 1}/{args.epochs}: loss {run_loss:.4f} train acc {run_acc:.3f} "
                    f"test acc {test_acc:.4f}"
                )
        seconds = time.perf_counter() - start
        if saver is not None:
            path = saver.save(sess, os.path.join(args.save, "model"), global_step=global_step)
            print(f"checkpoint: {path}")
    print(f"{args.dataset}: test accuracy {test_acc:.4f} after {args.epochs} epochs ({seconds:.1f} s)")
    return {"losses": losses, "test_accuracy": test_acc, "seconds": seconds, "steps": len(losses)}


def random_shift(images: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Each image moved by up to ``max_shift`` pixels in x and y (zero fill): cheap augmentation that
    helps a lot with only 8,000 training digits. Works on ``[N, 784]`` and ``[N, 28, 28, 1]``."""
    shape = images.shape
    x = images.reshape(-1, 28, 28)
    m = max_shift
    padded = np.pad(x, [(0, 0), (m, m), (m, m)])
    dy, dx = rng.integers(0, 2 * m + 1, size=(2, len(x)))
    out = np.empty_like(x)
    for i in range(len(x)):
        out[i] = padded[i, dy[i] : dy[i] + 28, dx[i] : dx[i] + 28]
    return out.reshape(shape)


def evaluate(
    sess: Any, accuracy: Any, x: Any, y: Any, xs: np.ndarray, ys: np.ndarray, batch: int = 1000
) -> float:
    """Accuracy over all of ``xs`` (inference mode: ``training`` keeps its default False)."""
    correct = 0.0
    for i in range(0, len(xs), batch):
        xb, yb = xs[i : i + batch], ys[i : i + batch]
        correct += float(sess.run(accuracy, {x: xb, y: yb})) * len(xb)
    return correct / len(xs)
