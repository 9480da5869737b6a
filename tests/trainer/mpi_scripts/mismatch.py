"""Rank 1 builds a slightly different graph (a wider hidden layer). Both ranks must stop with a clear error.

Usage: mpiexec -n 2 python mismatch.py data|model
"""

from __future__ import annotations

import sys

import trainer as tf
import trainer.distributed as dist


def main() -> None:
    mode = sys.argv[1]
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    width = 8 if dist.rank() == 0 else 9
    with tf.device(dist.worker_device(0) if mode == "model" else None):
        h = tf.layers.Dense(width, activation="relu", name="hidden")(x)
    with tf.device(dist.worker_device(1) if mode == "model" else None):
        loss = tf.reduce_mean(tf.square(tf.layers.Dense(1, name="out")(h)))
    opt = tf.train.GradientDescentOptimizer(0.1)
    train = (dist.DistributedOptimizer(opt) if mode == "data" else opt).minimize(loss)
    with tf.Session(target=dist.MPI_TARGET if mode == "model" else "") as sess:
        sess.run(tf.global_variables_initializer())
        if mode == "data":
            dist.broadcast_variables(sess)
        sess.run(train, {x: [[1.0, 2.0, 3.0, 4.0]]})
    print(f"rank {dist.rank()} finished: the mismatch went unnoticed", flush=True)


if __name__ == "__main__":
    main()
