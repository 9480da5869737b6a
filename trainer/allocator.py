"""Keep freed large numpy buffers in the process heap instead of returning them to the OS (glibc only).

A training step allocates and frees the same large temporaries every step (a CNN's activations, their
gradients, the im2col matrices: 3-30 MB each). glibc serves blocks above its ``mmap`` threshold (128 KB
at first, raised dynamically up to 32 MB) with fresh ``mmap`` calls and trims the heap top when more than
its trim threshold is free, so each step's temporaries come back as new pages that the kernel must fault
in and zero on first touch: for the benchmark CNN about 60 ms of a 120 ms step went to that (the
elementwise kernels ReluGrad and BiasAdd were 4-9x slower than on warm memory). Raising both thresholds
once keeps those blocks in the heap, where the next step reuses them.

:func:`tune_allocator` does that through ``mallopt`` (``M_MMAP_THRESHOLD`` 256 MB, ``M_TRIM_THRESHOLD``
512 MB); a :class:`~trainer.session.Session` calls it when it is created. The cost is memory: up to the
trim threshold of freed heap stays mapped to the process. Set ``TENSORLET_MALLOC_TUNING=0`` before the
first session to leave the allocator alone. Elsewhere than Linux with glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 256 << 20
TRIM_THRESHOLD = 512 << 20
ENV_VAR = "TENSORLET_MALLOC_TUNING"

_state: dict[str, bool] = {}


def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallopt"):
        return None  # musl and other C libraries: no such knobs
    return libc


def tune_allocator(force: bool = False) -> bool:
    """Raise glibc's mmap and trim thresholds once per process; True when they are (now or already) set.

    ``TENSORLET_MALLOC_TUNING=0`` disables it (False); ``force`` retries after an earlier call."""
    if "done" in _state and not force:
        return _state["done"]
    ok = False
    if os.environ.get(ENV_VAR, "1").strip() not in ("0", "false", "no", "off"):
        libc = _glibc()
        if libc is not None:
            libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
            ok = bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
                libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
            )
    _state["done"] = ok
    return ok
