"""The few places where numpy and CuPy code differ, so that one kernel body serves both array modules.

Kernels take their array module from ``ctx.xp`` and write plain array code; what cannot be written the
same way for both lives here:

* :func:`host_ints` reads a small integer tensor (a shape, sizes, multiples) to host ints. TF keeps such
  inputs in host memory ("HostMemory"); here a GPU array that :func:`upload`/:func:`cached_upload` made
  (a ``Const``, a ``Shape`` output) is answered from its remembered host value, any other costs one
  device-to-host copy of a few bytes.
* :func:`upload` / :func:`cached_upload` put a host array (a random sample drawn on the host, a shape; a
  constant, once) on the kernel's device; identity on the CPU.
* :func:`read_variable` moves a host value that ``Variable.load`` stored onto the variable's device.
* :func:`sliding_window_view` and :func:`scatter_add` pick the module's spelling.
* :func:`any_true` turns a device boolean into a Python bool (one sync on the GPU); :func:`to_host` copies
  an array to numpy.

Kernels never modify their inputs in place (on the CPU a ``Const`` value is read-only), which is what makes
remembering the host values of uploaded arrays safe.

>>> import numpy as np
>>> host_ints(np.array([2, 3], np.int32))
(2, 3)
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Small integer device arrays made by upload()/cached_upload() (shapes from Shape ops and constants), by
# id, with their host values: host_ints() then needs no device-to-host copy. Each entry holds the device
# array itself, so its id cannot be reused while the entry lives. Least recently used first (a hit moves its
# entry to the end): when the table is full, its oldest quarter goes, so what every step reads (a constant's
# cached upload) stays, where emptying the whole table made a steady-state step read a shape back again.
_HOST_INTS: dict[int, tuple[Any, tuple[int, ...]]] = {}
_HOST_INTS_MAX = 1024


def host_ints(x: Any) -> tuple[int, ...]:
    """The values of an integer array (any rank, flattened) as Python ints, read to the host once."""
    if isinstance(x, np.generic):  # a numpy scalar (what indexing a shape gives on the CPU)
        x = np.asarray(x)
    if not isinstance(x, np.ndarray):
        hit = _HOST_INTS.pop(id(x), None)
        if hit is not None:
            _HOST_INTS[id(x)] = hit  # most recently used: last
            if hit[0] is x:
                return hit[1]
        x = x.get()  # CuPy: one device-to-host copy of the whole (small) array
    return tuple(int(d) for d in x.reshape(-1))


def _remember(dev: Any, host: np.ndarray) -> None:
    if host.dtype.kind in "iu" and host.size <= 16:
        if len(_HOST_INTS) >= _HOST_INTS_MAX:
            for key in list(_HOST_INTS)[: _HOST_INTS_MAX // 4]:
                del _HOST_INTS[key]
        _HOST_INTS[id(dev)] = (dev, tuple(int(d) for d in host.reshape(-1)))


def upload(ctx: Any, host: np.ndarray) -> Any:
    """``host`` on the device of ``ctx`` (the same array on the CPU)."""
    if ctx.xp is np:
        return host
    dev = ctx.backend.to_device(host)
    _remember(dev, host)
    return dev


def cached_upload(ctx: Any, key: Any, host: np.ndarray) -> Any:
    """:func:`upload` once per (op, key): a constant is copied to its device on the first run only."""
    if ctx.xp is np:
        return host
    hit = ctx.cache.get(key)
    if hit is None or hit[0] is not host:
        hit = ctx.cache[key] = (host, ctx.backend.to_device(host))
        _remember(hit[1], host)
    return hit[1]


def sliding_window_view(xp: Any, x: Any, window: tuple[int, ...], axis: tuple[int, ...]) -> Any:
    """A view of every window of ``x``: ``[..., n - w + 1, ..., w]`` (numpy's function, CuPy's since v13)."""
    st = xp.lib.stride_tricks
    f = getattr(st, "sliding_window_view", None)
    if f is not None:
        return f(x, window, axis=axis)
    return strided_windows(st, x, window, axis)


def strided_windows(st: Any, x: Any, window: tuple[int, ...], axis: tuple[int, ...]) -> Any:
    """``sliding_window_view`` through ``as_strided`` (``st`` = ``xp.lib.stride_tricks``), for older CuPy."""
    shape = list(x.shape)
    for w, a in zip(window, axis, strict=True):
        shape[a] -= w - 1
    strides = tuple(x.strides) + tuple(x.strides[a] for a in axis)
    return st.as_strided(x, tuple(shape) + tuple(window), strides)


def scatter_add(xp: Any, a: Any, idx: Any, v: Any) -> None:
    """``a[idx] += v`` with repeated indices accumulated (``np.add.at``; ``cupyx.scatter_add`` on CuPy)."""
    if xp is np:
        np.add.at(a, idx, v)
        return
    import cupyx  # type: ignore[import-not-found]

    cupyx.scatter_add(a, idx, v)


def to_host(x: Any) -> np.ndarray:
    """A numpy array of ``x`` (a numpy or CuPy array): a device-to-host copy for CuPy."""
    return x if isinstance(x, np.ndarray) else x.get()


def any_true(x: Any) -> bool:
    """``bool(x.any())``: one device-to-host read of a single value on the GPU."""
    return bool(x.any())


def read_variable(ctx: Any, name: str) -> Any:
    """``ctx.read_variable(name)``, first moving a host value (``Variable.load``, a Saver restore) onto the
    kernel's device: the one place a variable crosses to its device outside a Recv."""
    v = ctx.read_variable(name)
    if ctx.xp is not np and isinstance(v, np.ndarray):
        v = ctx.backend.to_device(v)
        ctx.write_variable(name, v)
    return v
