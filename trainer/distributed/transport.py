"""The MPI transport: how a ``_Send``/``_Recv`` pair crosses between MPI ranks.

:class:`MPIRendezvous` has the interface of :class:`~trainer.rendezvous.LocalRendezvous`. ``send`` posts a
non-blocking point-to-point message to the rank that owns the destination device (the task number is the
rank), tagged with the pair's index in the plan (the same on every rank, since every rank compiles the same
plan) and carrying the step number; ``recv`` polls for the message until a deadline. A peer that died or
never sends makes ``recv`` raise :class:`~trainer.rendezvous.RendezvousTimeoutError` instead of hanging.
Two devices of the same rank exchange through an in-memory :class:`~trainer.rendezvous.LocalRendezvous`.

Nothing here imports mpi4py: the communicator comes from :mod:`trainer.distributed`, which does.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from trainer.device_spec import DeviceSpec
from trainer.errors import InternalError
from trainer.rendezvous import Key, LocalRendezvous, RendezvousTimeoutError


def wait_request(req: Any, timeout: float, what: str) -> Any:
    """Wait for an MPI request, polling until ``timeout`` seconds passed; then raise (never hang)."""
    deadline = time.monotonic() + timeout
    spins = 0
    while True:
        done, value = req.test()
        if done:
            return value
        spins += 1
        if spins > 200:
            if time.monotonic() > deadline:
                raise RendezvousTimeoutError(
                    f"{what}: no answer from the other MPI ranks within {timeout:g} s (a rank died, hangs, "
                    "or runs a different graph); set TENSORLET_MPI_TIMEOUT to wait longer"
                )
            time.sleep(0.0002 if spins < 5000 else 0.002)


class MPIRendezvous:
    """Point-to-point messages between MPI ranks; device ``/job:worker/task:K/...`` lives on rank K."""

    def __init__(self, comm: Any, timeout: float) -> None:
        self.comm = comm
        self.rank = comm.Get_rank()
        self.timeout = timeout
        self._sends: list[Any] = []
        self._task: dict[str, int] = {}
        self.local = LocalRendezvous(timeout)  # between two devices of this rank

    def _task_of(self, device: str) -> int:
        t = self._task.get(device)
        if t is None:
            t = self._task[device] = DeviceSpec.from_string(device).task or 0
        return t

    def send(self, key: Key, step: int, value: Any, attrs: dict | None = None) -> None:
        assert attrs is not None
        dst = self._task_of(key[2])
        if dst == self.rank:  # two devices of this rank: in memory
            self.local.send(key, step, value)
            return
        arr = np.asarray(value)  # pickled now: later in-place updates do not reach the message
        self._sends = [r for r in self._sends if not r.Test()]
        self._sends.append(self.comm.isend((step, key[0], arr), dest=dst, tag=attrs["pair"]))

    def recv(self, key: Key, step: int, attrs: dict | None = None) -> Any:
        assert attrs is not None
        src = self._task_of(key[1])
        if src == self.rank:
            return self.local.recv(key, step)
        tag = attrs["pair"]
        deadline = time.monotonic() + self.timeout
        spins = 0
        while True:
            msg = self.comm.improbe(source=src, tag=tag)
            if msg is not None:
                break
            spins += 1
            if spins > 200:
                if time.monotonic() > deadline:
                    raise RendezvousTimeoutError(
                        f"rendezvous: rank {self.rank} waited {self.timeout:g} s for {key[0]} from rank "
                        f"{src} (step {step}): that rank died, hangs or runs another graph"
                    )
                time.sleep(0.0002 if spins < 5000 else 0.002)
        # Receiving a large message needs the sender's progress too: wait for it with the deadline as well.
        got_step, name, arr = wait_request(msg.irecv(), self.timeout, f"rendezvous receive of {key[0]}")
        if got_step != step or name != key[0]:
            raise InternalError(
                f"rendezvous: rank {self.rank} expected {key[0]} of step {step} from rank {src}, got "
                f"{name} of step {got_step}: the ranks run different plans"
            )
        return arr

    def flush(self) -> None:
        """Wait until every message this rank sent was delivered (bounded by the timeout)."""
        for r in self._sends:
            wait_request(r, self.timeout, "rendezvous send")
        self._sends = []
