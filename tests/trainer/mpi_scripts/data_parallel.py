"""Data parallel: each rank trains on its half of every batch with DistributedOptimizer.

Usage: mpiexec -n 2 python data_parallel.py OUT_DIR [--die-at STEP [--exit-code N|kill]]
Rank 0 writes OUT_DIR/result.npz (final variables and the mean loss per step) and a checkpoint; every rank
checks that its variables equal rank 0's at the end.
"""

from __future__ import annotations

import os
import signal
import sys

import numpy as np
from mpi_models import STEPS, batches, cnn, variables_by_name

import trainer as tf
import trainer.distributed as dist


def die(how: str) -> None:
    """End this rank abruptly: SIGKILL (``kill``) or ``os._exit(N)`` without MPI_Finalize."""
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    os._exit(int(how))


def main() -> None:
    out = sys.argv[1]
    die_at = int(sys.argv[sys.argv.index("--die-at") + 1]) if "--die-at" in sys.argv else -1
    exit_code = sys.argv[sys.argv.index("--exit-code") + 1] if "--exit-code" in sys.argv else "kill"
    x, y, loss = cnn()
    train = dist.DistributedOptimizer(tf.train.MomentumOptimizer(0.05, 0.9)).minimize(loss)
    saver = tf.train.Saver()
    losses = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        if dist.rank() != 0:  # start the other ranks elsewhere: broadcast_variables must undo it
            for v in tf.trainable_variables():
                v.load(sess.run(v) + 1.0, sess)
        dist.broadcast_variables(sess)
        for step, (xb, yb) in enumerate(batches()):
            if step == die_at and dist.rank() == 1:
                die(exit_code)  # a rank dies mid-training without a word
            local, _ = sess.run([loss, train], {x: dist.shard(xb), y: dist.shard(yb)})
            losses.append(dist.allreduce_arrays([local])[0])
            dist.log(f"step {step} loss {float(losses[-1]):.5f}", flush=True)
        values = variables_by_name(sess)
        mine = np.concatenate([v.ravel() for _, v in sorted(values.items())]).astype(np.float64)
        spread = dist.allreduce_arrays([mine], average=False)[0] - dist.size() * mine
        assert np.all(np.abs(spread) < 1e-6), "ranks disagree on the variables"
        dist.save_checkpoint(saver, sess, os.path.join(out, f"ckpt_rank{dist.rank()}"))
    if dist.is_chief():
        np.savez(os.path.join(out, "result.npz"), losses=np.array(losses), **values)
    assert len(losses) == STEPS


if __name__ == "__main__":
    main()
