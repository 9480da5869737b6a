"""Reuse experiment, easy case: MNIST convolutional features on Fashion-MNIST with few labels.

1. The MNIST CNN of the main demo (``examples/mnist/cnn.py``) is trained by that demo's own code path and
   saved (checkpoint + meta graph) unless ``--pretrained`` already holds one.
2. Each run rebuilds it with ``tf.train.import_meta_graph`` (no model code), takes the ``flatten`` output
   (the two conv blocks' features, 3136 values) and puts a new head on it: dense 128 ReLU + dense 10.
3. **transfer**: conv weights restored from the MNIST checkpoint and frozen (the head alone is trained,
   ``minimize(var_list=head)``; frozen features are computed once and fed into the flatten tensor).
   **scratch**: the same imported network, conv weights redrawn from Glorot-uniform (TF1's default
   initializer, the run's seed) and trained together with the head.
   **last block** (``--last-block``): MNIST weights restored, the second conv block fine-tuned with the head,
   the first one frozen.
4. All arms train with Adam on k labelled Fashion images per class (same images, same steps), for several
   seeds; accuracy on a fixed Fashion test subset. Prints the table (mean ± sample standard deviation over
   seeds) and writes a PNG of accuracy against examples per class.

    python examples/reuse/mnist_to_fashion.py --last-block         # about 15 minutes on one core
    python examples/reuse/mnist_to_fashion.py --sizes 10,50,100,all --test 10000    # the full version
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

try:
    import trainer as tf
except ImportError:  # running from a source checkout without `pip install -e .`
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    import trainer as tf

from trainer import datasets  # noqa: E402

HERE = Path(__file__).resolve().parent
CNN_DEMO = HERE.parent / "mnist" / "cnn.py"
INPUT, FEATURES = "x:0", "flatten/Reshape:0"  # names in the demo's graph


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--pretrained",
        default="reuse_runs/mnist_cnn",
        help="checkpoint folder of the MNIST CNN; "
        "trained with examples/mnist/cnn.py when empty (default %(default)s)",
    )
    p.add_argument("--pretrain-epochs", type=int, default=2, help="epochs of that training (default 2)")
    p.add_argument("--pretrain-max-steps", type=int, default=None, help="steps per epoch cap (tests)")
    p.add_argument(
        "--sizes",
        default="10,50,100,600",
        help="labelled examples per class, 'all' = every training image (default %(default)s)",
    )
    p.add_argument("--seeds", default="0,1,2", help="one run per seed and size (default %(default)s)")
    p.add_argument("--epochs", type=int, default=3, help="passes over the labelled subset (default 3)")
    p.add_argument("--min-steps", type=int, default=150, help="at least this many steps (default 150)")
    p.add_argument("--batch-size", type=int, default=32, help="default 32")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    p.add_argument(
        "--test",
        type=int,
        default=2000,
        help="Fashion test images used, the first N (default 2000; 10000 = all)",
    )
    p.add_argument("--plot", default="reuse_runs/mnist_to_fashion.png", help="PNG to write ('' = none)")
    p.add_argument("--data", default=None, help="folder with the Fashion-MNIST files (default: system/cache)")
    p.add_argument("--last-block", action="store_true", help="also fine-tune the last conv block (3rd arm)")
    p.add_argument("--no-progress", action="store_true", help="no per-run lines")
    return p.parse_args(argv)


def pretrained_prefix(args: argparse.Namespace) -> str:
    """The MNIST checkpoint, trained by the main demo's code path (a subprocess) when there is none."""
    folder = Path(args.pretrained)
    prefix = tf.train.latest_checkpoint(folder) if folder.is_dir() else None
    if prefix is None or not os.path.exists(prefix + ".meta"):
        cmd = [
            sys.executable,
            str(CNN_DEMO),
            "--epochs",
            str(args.pretrain_epochs),
            "--save",
            str(folder),
            "--no-progress",
        ]
        if args.pretrain_max_steps:
            cmd += ["--max-steps", str(args.pretrain_max_steps)]
        print("pretraining on MNIST:", " ".join(cmd[1:]), flush=True)
        subprocess.run(cmd, check=True)
        prefix = tf.train.latest_checkpoint(folder)
    print(f"MNIST CNN: {prefix} ({', '.join(n for n, _ in tf.train.list_variables(prefix)[:4])}, ...)")
    return str(prefix)


def subsets(labels: np.ndarray, sizes: list[int | None], seed: int) -> dict[int | None, np.ndarray]:
    """Nested subsets with ``k`` examples of each class (``None``: all), drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    order = [rng.permutation(np.flatnonzero(labels == c)) for c in np.unique(labels)]
    out = {}
    for k in sizes:
        idx = np.concatenate([o if k is None else o[:k] for o in order])
        out[k] = rng.permutation(idx)
    return out


class Network:
    """The imported MNIST graph with a new head (``num_classes`` outputs, in ``head_scope``) on its flatten
    features, for one seed."""

    def __init__(
        self, prefix: str, seed: int, lr: float, num_classes: int = 10, head_scope: str = "fashion_head"
    ) -> None:
        self.graph = tf.Graph()
        with self.graph.as_default():
            tf.set_random_seed(1000 + seed)  # before the import: the head's initializers follow the run seed
            self.saver = tf.train.import_meta_graph(prefix + ".meta")
            g = self.graph
            self.x = g.get_tensor_by_name(INPUT)
            self.features = g.get_tensor_by_name(FEATURES)
            self.labels = tf.placeholder(tf.int32, [None], name="fashion_labels")
            with tf.variable_scope(head_scope):
                h = tf.layers.dense(self.features, 128, activation=tf.nn.relu, name="hidden")
                self.logits = tf.layers.dense(h, num_classes, name="logits")
            xent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=self.labels, logits=self.logits)
            self.loss = tf.reduce_mean(xent)
            hit = tf.equal(tf.cast(tf.argmax(self.logits, 1), tf.int32), self.labels)
            self.correct = tf.reduce_sum(tf.cast(hit, tf.float32))
            head = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope=head_scope)
            self.conv = [v for v in tf.trainable_variables() if v.op.name.startswith("conv2d")]
            before = set(tf.global_variables())
            self.train_head = tf.train.AdamOptimizer(lr, name="AdamHead").minimize(self.loss, var_list=head)
            self.train_all = tf.train.AdamOptimizer(lr, name="AdamAll").minimize(
                self.loss, var_list=head + self.conv
            )
            last = [v for v in self.conv if v.op.name.startswith("conv2d_1/")]  # the second conv block
            self.train_last = tf.train.AdamOptimizer(lr, name="AdamLast").minimize(
                self.loss, var_list=head + last
            )
            fresh = [v for v in tf.global_variables() if v not in before] + head
            self.init_fresh = tf.variables_initializer(fresh)
        self.sess = tf.Session(graph=self.graph)

    def close(self) -> None:
        self.sess.close()

    def start(self, pretrained: str | None, seed: int) -> None:
        """Restore the MNIST weights (transfer) or redraw the conv weights (scratch); fresh head."""
        with self.graph.as_default():
            self.sess.run(self.init_fresh)
            if pretrained is not None:
                self.saver.restore(self.sess, pretrained)
            else:
                rng = np.random.default_rng(seed)
                for v in self.conv:
                    v.load(glorot_or_zeros(v.shape.as_list(), rng), self.sess)

    def features_of(self, images: np.ndarray, batch: int = 500) -> np.ndarray:
        return np.concatenate(
            [
                self.sess.run(self.features, {self.x: images[i : i + batch]})
                for i in range(0, len(images), batch)
            ]
        )

    def fit(
        self, inputs: np.ndarray, labels: np.ndarray, steps: int, batch: int, seed: int, arm: str
    ) -> float:
        """Adam steps of ``arm`` on (inputs, labels): frozen features for "transfer", images otherwise."""
        rng = np.random.default_rng(seed)
        feed_features = arm == "transfer"
        source = self.features if feed_features else self.x
        op = {"transfer": self.train_head, "scratch": self.train_all, "last_block": self.train_last}[arm]
        order: np.ndarray = np.array([], dtype=np.int64)
        loss = float("nan")
        for _ in range(steps):
            if len(order) < batch:
                order = np.concatenate([order, rng.permutation(len(inputs))])
            take, order = order[:batch], order[batch:]
            loss, _ = self.sess.run([self.loss, op], {source: inputs[take], self.labels: labels[take]})
        return float(loss)

    def accuracy(
        self, inputs: np.ndarray, labels: np.ndarray, feed_features: bool, batch: int = 500
    ) -> float:
        source = self.features if feed_features else self.x
        hits = sum(
            float(
                self.sess.run(
                    self.correct, {source: inputs[i : i + batch], self.labels: labels[i : i + batch]}
                )
            )
            for i in range(0, len(inputs), batch)
        )
        return hits / len(inputs)


def glorot_or_zeros(shape: list[int], rng: np.random.Generator) -> np.ndarray:
    """TF1's default initializers of tf.layers: Glorot-uniform kernels, zero biases."""
    if len(shape) == 1:
        return np.zeros(shape, np.float32)
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    fan_in, fan_out = receptive * shape[-2], receptive * shape[-1]
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(np.float32)


def run(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    sizes: list[int | None] = [None if s == "all" else int(s) for s in args.sizes.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    prefix = pretrained_prefix(args)
    (xtr, ytr), (xte, yte) = datasets.fashion_mnist(args.data)
    xtr = datasets.normalize(xtr).reshape(-1, 28, 28, 1)
    xte = datasets.normalize(xte[: args.test]).reshape(-1, 28, 28, 1)
    ytr, yte = ytr.astype(np.int32), yte[: args.test].astype(np.int32)
    print(f"Fashion-MNIST: {len(xtr)} train, {len(xte)} test images used; sizes {args.sizes}, seeds {seeds}")
    arms = ["transfer", "scratch"] + (["last_block"] if args.last_block else [])
    results: dict[str, dict[int | None, list[float]]] = {arm: {k: [] for k in sizes} for arm in arms}
    start = time.perf_counter()
    for seed in seeds:
        picks = subsets(ytr, sizes, seed)
        net = Network(prefix, seed, args.lr)
        try:
            net.start(prefix, seed)  # frozen MNIST features, computed once per seed
            need = np.unique(np.concatenate(list(picks.values())))
            feats = np.zeros((len(xtr), net.features.shape.as_list()[1]), np.float32)
            feats[need] = net.features_of(xtr[need])
            test_feats = net.features_of(xte)
            for k in sizes:
                idx = picks[k]
                steps = max(args.min_steps, -(-args.epochs * len(idx) // args.batch_size))
                for arm in arms:
                    t0 = time.perf_counter()
                    net.start(None if arm == "scratch" else prefix, seed)
                    frozen = arm == "transfer"
                    inputs = feats[idx] if frozen else xtr[idx]
                    loss = net.fit(inputs, ytr[idx], steps, args.batch_size, seed, arm)
                    acc = net.accuracy(test_feats if frozen else xte, yte, frozen)
                    results[arm][k].append(acc)
                    if not args.no_progress:
                        print(
                            f"seed {seed} {'all' if k is None else k:>4}/class {arm:10s}: {steps} steps, "
                            f"loss {loss:.3f}, test acc {acc:.4f} ({time.perf_counter() - t0:.0f} s)",
                            flush=True,
                        )
        finally:
            net.close()
    table = format_table(results, sizes, len(seeds))
    print(table)
    print(f"total {time.perf_counter() - start:.0f} s")
    if args.plot:
        plot(results, sizes, len(ytr) // 10, args.plot)
        print(f"plot: {args.plot}")
    return {"results": results, "table": table}


def _stats(values: list[float]) -> tuple[float, float]:
    a = np.asarray(values, np.float64)
    return float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else 0.0


def format_table(
    results: dict[str, dict[Any, list[float]]],
    sizes: list[int | None],
    n_seeds: int,
    target: str = "Fashion-MNIST",
    unit: str = "class",
) -> str:
    """A Markdown table: accuracy mean ± sample standard deviation over the seeds, and each reuse arm's
    gain over training from scratch (rows: examples per ``unit``; accuracy on ``target``)."""
    reuse = [a for a in ("transfer", "last_block") if a in results]
    head = ["from scratch"] + [TITLES[a] for a in reuse] + [f"gain ({SHORT[a]})" for a in reuse]
    lines = [f"| examples per {unit} | " + " | ".join(head) + " |", "|---:" * (len(head) + 1) + "|"]
    for k in sizes:
        ms, ss = _stats(results["scratch"][k])
        cells = [f"{100 * ms:.1f} ± {100 * ss:.1f} %"]
        gains = []
        for a in reuse:
            m, sd = _stats(results[a][k])
            cells.append(f"{100 * m:.1f} ± {100 * sd:.1f} %")
            gains.append(f"{100 * (m - ms):+.1f} pp")
        lines.append(f"| {'all' if k is None else k} | " + " | ".join(cells + gains) + " |")
    lines.append(f"(test accuracy on {target}, {n_seeds} seeds per cell)")
    return "\n".join(lines)


TITLES = {
    "scratch": "from scratch",
    "transfer": "MNIST features (head only)",
    "last_block": "MNIST features (last block + head)",
}
SHORT = {"transfer": "head only", "last_block": "last block"}


def plot(
    results: dict[str, dict[Any, list[float]]],
    sizes: list[int | None],
    all_k: int,
    path: str,
    xlabel: str = "labelled Fashion-MNIST examples per class",
    title: str = "MNIST -> Fashion-MNIST (mean ± sd over seeds)",
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [all_k if k is None else k for k in sizes]
    fig, ax = plt.subplots(figsize=(6, 4))
    for arm in results:
        label = TITLES[arm]
        stats = [_stats(results[arm][k]) for k in sizes]
        ax.errorbar(
            xs,
            [100 * m for m, _ in stats],
            yerr=[100 * s for _, s in stats],
            marker="o",
            capsize=3,
            label=label,
        )
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    run()
