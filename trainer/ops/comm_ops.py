"""Communication ops: ``_Send``/``_Recv`` (inserted by the partitioner) and ``MPIAllreduce`` (data parallel).

``_Send`` hands its input to the session's rendezvous under the key ``(tensor, send_device, recv_device)``
plus the step number; the matching ``_Recv`` on the destination device takes it out. In one process the
rendezvous is an in-memory table (virtual CPU devices share host memory, so the array itself is handed
over, as TF1 does between CPU devices: :mod:`trainer.rendezvous`); between MPI ranks it is a point-to-point
message (:mod:`trainer.distributed.transport`). These two kernels are where tensors cross between host and
GPU memory: a ``_Send`` on a GPU copies its tensor to the host, a ``_Recv`` on a GPU copies it to its
device, so the rendezvous only ever holds host arrays. Users never build these two ops; the partitioner does,
in a private graph.

``MPIAllreduce`` averages (or sums) its inputs over all MPI ranks with one fused Allreduce and returns one
output per input: ``trainer.distributed.DistributedOptimizer`` puts it between the gradients and the update.
None of these ops is differentiable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trainer.errors import FailedPreconditionError
from trainer.graph import Graph, Operation, Tensor, apply_op
from trainer.registry import register


# ---- _Send / _Recv ----------------------------------------------------------------------------------
def make_pair(comm: Graph, t: Tensor, src: str, dst: str, pair: int) -> tuple[Operation, Operation]:
    """Build the ``_Send`` (on ``src``) and ``_Recv`` (on ``dst``) that carry ``t``, in graph ``comm``."""
    attrs = {
        "tensor_name": t.name,
        "send_device": src,
        "recv_device": dst,
        "pair": pair,
        "shape": t.shape,
        "dtype": t.dtype,
    }
    base = f"{t.op.name}_{t.value_index}"
    send = Operation(comm, "_Send", f"_send_{base}_to_{_short(dst)}", [t], dict(attrs), src, [])
    comm._ops.append(send)
    rop = Operation(comm, "_Recv", f"_recv_{base}_from_{_short(src)}", [], dict(attrs), dst, [])
    rop.outputs = (Tensor(rop, 0, t.dtype, t.shape),)
    comm._ops.append(rop)
    return send, rop


def _short(device: str) -> str:
    """``task1_CPU1`` for ``/job:worker/replica:0/task:1/device:CPU:1``."""
    parts = device.strip("/").split("/")
    task = next((p.split(":")[1] for p in parts if p.startswith("task:")), "0")
    dev = parts[-1].split(":")
    return f"task{task}_{dev[-2]}{dev[-1]}" if len(dev) >= 2 else "dev"


def rendezvous_key(attrs: dict[str, Any]) -> tuple[str, str, str]:
    return attrs["tensor_name"], attrs["send_device"], attrs["recv_device"]


def _send_shape(inputs: list[Tensor], attrs: dict) -> list[Any]:
    return []


def _send_kernel(ctx: Any, x: Any) -> None:
    s = ctx.session
    if not ctx.backend.is_host:  # a GPU tensor leaves its device here (device-to-host copy)
        x = ctx.backend.to_numpy(x)
    s._rendezvous.send(rendezvous_key(ctx.attrs), s._step_id, x, ctx.attrs)


def _recv_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return attrs["shape"], attrs["dtype"]


def _recv_kernel(ctx: Any) -> Any:
    s = ctx.session
    v = s._rendezvous.recv(rendezvous_key(ctx.attrs), s._step_id, ctx.attrs)
    if not ctx.backend.is_host:  # and enters its GPU here (host-to-device copy)
        v = ctx.backend.to_device(v)
    return v


register("_Send", shape=_send_shape, kernel=_send_kernel, not_differentiable=True, stateful=True)
register("_Recv", shape=_recv_shape, kernel=_recv_kernel, not_differentiable=True, stateful=True)


# ---- MPIAllreduce -----------------------------------------------------------------------------------
def mpi_allreduce(tensors: list[Tensor], average: bool = True, name: str | None = None) -> list[Tensor]:
    """Sum (``average=False``) or mean of each tensor over all MPI ranks; one fused collective per run."""
    out = apply_op("MPIAllreduce", tensors, {"average": bool(average)}, name or "MPIAllreduce")
    if isinstance(out, Tensor):
        return [out]
    return list(out)


def _allreduce_shape(inputs: list[Tensor], attrs: dict) -> list[Any]:
    return [(t.shape, t.dtype) for t in inputs]


# The collective itself is MPI code, which lives in trainer.distributed, above the ops: importing that
# package installs it here (DistributedOptimizer, the op's one user, is defined there).
_allreduce_arrays: Callable[[list[Any], bool, str], list[Any]] | None = None


def install_allreduce(allreduce_arrays: Callable[[list[Any], bool, str], list[Any]]) -> None:
    """Set the function the ``MPIAllreduce`` kernel calls: ``(arrays, average, what) -> reduced arrays``."""
    global _allreduce_arrays
    _allreduce_arrays = allreduce_arrays


def _allreduce_kernel(ctx: Any, *xs: Any) -> Any:
    if _allreduce_arrays is None:
        raise FailedPreconditionError(f"{ctx.op.name} (MPIAllreduce) needs MPI: import trainer.distributed")
    b = ctx.backend
    if not b.is_host:  # MPI reduces host buffers: GPU gradients go through host memory (a transfer point)
        xs = tuple(b.to_numpy(x) for x in xs)
    out = _allreduce_arrays(list(xs), ctx.attrs["average"], ctx.op.name)
    if not b.is_host:
        out = [b.to_device(o) for o in out]
    return out[0] if len(out) == 1 else tuple(out)


register(
    "MPIAllreduce", shape=_allreduce_shape, kernel=_allreduce_kernel, not_differentiable=True, stateful=True
)
