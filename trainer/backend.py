"""Per-device array backends: every kernel gets its array module from the backend of its op's device.

``"/cpu:N"`` (and ops with no device, or only a job/task) run on numpy. ``"/gpu:N"`` has its place here (one
backend factory per device type; the GPU one would bind CuPy to CUDA device N) but no kernels yet: asking
for it raises :class:`~trainer.errors.UnimplementedError` saying whether CuPy is missing. The placer only
offers GPU devices when CuPy finds one, so with ``allow_soft_placement`` GPU ops fall back to the CPU.

>>> from trainer.backend import get_backend
>>> get_backend("/cpu:0").xp.__name__
'numpy'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainer.errors import InvalidArgumentError, UnimplementedError


@dataclass(frozen=True)
class Backend:
    """An array module bound to one device."""

    device_type: str  # "CPU", "GPU"
    index: int
    xp: Any

    def asarray(self, value: Any, dtype: Any = None) -> Any:
        return self.xp.asarray(value, dtype=dtype)

    def to_numpy(self, value: Any) -> np.ndarray:
        return np.asarray(value)


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


def _cpu_backend(device: str, index: int) -> Backend:
    return Backend("CPU", index, np)


def _gpu_backend(device: str, index: int) -> Backend:
    try:
        import cupy  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        raise UnimplementedError(
            f"device {device!r}: the GPU backend needs CuPy and a CUDA device, and CuPy is not installed "
            "(use a /cpu device or ConfigProto(allow_soft_placement=True))"
        ) from None
    raise UnimplementedError(f"device {device!r}: CuPy is installed but the GPU kernels are not written yet")


_FACTORIES = {"CPU": _cpu_backend, "GPU": _gpu_backend}
