"""Two virtual CPU devices on each of two ranks: a dense layer on each of the four devices.

Usage: mpiexec -n 2 python hybrid.py OUT_DIR
Edges between the two devices of one rank go through the rank's in-memory table, edges between ranks
through MPI. Rank 0 writes OUT_DIR/result.npz with the losses and the variables.
"""

from __future__ import annotations

import os
import sys

import numpy as np

import trainer as tf
import trainer.distributed as dist

DEVICES = [
    "/job:worker/task:0/cpu:0",
    "/job:worker/task:0/cpu:1",
    "/job:worker/task:1/cpu:1",
    "/job:worker/task:1/cpu:0",
]


def build() -> tuple:
    tf.set_random_seed(11)
    x = tf.placeholder(tf.float32, [None, 5], name="x")
    h = x
    for k, dev in enumerate(DEVICES):
        with tf.device(dev):
            h = tf.layers.Dense(6 if k < 3 else 1, activation="tanh" if k < 3 else None, name=f"layer{k}")(h)
    loss = tf.reduce_mean(tf.square(h - tf.reduce_sum(x, axis=1, keepdims=True)))
    train = tf.train.MomentumOptimizer(0.05, 0.9).minimize(loss)
    return x, loss, train


def data() -> np.ndarray:
    return np.random.RandomState(3).randn(12, 5).astype(np.float32)


def main() -> None:
    x, loss, train = build()
    cfg = tf.ConfigProto(device_count={"CPU": 2})
    with tf.Session(target=dist.MPI_TARGET, config=cfg) as sess:
        sess.run(tf.global_variables_initializer())
        losses = [sess.run([loss, train], {x: data()})[0] for _ in range(8)]
        values = {
            v.op.name: val
            for v, val in zip(tf.global_variables(), sess.run(tf.global_variables()), strict=True)
        }
        pairs = list(sess._plans.values())[1].partitions.pairs
        local = sum(
            dist.cluster().rendezvous()._task_of(s.device) == dist.cluster().rendezvous()._task_of(r.device)
            for s, r in pairs
        )
    if dist.is_chief():
        np.savez(os.path.join(sys.argv[1], "result.npz"), losses=np.array(losses), **values)
        print(f"pairs {len(pairs)} within a rank {local}", flush=True)


if __name__ == "__main__":
    main()
