"""Reuse experiment, the hard case: the MNIST CNN's convolutional features on spectrogram "images" of spoken
words (the bundled SYNTHESIZED spoken_words set, 20 words), with few labelled examples per word.

1. The MNIST CNN of the main demo (``examples/mnist/cnn.py``) is trained by the demo's own code and saved
   (checkpoint + meta graph) unless ``--pretrained`` already holds one (as examples/reuse/mnist_to_fashion.py
   does; the two experiments share that checkpoint folder).
2. Each clip becomes a 28 x 28 image: its log-mel spectrogram from the fixed-point front-end (49 frames x 40
   mel bands, Q8 log2 energies), resized bilinearly to 28 x 28 (time along x, low frequencies at the bottom)
   and scaled to [0, 1] (``q / 15360``, 60 octaves of energy = 1, silence = 0 like MNIST's background).
3. Each run rebuilds the CNN with ``tf.train.import_meta_graph`` (no model code), takes its ``flatten``
   output (3136 features) and puts a new head on it (dense 128 ReLU + dense 20), then trains one arm:
   **head only** (MNIST conv weights restored and frozen), **last block + head** (``--last-block``: the
   second conv block fine-tuned too) or **from scratch** (same network, conv weights redrawn from TF1's
   Glorot-uniform default) -- the machinery of examples/reuse/mnist_to_fashion.py.
4. k = 5, 10, 20 and all (about 64) training clips per word, the same clips and steps for every arm, seeds
   0, 1, 2 (each draws its own subset and initializations). Accuracy on the held-out voices: the test and
   validation splits together (315 clips; nothing is tuned on them). Prints the table (mean ± sample
   standard deviation over seeds) and writes a PNG of accuracy against examples per word.

    python examples/speech/mnist_to_words.py --last-block         # about 15 minutes on 2 busy cores
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
try:
    import trainer  # noqa: F401
except ImportError:  # a source checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples" / "reuse"))
import mnist_to_fashion as reuse  # noqa: E402

from trainer.audio import fixed_frontend as ff  # noqa: E402
from trainer.datasets import speech_commands as sc  # noqa: E402

FULL_SCALE = 15360  # the front-end's largest feature: 60 octaves in Q8


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--pretrained",
        default="reuse_runs/mnist_cnn",
        help="checkpoint folder of the MNIST CNN; trained with examples/mnist/cnn.py when empty "
        "(default %(default)s)",
    )
    p.add_argument("--pretrain-epochs", type=int, default=2, help="epochs of that training (default 2)")
    p.add_argument("--pretrain-max-steps", type=int, default=None, help="steps per epoch cap (tests)")
    p.add_argument("--sizes", default="5,10,20,all", help="clips per word, 'all' = every training clip")
    p.add_argument("--seeds", default="0,1,2", help="one run per seed and size (default %(default)s)")
    p.add_argument("--epochs", type=int, default=3, help="passes over the labelled subset (default 3)")
    p.add_argument("--min-steps", type=int, default=150, help="at least this many steps (default 150)")
    p.add_argument("--batch-size", type=int, default=32, help="default 32")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    p.add_argument("--words", default="", help="comma-separated words (default: all 20)")
    p.add_argument("--max-per-word", type=int, default=0, help="cap on clips per word and split (tests)")
    p.add_argument("--plot", default="reuse_runs/mnist_to_words.png", help="PNG to write ('' = none)")
    p.add_argument("--last-block", action="store_true", help="also fine-tune the last conv block (3rd arm)")
    p.add_argument("--no-progress", action="store_true", help="no per-run lines")
    return p.parse_args(argv)


def resize_bilinear(images: np.ndarray, height: int, width: int) -> np.ndarray:
    """[n, h, w] -> [n, height, width], bilinear with aligned corners (separable: rows, then columns)."""

    def along(a: np.ndarray, axis: int, size: int) -> np.ndarray:
        n = a.shape[axis]
        pos = np.linspace(0.0, n - 1.0, size)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, n - 1)
        frac = (pos - lo).astype(np.float32)
        shape = [1] * a.ndim
        shape[axis] = size
        frac = frac.reshape(shape)
        return np.take(a, lo, axis=axis) * (1 - frac) + np.take(a, hi, axis=axis) * frac

    return along(along(images.astype(np.float32), 1, height), 2, width)


def spectrogram_images(audio: np.ndarray) -> np.ndarray:
    """int16 clips [n, 16000] -> float32 images [n, 28, 28, 1] in [0, 1]: fixed-point log-mel [49, 40],
    transposed to [mel, time] with low frequencies at the bottom, resized to 28 x 28."""
    feats = ff.compute_batch(audio).astype(np.float32) / FULL_SCALE  # [n, 49 frames, 40 mels]
    pictures = feats.transpose(0, 2, 1)[:, ::-1, :]  # [n, 40 mels (high first), 49 frames]
    return np.clip(resize_bilinear(pictures, 28, 28), 0.0, 1.0)[..., None]


def spoken_words(
    words: list[str] | None = None, max_per_word: int = 0
) -> tuple[list[str], tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The words (default: all 20), the training images and labels, and the held-out images and labels
    (test and validation splits: voices that never train); at most ``max_per_word`` clips of each word
    in each (0: all)."""
    if not words:
        data = sc.load(silence_percentage=0, unknown_percentage=0, seed=0)
        words = sorted({f.split("/")[0] for f in data.train.files})
    data = sc.load(wanted_words=words, silence_percentage=0, unknown_percentage=0, seed=0)

    def capped(audio: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if max_per_word:
            keep = np.concatenate([np.flatnonzero(labels == c)[:max_per_word] for c in range(len(words))])
            audio, labels = audio[np.sort(keep)], labels[np.sort(keep)]
        return spectrogram_images(audio), labels.astype(np.int32)

    train = capped(data.train.audio, data.train.labels)
    held = capped(
        np.concatenate([data.test.audio, data.validation.audio]),
        np.concatenate([data.test.labels, data.validation.labels]),
    )
    return data.classes, train, held


def run(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    sizes: list[int | None] = [None if s == "all" else int(s) for s in args.sizes.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    prefix = reuse.pretrained_prefix(args)
    t0 = time.perf_counter()
    words = [w for w in args.words.split(",") if w]
    classes, (xtr, ytr), (xte, yte) = spoken_words(words, args.max_per_word)
    per_word = np.bincount(ytr)
    print(
        f"spoken words (SYNTHESIZED): {len(classes)} words, {len(ytr)} training clips "
        f"({per_word.min()}-{per_word.max()} per word), {len(yte)} held-out clips; 28x28 spectrogram "
        f"images in {time.perf_counter() - t0:.0f} s; sizes {args.sizes}, seeds {seeds}",
        flush=True,
    )
    arms = ["transfer", "scratch"] + (["last_block"] if args.last_block else [])
    results: dict[str, dict[int | None, list[float]]] = {arm: {k: [] for k in sizes} for arm in arms}
    start = time.perf_counter()
    for seed in seeds:
        picks = reuse.subsets(ytr, sizes, seed)
        net = reuse.Network(prefix, seed, args.lr, num_classes=len(classes), head_scope="words_head")
        try:
            net.start(prefix, seed)  # frozen MNIST features, computed once per seed
            feats, test_feats = net.features_of(xtr), net.features_of(xte)
            for k in sizes:
                idx = picks[k]
                steps = max(args.min_steps, -(-args.epochs * len(idx) // args.batch_size))
                for arm in arms:
                    t1 = time.perf_counter()
                    net.start(None if arm == "scratch" else prefix, seed)
                    frozen = arm == "transfer"
                    loss = net.fit(
                        feats[idx] if frozen else xtr[idx], ytr[idx], steps, args.batch_size, seed, arm
                    )
                    acc = net.accuracy(test_feats if frozen else xte, yte, frozen)
                    results[arm][k].append(acc)
                    if not args.no_progress:
                        print(
                            f"seed {seed} {'all' if k is None else k:>4}/word {arm:10s}: {steps} steps, "
                            f"loss {loss:.3f}, held-out acc {acc:.4f} ({time.perf_counter() - t1:.0f} s)",
                            flush=True,
                        )
        finally:
            net.close()
    target = "held-out voices of the SYNTHESIZED spoken words"
    table = reuse.format_table(results, sizes, len(seeds), target=target, unit="word")
    print(table)
    print(f"total {time.perf_counter() - start:.0f} s")
    if args.plot:
        reuse.plot(
            results,
            sizes,
            int(round(len(ytr) / len(classes))),
            args.plot,
            xlabel="labelled clips per word (synthesized speech)",
            title="MNIST CNN -> spoken words (mean ± sd over seeds)",
        )
        print(f"plot: {args.plot}")
    return {"results": results, "table": table, "classes": classes}


if __name__ == "__main__":
    run()
