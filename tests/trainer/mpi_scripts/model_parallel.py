"""Model parallel: the conv layers on /job:worker/task:0, the dense head on /job:worker/task:1.

Usage: mpiexec -n 2 python model_parallel.py OUT_DIR [--die-at STEP [--exit-code N|kill]]
Every rank runs the same script; the session (target mpi://) gives each rank its task's partition and the
activations/gradients that cross tasks travel as MPI messages. Rank 0 writes OUT_DIR/result.npz.
"""

from __future__ import annotations

import os
import signal
import sys

import numpy as np
from mpi_models import batches, cnn, variables_by_name

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
    x, y, loss = cnn((dist.worker_device(0), dist.worker_device(1)))
    train = tf.train.AdamOptimizer(0.01).minimize(loss)
    losses = []
    with tf.Session(target=dist.MPI_TARGET) as sess:
        sess.run(tf.global_variables_initializer())
        for step, (xb, yb) in enumerate(batches()):
            if step == die_at and dist.rank() == 1:
                die(exit_code)
            losses.append(sess.run([loss, train], {x: xb, y: yb})[0])
        values = variables_by_name(sess)
        plan = list(sess._plans.values())[1]
        mine = sorted(
            {
                op.attrs["tensor_name"]
                for op in plan.partitions.partitions[
                    f"/job:worker/replica:0/task:{dist.rank()}/device:CPU:0"
                ].nodes
                if op.type == "_Recv"
            }
        )
    if dist.is_chief():
        np.savez(os.path.join(out, "result.npz"), losses=np.array(losses), **values)
        print("rank 0 receives:", mine, flush=True)


if __name__ == "__main__":
    main()
