"""Data-parallel CNN training on MNIST-10k with MPI: every rank trains on its share of each batch.

    .venv/bin/mpiexec -n 2 .venv/bin/python examples/distributed/data_parallel_mnist.py
    srun -n 2 --mpi=pmi2 python examples/distributed/data_parallel_mnist.py      # under Slurm

Each rank builds the same graph; DistributedOptimizer averages the gradients over the ranks (one fused
Allreduce per step) and broadcast_variables starts every rank from rank 0's initial values, so two ranks
on 32 + 32 images take the same steps as one process on the 64-image batch. Rank 0 alone logs and saves.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import accuracy, conv_layers, head, load_mnist, parse_args, tf  # noqa: E402

import trainer.distributed as dist  # noqa: E402


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], argv)
    xt, yt, xv, yv = load_mnist()
    tf.set_random_seed(args.seed)
    x = tf.placeholder(tf.float32, [None, 28, 28, 1], name="x")
    y = tf.placeholder(tf.int32, [None], name="y")
    logits = head(conv_layers(x))
    loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
    train = dist.DistributedOptimizer(tf.train.AdamOptimizer(args.lr)).minimize(loss)
    saver = tf.train.Saver()
    dist.log(f"{dist.size()} rank(s), global batch {args.batch_size}, {len(xt)} training images")
    step, t0, losses = 0, time.perf_counter(), []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        dist.broadcast_variables(sess)
        for epoch in range(args.epochs):
            # Every rank draws the same global batches (same seed) and keeps its own slice of each.
            for xb, yb in tf.datasets.batches(
                xt, yt, args.batch_size, seed=args.seed + epoch, drop_remainder=True
            ):
                lv, _ = sess.run([loss, train], {x: dist.shard(xb), y: dist.shard(yb)})
                losses.append(float(lv))
                step += 1
                if step % 50 == 0:
                    dist.log(f"epoch {epoch} step {step} loss {lv:.4f}", flush=True)
                if step == args.max_steps:
                    break
            if step == args.max_steps:
                break
        acc = accuracy(sess, logits, x, xv, yv)
        dist.log(f"test accuracy {acc:.4f} after {step} steps in {time.perf_counter() - t0:.1f} s")
        if args.save:
            dist.save_checkpoint(saver, sess, os.path.join(args.save, "model"), global_step=step)
    return {"steps": step, "losses": losses, "test_accuracy": acc}


if __name__ == "__main__":
    main()
