"""The main job: train a CNN on MNIST-10k, freeze it, export it to .tlm and run it on the C runtime.

    .venv/bin/python examples/mnist/deploy.py                 # what `make demo` runs (~1 minute, 2 cores)
    .venv/bin/python examples/mnist/deploy.py --epochs 1 --out /tmp/demo

Steps: train (a tqdm progress bar on a terminal, one line per epoch otherwise; bundled MNIST-10k, first
8,000 images train, last 2,000 test) -> save a checkpoint -> rebuild the inference graph and restore the
checkpoint into it -> freeze (variables to constants, batch norm / bias / ReLU fused) -> export
``OUT/mnist_cnn.tlm`` -> run the whole test split through pyruntime (the C runtime) -> print trainer and
C-runtime accuracy, their max abs difference, model bytes, arena bytes, required memory and latency
(pyruntime, and ``tl_bench`` when it is built) -> plot the training curve to ``OUT/training_curve.png``. A
machine-readable summary goes to ``OUT/summary.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# The trainer's matrices are small: one BLAS thread per process is several times faster than a pool of
# threads that spin against each other (and against anything else) on a 2-core machine. Set before numpy
# loads BLAS; an explicit setting in the environment wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
try:
    import trainer as tf
    from trainer import datasets
    from trainer.lite import Converter
except ImportError:  # a source checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))
    import trainer as tf
    from trainer import datasets
    from trainer.lite import Converter

try:
    from tqdm import tqdm
except ImportError:  # tqdm is in the `demo` extra; fall back to one line per epoch
    tqdm = None

MODEL_FILE = "mnist_cnn.tlm"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Train a CNN on the bundled MNIST-10k, export it to .tlm and run it on the C runtime."
    )
    p.add_argument("--epochs", type=int, default=6, help="passes over the 8,000 training images (default 6)")
    p.add_argument(
        "--out", default="out", help="output folder for the model, checkpoint and plot (default out)"
    )
    p.add_argument("--batch-size", type=int, default=32, help="training batch size (default 32)")
    p.add_argument(
        "--lr",
        type=float,
        default=3e-3,
        help="initial Adam learning rate, times 0.7 every epoch (default 3e-3)",
    )
    p.add_argument("--seed", type=int, default=0, help="graph and shuffling seed (default 0)")
    p.add_argument("--max-steps", type=int, default=None, help="stop each epoch after this many steps")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-plot", action="store_true", help="skip the training-curve plot")
    args = p.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1:
        p.error("--epochs and --batch-size must be >= 1")
    return args


def build_cnn(x: Any, training: Any) -> Any:
    """Logits for images ``x`` [N, 28, 28, 1]: conv32 - pool - conv64 + batch norm - pool - dense128 -
    dropout - dense10 (ReLU, SAME padding)."""
    h = tf.layers.Conv2D(32, 3, padding="same", activation=tf.nn.relu)(x)
    h = tf.layers.MaxPool2D(2)(h)  # 14x14
    h = tf.layers.Conv2D(64, 3, padding="same", use_bias=False)(h)
    h = tf.nn.relu(tf.layers.BatchNormalization()(h, training=training))
    h = tf.layers.MaxPool2D(2)(h)  # 7x7
    h = tf.layers.Flatten()(h)
    h = tf.layers.Dense(128, activation=tf.nn.relu)(h)
    h = tf.layers.Dropout(0.25)(h, training=training)
    return tf.layers.Dense(10)(h)


def load_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    (xtr, ytr), (xte, yte) = datasets.mnist10k_split()
    prep = lambda a: datasets.normalize(a).reshape(-1, 28, 28, 1).astype(np.float32)  # noqa: E731
    return prep(xtr), ytr.astype(np.int32), prep(xte), yte.astype(np.int32)


def predict(sess: Any, probs: Any, x: Any, xs: np.ndarray, batch: int = 500) -> np.ndarray:
    return np.concatenate([sess.run(probs, {x: xs[i : i + batch]}) for i in range(0, len(xs), batch)])


def train(args: argparse.Namespace, data: tuple[np.ndarray, ...], ckpt_dir: Path) -> dict[str, Any]:
    """Train; save a checkpoint; return the curve (loss per step, test accuracy per epoch)."""
    xtr, ytr, xte, yte = data
    steps = datasets.num_batches(len(xtr), args.batch_size)
    if args.max_steps:
        steps = min(steps, args.max_steps)
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(args.seed)
        x = tf.placeholder(tf.float32, [None, 28, 28, 1], name="image")
        y = tf.placeholder(tf.int32, [None], name="label")
        training = tf.placeholder_with_default(False, [], name="training")
        logits = build_cnn(x, training)
        probs = tf.nn.softmax(logits, name="probabilities")
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        step = tf.train.get_or_create_global_step()
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            # decay the learning rate by 0.7 per epoch: most of the accuracy comes early, the rest settles
            lr = tf.train.exponential_decay(args.lr, step, decay_steps=steps, decay_rate=0.7)
            train_op = tf.train.AdamOptimizer(lr).minimize(loss, global_step=step)
        saver = tf.train.Saver(max_to_keep=1)
        init = tf.global_variables_initializer()

    rng = np.random.default_rng(args.seed)
    losses: list[float] = []
    test_acc: list[float] = []
    start = time.perf_counter()
    with tf.Session(graph=graph) as sess:
        sess.run(init)
        for epoch in range(args.epochs):
            bar = None
            # a bar only on a terminal: in a log file, tqdm's carriage-return redraws would be one long line
            if tqdm is not None and not args.no_progress and sys.stderr.isatty():
                bar = tqdm(
                    total=steps, desc=f"epoch {epoch + 1}/{args.epochs}", unit="step", dynamic_ncols=True
                )
            smooth = 0.0
            for i, (xb, yb) in enumerate(datasets.batches(xtr, ytr, args.batch_size, seed=rng)):
                if i >= steps:
                    break
                _, lv = sess.run([train_op, loss], {x: xb, y: yb, training: True})
                losses.append(float(lv))
                smooth = 0.95 * smooth + 0.05 * float(lv) if i else float(lv)
                if bar is not None:
                    bar.update(1)
                    if i % 10 == 0:
                        bar.set_postfix(loss=f"{smooth:.4f}", refresh=False)
            acc = float((predict(sess, probs, x, xte).argmax(1) == yte).mean())
            test_acc.append(acc)
            if bar is not None:
                bar.set_postfix(loss=f"{smooth:.4f}", test_acc=f"{acc:.4f}")
                bar.close()
            else:
                print(f"epoch {epoch + 1}/{args.epochs}: loss {smooth:.4f}, test accuracy {acc:.4f}")
        seconds = time.perf_counter() - start
        checkpoint = saver.save(sess, str(ckpt_dir / "model"), global_step=step)
    return {"losses": losses, "test_accuracy": test_acc, "train_seconds": seconds, "checkpoint": checkpoint}


def export(checkpoint: str, model_path: Path) -> tuple[Any, Any, Any, Any, int]:
    """Rebuild the inference graph, restore the checkpoint, convert; returns the session and its tensors."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 28, 28, 1], name="image")
        probs = tf.nn.softmax(build_cnn(x, False), name="probabilities")
        saver = tf.train.Saver()
    sess = tf.Session(graph=graph)
    saver.restore(sess, checkpoint)
    conv = Converter.from_session(sess, [x], [probs])
    conv.batch_size = 1  # one image per invoke, as on a device
    conv.description = "MNIST-10k CNN (examples/mnist/deploy.py)"
    size = conv.save(model_path)
    return sess, x, probs, conv, size


def run_c_runtime(model_path: Path, xs: np.ndarray) -> tuple[np.ndarray, list[float], int, int]:
    """Every image through pyruntime, one invoke each; returns probabilities, per-invoke µs, arena bytes and
    the interpreter's required memory (arena, tables and the optimized kernels' packed weights: what a
    device must have free, ``tl_interpreter_required_memory_bytes``)."""
    import pyruntime

    interp = pyruntime.Interpreter(model_path=str(model_path))
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]["index"]
    out = interp.get_output_details()[0]["index"]
    probs, micros = [], []
    for i in range(len(xs)):
        interp.set_tensor(inp, xs[i : i + 1])
        t0 = time.perf_counter()
        interp.invoke()
        micros.append((time.perf_counter() - t0) * 1e6)
        probs.append(interp.get_tensor(out)[0])
    return np.stack(probs), micros, interp.arena_bytes, interp.required_memory_bytes


def find_tl_bench() -> Path | None:
    for sub in ("build/demo", "build/native", "build"):
        path = ROOT / sub / "tl_bench"
        if path.is_file() and os.access(path, os.X_OK):
            return path
    found = shutil.which("tl_bench")
    return Path(found) if found else None


def run_tl_bench(model_path: Path) -> dict[str, float] | None:
    """tl_bench's latency figures (µs) for the model, or None when tl_bench is not built."""
    tool = find_tl_bench()
    if tool is None:
        return None
    result = subprocess.run(
        [str(tool), str(model_path), "--runs", "300"], capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        print(f"tl_bench failed ({result.returncode}): {result.stderr.strip()}")
        return None
    figures: dict[str, float] = {"tool": str(tool)}  # type: ignore[dict-item]
    for line in result.stdout.splitlines():
        for key in ("min", "median", "p90", "mean"):
            if line.strip().startswith(key):
                try:
                    figures[key] = float(line.split()[1])
                except (IndexError, ValueError):
                    pass
    return figures


def plot(curve: dict[str, Any], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install '.[demo]'): no plot")
        return False
    losses = np.asarray(curve["losses"])
    k = min(25, len(losses))
    smooth = np.convolve(losses, np.ones(k) / k, mode="valid")
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(losses, color="0.8", lw=0.8, label="loss per step")
    ax.plot(np.arange(k - 1, len(losses)), smooth, color="C0", label=f"loss ({k}-step mean)")
    ax.set_xlabel("training step")
    ax.set_ylabel("cross entropy")
    ax.set_yscale("log")
    ax2 = ax.twinx()
    per_epoch = len(losses) / max(len(curve["test_accuracy"]), 1)
    epochs_x = [per_epoch * (i + 1) for i in range(len(curve["test_accuracy"]))]
    ax2.plot(epochs_x, curve["test_accuracy"], "o-", color="C1", label="test accuracy")
    ax2.set_ylabel("test accuracy")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="center right", fontsize=8)
    ax.set_title("MNIST-10k CNN: training loss and test accuracy", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = load_data()
    xte, yte = data[2], data[3]

    curve = train(args, data, out / "checkpoint")
    model_path = out / MODEL_FILE
    sess, x, probs, _, model_bytes = export(curve["checkpoint"], model_path)
    trainer_probs = predict(sess, probs, x, xte)
    c_probs, micros, arena, required = run_c_runtime(model_path, xte)
    bench = run_tl_bench(model_path)

    summary = {
        "epochs": args.epochs,
        "train_seconds": round(curve["train_seconds"], 1),
        "checkpoint": curve["checkpoint"],
        "model": str(model_path),
        "trainer_accuracy": float((trainer_probs.argmax(1) == yte).mean()),
        "c_runtime_accuracy": float((c_probs.argmax(1) == yte).mean()),
        "argmax_agreement": float((c_probs.argmax(1) == trainer_probs.argmax(1)).mean()),
        "max_abs_difference": float(np.abs(c_probs - trainer_probs).max()),
        "model_bytes": model_bytes,
        "arena_bytes": arena,
        "required_memory_bytes": required,
        "pyruntime_median_us": float(np.median(micros)),
        "tl_bench": bench,
    }
    if not args.no_plot and plot(curve, out / "training_curve.png"):
        summary["plot"] = str(out / "training_curve.png")
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")

    n = len(yte)
    print()
    print(f"test images                 {n} (MNIST-10k, last 2,000)")
    print(f"trainer accuracy            {summary['trainer_accuracy']:.4f}")
    print(f"C runtime accuracy          {summary['c_runtime_accuracy']:.4f}  (pyruntime, batch 1)")
    print(f"argmax agreement            {summary['argmax_agreement']:.4f}")
    print(f"max abs difference          {summary['max_abs_difference']:.3g}  (probabilities)")
    print(f"model bytes                 {model_bytes:,}  ({model_path})")
    print(f"arena bytes                 {arena:,}  (activations)")
    print(f"required memory             {required:,} bytes  (arena + tables + packed weights)")
    print(f"latency, pyruntime          {summary['pyruntime_median_us']:.1f} µs median per image")
    if bench is not None and "median" in bench:
        print(
            f"latency, tl_bench           {bench['median']:.1f} µs median "
            f"(min {bench.get('min', float('nan')):.1f}, p90 {bench.get('p90', float('nan')):.1f})"
        )
    else:
        print(
            "latency, tl_bench           not built (cmake -S runtime_c -B build-export/native && "
            "cmake --build build-export/native -j2)"
        )
    print(f"checkpoint                  {curve['checkpoint']}")
    if "plot" in summary:
        print(f"training curve              {summary['plot']}")
    return summary


if __name__ == "__main__":
    main()
