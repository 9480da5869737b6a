"""Model-parallel CNN training on MNIST-10k: the convolutional layers on task 0, the dense head on task 1.

    .venv/bin/mpiexec -n 2 .venv/bin/python examples/distributed/model_parallel_mnist.py
    .venv/bin/python examples/distributed/model_parallel_mnist.py       # one process: soft placement

Ops are pinned with ``tf.device("/job:worker/task:K")``; the session (target ``mpi://``) gives every rank the
partition of its task. The conv activations go from rank 0 to rank 1 and their gradient comes back, each as
an MPI point-to-point ``_Send``/``_Recv`` pair; every rank feeds the same batch and fetches the loss.
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
from trainer.partition import session_partitions  # noqa: E402


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], argv)
    xt, yt, xv, yv = load_mnist()
    tf.set_random_seed(args.seed)
    x = tf.placeholder(tf.float32, [None, 28, 28, 1], name="x")
    y = tf.placeholder(tf.int32, [None], name="y")
    with tf.device(dist.worker_device(0)):
        features = conv_layers(x)
    with tf.device(dist.worker_device(1)):
        logits = head(features)
        loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
    train = tf.train.AdamOptimizer(args.lr).minimize(loss)
    target = dist.MPI_TARGET if dist.size() > 1 else ""
    config = tf.ConfigProto(allow_soft_placement=True)  # one process: every task falls back to CPU:0
    step, t0, losses = 0, time.perf_counter(), []
    with tf.Session(target=target, config=config) as sess:
        sess.run(tf.global_variables_initializer())
        for epoch in range(args.epochs):
            for xb, yb in tf.datasets.batches(
                xt, yt, args.batch_size, seed=args.seed + epoch, drop_remainder=True
            ):
                lv, _ = sess.run([loss, train], {x: xb, y: yb})
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
        if target:
            parts = session_partitions(sess, [loss, train], [x, y])  # the training step's plan
            for dev, part in sorted(parts.partitions.items()):
                kinds = [op.type for op in part.nodes]
                dist.log(
                    f"{dev}: {len(kinds)} ops, {kinds.count('_Send')} sends, {kinds.count('_Recv')} recvs"
                )
    return {"steps": step, "losses": losses, "test_accuracy": acc}


if __name__ == "__main__":
    main()
