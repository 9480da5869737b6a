"""Rendezvous: where a ``_Send`` leaves a tensor and the matching ``_Recv`` picks it up.

The key is ``(tensor name, source device, destination device, step)``: the step number keeps the values of
consecutive ``Session.run`` calls apart.

* :class:`LocalRendezvous`: an in-memory table for the devices of one process. ``recv`` waits (with a
  timeout) until the value is there, so partitions could also run on threads.
* ``MPIRendezvous`` (in :mod:`trainer.distributed.transport`, with the rest of the MPI code): between MPI
  ranks, with the same ``send``/``recv`` interface. A peer that died or never sends makes ``recv`` raise
  :class:`RendezvousTimeoutError` instead of hanging.

>>> from trainer.rendezvous import LocalRendezvous
>>> r = LocalRendezvous()
>>> r.send(("x:0", "/cpu:0", "/cpu:1"), 7, 42)
>>> r.recv(("x:0", "/cpu:0", "/cpu:1"), 7)
42
"""

from __future__ import annotations

import threading
from typing import Any

from trainer.errors import InternalError

Key = tuple[str, str, str]


class RendezvousTimeoutError(InternalError):
    """A ``_Recv`` or a collective waited past its timeout: a peer died, hangs or runs another graph."""


class LocalRendezvous:
    """In-process table ``(tensor, src, dst, step) -> value``."""

    def __init__(self, timeout: float = 60.0) -> None:
        self._table: dict[tuple[Key, int], Any] = {}
        self._cond = threading.Condition()
        self.timeout = timeout

    def send(self, key: Key, step: int, value: Any, attrs: dict | None = None) -> None:
        with self._cond:
            if (key, step) in self._table:
                raise InternalError(f"rendezvous: {key} was sent twice in step {step}")
            self._table[(key, step)] = value
            self._cond.notify_all()

    def recv(self, key: Key, step: int, attrs: dict | None = None) -> Any:
        with self._cond:
            if not self._cond.wait_for(lambda: (key, step) in self._table, timeout=self.timeout):
                raise RendezvousTimeoutError(
                    f"rendezvous: nothing was sent for {key[0]} from {key[1]} to {key[2]} in step {step} "
                    f"within {self.timeout:g} s"
                )
            return self._table.pop((key, step))

    def pending(self) -> int:
        return len(self._table)

    def clear(self) -> None:
        with self._cond:
            self._table.clear()
