"""Training on several processes and hosts with MPI (``pip install tensorlet[mpi]``: mpi4py + an MPI).

Launch every script with ``mpiexec -n N python script.py`` (or Slurm's ``srun -n N --mpi=pmi2``); each
process is one rank, and the ranks form the cluster ``/job:worker/task:0`` ... ``/job:worker/task:N-1``.

**Data parallel**: every rank builds the same graph and feeds its own share of the batch;
:class:`DistributedOptimizer` averages the gradients over the ranks with one fused Allreduce per step, and
:func:`broadcast_variables` starts every rank from rank 0's values, so N ranks on a batch split N ways take
the same steps as one process on the whole batch::

    import trainer as tf
    import trainer.distributed as dist

    opt = dist.DistributedOptimizer(tf.train.AdamOptimizer(1e-3))
    train = opt.minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        dist.broadcast_variables(sess)
        for xb, yb in batches:                     # this rank's share: xb[dist.rank()::dist.size()]
            sess.run(train, {x: xb, y: yb})
        dist.save_checkpoint(saver, sess, "ckpt/model")   # rank 0 only

**Model parallel**: pin ops to tasks (``with tf.device(dist.worker_device(1)):``) and open the session
with ``tf.Session(target=dist.MPI_TARGET)``. Every rank runs the same script; each runs the partition of
its task, and tensors that cross tasks travel as MPI point-to-point messages (``_Send``/``_Recv``).

**Failures**: every wait on another rank (a receive, a collective) has a deadline (``TENSORLET_MPI_TIMEOUT``
seconds, default 60); when it passes, or on any uncaught exception, the rank prints the error and calls
``MPI_Abort``, which ends every rank with a non-zero exit: a dead rank never leaves the others hanging.
A graph that differs between ranks is detected by exchanging a graph fingerprint (at
``broadcast_variables`` and whenever an MPI session compiles a plan) and ends every rank with a clear error.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
import traceback
from collections.abc import Sequence
from typing import Any

import numpy as np

from trainer.distributed.transport import MPIRendezvous, wait_request
from trainer.errors import FailedPreconditionError, InvalidArgumentError
from trainer.graph import name_scope
from trainer.ops import comm_ops
from trainer.ops.comm_ops import mpi_allreduce
from trainer.variables import global_variables
from trainer.xp_compat import to_host

MPI_TARGET = "mpi://"
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # object reprs differ between processes: drop the address
_state: dict[str, Any] = {}


class GraphMismatchError(InvalidArgumentError):
    """The ranks built different graphs (or run different fetches)."""


# ---- the MPI world ----------------------------------------------------------------------------------
def available() -> bool:
    """True when mpi4py imports (an MPI library is installed)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def _mpi() -> Any:
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise FailedPreconditionError(
            "trainer.distributed needs mpi4py and an MPI library: pip install 'tensorlet[mpi]' "
            "(mpi4py + mpich), then launch with mpiexec -n N python script.py"
        ) from e
    return MPI


def timeout() -> float:
    """Seconds any rank waits for another before giving up (``TENSORLET_MPI_TIMEOUT``, default 60)."""
    return float(os.environ.get("TENSORLET_MPI_TIMEOUT", "60"))


def init() -> None:
    """Set up the communicators and the abort-on-error hook (idempotent; every helper calls it)."""
    if _state:
        return
    MPI = _mpi()
    world = MPI.COMM_WORLD
    _state["MPI"] = MPI
    _state["world"] = world
    _state["coll"] = world.Dup()  # collectives of DistributedOptimizer / broadcast_variables
    _state["p2p"] = world.Dup()  # Send/Recv of model-parallel partitions
    if world.Get_size() > 1:
        previous = sys.excepthook

        def abort_on_error(kind: Any, value: Any, tb: Any) -> None:
            previous(kind, value, tb)
            abort(1, f"uncaught {kind.__name__}")

        sys.excepthook = abort_on_error


def rank() -> int:
    """This process's rank (0 without MPI)."""
    if not _state and not available():
        return 0
    init()
    return int(_state["world"].Get_rank())


def size() -> int:
    """The number of ranks (1 without MPI)."""
    if not _state and not available():
        return 1
    init()
    return int(_state["world"].Get_size())


def is_chief() -> bool:
    """True on rank 0, the rank that writes checkpoints and logs."""
    return rank() == 0


def worker_device(task: int, device: str = "") -> str:
    """``"/job:worker/task:K"`` (plus ``device``, e.g. ``"/cpu:0"``) for model-parallel pins."""
    return f"/job:worker/task:{int(task)}{device}"


def abort(code: int = 1, why: str = "") -> None:
    """End every rank now (``MPI_Abort``) with exit status ``code``."""
    print(f"[rank {rank()}] aborting the MPI job{': ' + why if why else ''}", file=sys.stderr, flush=True)
    sys.stderr.flush()
    sys.stdout.flush()
    time.sleep(0.3)  # let the launcher forward this rank's last words before it tears the job down
    _state["world"].Abort(code)


def fail(err: BaseException) -> None:
    """Print ``err`` and abort every rank (for errors caught in library code)."""
    traceback.print_exception(type(err), err, err.__traceback__, file=sys.stderr)
    abort(1, str(err).splitlines()[0] if str(err) else type(err).__name__)


# ---- collectives with deadlines -----------------------------------------------------------------------
def _wait(req: Any, what: str) -> None:
    wait_request(_Req(req), timeout(), what)


class _Req:
    """Adapts an mpi4py buffer request to ``test() -> (done, value)``."""

    def __init__(self, req: Any) -> None:
        self.req = req

    def test(self) -> tuple[bool, None]:
        return bool(self.req.Test()), None


def allreduce_arrays(
    arrays: Sequence[Any], average: bool = True, what: str = "allreduce"
) -> list[np.ndarray]:
    """Sum (or mean) of each array over all ranks: one Iallreduce per dtype, waited for with a deadline."""
    init()
    comm, MPI = _state["coll"], _state["MPI"]
    n = comm.Get_size()
    out: list[Any] = [None] * len(arrays)
    by_dtype: dict[np.dtype, list[int]] = {}
    arrs = [np.asarray(a) for a in arrays]
    for i, a in enumerate(arrs):
        by_dtype.setdefault(a.dtype, []).append(i)
    for dt, idx in by_dtype.items():
        buf = (
            np.concatenate([arrs[i].reshape(-1) for i in idx])
            if len(idx) > 1
            else arrs[idx[0]].ravel().copy()
        )
        res = np.empty_like(buf)
        _wait(comm.Iallreduce(buf, res, op=MPI.SUM), what)
        if average:
            res /= np.asarray(n, dtype=dt)
        k = 0
        for i in idx:
            m = arrs[i].size
            out[i] = res[k : k + m].reshape(arrs[i].shape)
            k += m
    return out


def _allreduce_for_kernel(arrays: list[Any], average: bool, what: str) -> list[np.ndarray]:
    # Looks allreduce_arrays up when called, so a test can stand in for MPI by patching this module.
    return allreduce_arrays(arrays, average=average, what=what)


# The MPIAllreduce op (trainer.ops.comm_ops) sits below this package: it runs the collective installed here.
comm_ops.install_allreduce(_allreduce_for_kernel)


def barrier(what: str = "barrier") -> None:
    """Wait until every rank got here (with the deadline)."""
    init()
    _wait(_state["coll"].Ibarrier(), what)


# ---- graph fingerprint ------------------------------------------------------------------------------
def graph_fingerprint(graph: Any, extra: str = "") -> bytes:
    """SHA-256 of the graph's structure: op names, types, devices, inputs, control inputs and attrs (array
    attrs by shape and dtype only, so differently initialized constants still match)."""
    h = hashlib.sha256(extra.encode())
    for op in graph.get_operations():
        attrs = []
        for k in sorted(op.attrs):
            v = op.attrs[k]
            text = repr(("array", v.shape, str(v.dtype))) if isinstance(v, np.ndarray) else repr(v)
            attrs.append(f"{k}={_ADDRESS.sub('', text)}")
        h.update(
            "|".join(
                [op.name, op.type, op.device, ",".join(t.name for t in op.inputs)]
                + [",".join(c.name for c in op.control_inputs)]
                + attrs
            ).encode()
        )
        h.update(b"\n")
    return h.digest()


def check_same_graph(graph: Any, extra: str = "") -> None:
    """Exchange fingerprints; raise :class:`GraphMismatchError` on every rank when they differ."""
    init()
    comm = _state["coll"]
    n = comm.Get_size()
    mine = np.frombuffer(graph_fingerprint(graph, extra), dtype=np.uint8)
    mine = np.concatenate([mine, np.array([graph.version], dtype=np.int64).view(np.uint8)])
    alls = np.empty((n, mine.size), dtype=np.uint8)
    _wait(comm.Iallgather(mine, alls), "graph fingerprint exchange")
    if any(not np.array_equal(alls[k], alls[0]) for k in range(n)):
        desc = ", ".join(
            f"rank {k}: {bytes(alls[k, :4]).hex()} ({int(alls[k, 32:].view(np.int64)[0])} ops)"
            for k in range(n)
        )
        raise GraphMismatchError(
            f"the MPI ranks built different graphs (fingerprints {desc}); every rank must build the same "
            "graph and run the same fetches"
        )


# ---- data parallel ----------------------------------------------------------------------------------
def broadcast_variables(session: Any, variables: Sequence[Any] | None = None, root: int = 0) -> None:
    """Give every rank ``root``'s values of ``variables`` (default: all global variables), after checking
    that all ranks built the same graph. Run it after the initializer, before the first step."""
    init()
    check_same_graph(session.graph, "broadcast_variables")
    if variables is None:
        with session.graph.as_default():
            variables = global_variables()
    vs = sorted(variables, key=lambda v: v.op.name)
    comm = _state["coll"]
    store = session._variables
    arrays = []
    for v in vs:
        name = v.op.name
        if name not in store:
            raise FailedPreconditionError(f"broadcast_variables: variable {name} is not initialized")
        arrays.append(to_host(store[name]))  # a GPU variable is copied to the host; read back on its device
    by_dtype: dict[np.dtype, list[int]] = {}
    for i, a in enumerate(arrays):
        by_dtype.setdefault(a.dtype, []).append(i)
    for _dt, idx in sorted(by_dtype.items(), key=lambda kv: str(kv[0])):
        buf = np.concatenate([arrays[i].reshape(-1) for i in idx])
        _wait(comm.Ibcast(buf, root=root), "broadcast_variables")
        k = 0
        for i in idx:
            m = arrays[i].size
            store[vs[i].op.name] = buf[k : k + m].reshape(arrays[i].shape).copy()
            k += m


class DistributedOptimizer:
    """Wraps a TF1 optimizer: gradients are averaged over all ranks (one fused ``MPIAllreduce`` op) before
    the wrapped optimizer applies them. With one rank (or without MPI) it is the wrapped optimizer."""

    def __init__(self, optimizer: Any, name: str | None = None) -> None:
        self._opt = optimizer
        self._name = name or f"Distributed{optimizer.get_name()}"

    def compute_gradients(self, loss: Any, var_list: Sequence[Any] | None = None, **kwargs: Any) -> list:
        gv = self._opt.compute_gradients(loss, var_list, **kwargs)
        if size() == 1:
            return gv
        idx = [i for i, (g, _) in enumerate(gv) if g is not None]
        if not idx:
            return gv
        with name_scope(self._name):
            avg = mpi_allreduce([gv[i][0] for i in idx], average=True, name="AverageGradients")
        out = list(gv)
        for i, a in zip(idx, avg, strict=True):
            out[i] = (a, gv[i][1])
        return out

    def apply_gradients(
        self, grads_and_vars: Sequence[Any], global_step: Any = None, name: str | None = None
    ) -> Any:
        return self._opt.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def minimize(
        self, loss: Any, global_step: Any = None, var_list: Sequence[Any] | None = None, **kw: Any
    ) -> Any:
        name = kw.pop("name", None)
        gv = self.compute_gradients(loss, var_list, **kw)
        return self.apply_gradients(gv, global_step=global_step, name=name)

    def __getattr__(self, item: str) -> Any:
        return getattr(self._opt, item)


def shard(array: Any, axis: int = 0) -> Any:
    """This rank's contiguous share of ``array`` along ``axis`` (rank k of N gets the k-th of N slices)."""
    a = np.asarray(array)
    return np.array_split(a, size(), axis=axis)[rank()]


# ---- rank-0 helpers ---------------------------------------------------------------------------------
def log(*args: Any, **kwargs: Any) -> None:
    """``print`` on rank 0 only."""
    if is_chief():
        print(*args, **kwargs)


def save_checkpoint(saver: Any, session: Any, path: str, **kwargs: Any) -> str | None:
    """``saver.save(session, path)`` on rank 0 only; returns the checkpoint path there, None elsewhere."""
    if not is_chief():
        return None
    return saver.save(session, path, **kwargs)


# ---- model parallel: the MPI cluster of an ``mpi://`` session ----------------------------------------
class Cluster:
    """The ranks as ``/job:worker/task:K``; hands MPI sessions their rendezvous and graph check."""

    def __init__(self) -> None:
        init()
        self.comm = _state["p2p"]
        self.rank = int(self.comm.Get_rank())
        self.size = int(self.comm.Get_size())

    def rendezvous(self) -> Any:
        return MPIRendezvous(self.comm, timeout())

    def check_same_graph(self, graph: Any, leaves: Sequence[Any], feed_keys: Sequence[Any]) -> None:
        names = [getattr(x, "name", str(x)) for x in list(leaves) + ["|"] + list(feed_keys)]
        check_same_graph(graph, "plan:" + ",".join(names))


def cluster() -> Cluster:
    c = _state.get("cluster")
    if c is None:
        c = _state["cluster"] = Cluster()
    return c


__all__ = [
    "MPI_TARGET",
    "Cluster",
    "DistributedOptimizer",
    "GraphMismatchError",
    "abort",
    "allreduce_arrays",
    "available",
    "barrier",
    "broadcast_variables",
    "check_same_graph",
    "cluster",
    "fail",
    "graph_fingerprint",
    "init",
    "is_chief",
    "log",
    "rank",
    "save_checkpoint",
    "shard",
    "size",
    "timeout",
    "worker_device",
]
