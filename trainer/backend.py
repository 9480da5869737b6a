"""Per-device array backends: every kernel gets its array module from the backend of its op's device.

``"/cpu:N"`` (and ops with no device, or only a job/task) run on numpy. ``"/gpu:N"`` runs on CuPy bound to
CUDA device N: the session enters ``backend.scope()`` (``cupy.cuda.Device(N)``) around each GPU kernel,
so every array a kernel makes lives on that device. Values cross between host and device only where the
session says so (``to_device``/``to_numpy``): at ``_Send``/``_Recv`` pairs, feeds and fetches, plus three
documented one-time or metadata reads in kernels (see ``docs/gpu.md``).

Asking for a GPU without CuPy, or with CuPy but no usable CUDA device/driver, raises
:class:`~trainer.errors.UnimplementedError` naming the device; the session adds the op. The placer only
offers GPU devices when CuPy finds one, so with ``allow_soft_placement`` GPU ops fall back to the CPU.

>>> from trainer.backend import get_backend
>>> get_backend("/cpu:0").xp.__name__
'numpy'
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trainer.errors import InvalidArgumentError, UnimplementedError


@dataclass(frozen=True)
class Backend:
    """An array module bound to one device."""

    device_type: str  # "CPU", "GPU"
    index: int
    xp: Any
    device: Any = field(default=None, compare=False)  # cupy.cuda.Device for a GPU backend
    errors: tuple[type[BaseException], ...] = field(default=(), compare=False)  # CUDA failures (OOM, driver)

    @property
    def is_host(self) -> bool:
        """True when arrays of this backend are numpy arrays in host memory."""
        return self.xp is np

    def asarray(self, value: Any, dtype: Any = None) -> Any:
        return self.xp.asarray(value, dtype=dtype)

    def to_numpy(self, value: Any) -> Any:
        """A host (numpy) array of ``value``; the device-to-host copy of a GPU backend."""
        if self.xp is np or isinstance(value, np.ndarray):
            return np.asarray(value)
        with self.scope():
            return self.xp.asnumpy(value)

    def to_device(self, value: Any) -> Any:
        """``value`` (a host array) as an array of this backend; the host-to-device copy of a GPU backend."""
        if self.xp is np:
            return value
        if isinstance(value, self.xp.ndarray):
            return value
        with self.scope():
            return self.xp.asarray(value)

    def scope(self) -> Any:
        """A context in which new arrays land on this backend's device (``cupy.cuda.Device(N)``)."""
        return self.device if self.device is not None else contextlib.nullcontext()


_DEVICE_RE = re.compile(r"(?:^|/)(?:device:)?(cpu|gpu|xla_cpu|xla_gpu|tpu)(?::(\d+|\*))?", re.IGNORECASE)
_CACHE: dict[str, Backend] = {}


def parse_device(device: str) -> tuple[str, int]:
    """``("CPU", 0)`` for ``"/cpu:0"``, ``"/device:GPU:1"``, ``"/job:w/task:0/cpu:0"``; CPU 0 when no type."""
    if not device:
        return "CPU", 0
    m = _DEVICE_RE.search(device)
    if m is None:
        if re.fullmatch(r"(/(job|replica|task):[A-Za-z0-9_*]+)*/?", device):
            return "CPU", 0
        raise InvalidArgumentError(f"cannot parse device specification {device!r}")
    idx = m.group(2)
    return m.group(1).upper(), 0 if idx in (None, "*") else int(idx)


def get_backend(device: str) -> Backend:
    """The backend that runs ops placed on ``device``."""
    b = _CACHE.get(device)
    if b is not None:
        return b
    kind, idx = parse_device(device)
    factory = _FACTORIES.get(kind)
    if factory is None:
        raise UnimplementedError(f"device {device!r}: no {kind} backend (only numpy on /cpu:* runs ops)")
    b = factory(device, idx)
    _CACHE[device] = b
    return b


def clear_cache() -> None:
    """Forget the backends made so far (tests swap the CuPy module in and out)."""
    _CACHE.clear()


def _cpu_backend(device: str, index: int) -> Backend:
    return Backend("CPU", index, np)


def import_cupy() -> Any:
    """The ``cupy`` module, or None when it is not installed."""
    try:
        import cupy  # type: ignore[import-not-found]
    except ImportError:
        return None
    return cupy


def _gpu_backend(device: str, index: int) -> Backend:
    cupy = import_cupy()
    if cupy is None:
        raise UnimplementedError(
            f"device {device!r}: the GPU backend needs CuPy and a CUDA device, and CuPy is not installed "
            "(pip install 'tensorlet[gpu]', or use a /cpu device or ConfigProto(allow_soft_placement=True))"
        )
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as e:  # noqa: BLE001 - CUDARuntimeError (no driver, driver too old) and friends
        raise UnimplementedError(
            f"device {device!r}: the GPU backend needs a CUDA device, and CuPy is installed but CUDA is not "
            f"usable: {type(e).__name__}: {e} "
            "(use a /cpu device or ConfigProto(allow_soft_placement=True))"
        ) from None
    if not 0 <= index < count:
        raise UnimplementedError(
            f"device {device!r}: CuPy finds {count} CUDA device(s), so there is no GPU:{index}"
        )
    errors = tuple(
        e
        for e in (
            getattr(getattr(cupy.cuda, "memory", None), "OutOfMemoryError", None),
            getattr(cupy.cuda.runtime, "CUDARuntimeError", None),
        )
        if isinstance(e, type)
    )
    return Backend("GPU", index, cupy, cupy.cuda.Device(index), errors)


_FACTORIES = {"CPU": _cpu_backend, "GPU": _gpu_backend}
