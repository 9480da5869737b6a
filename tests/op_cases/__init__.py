"""Per-op test cases contributed by one file per op: adding an op adds a module here, and the registry-driven
suites pick it up without an edit to a shared file.

A module ``tests/op_cases/<op>.py`` may define any of:

- ``float_cases(rng) -> list[runtime_op_cases.OpCase]``: float parity cases (inputs, expected outputs from the
  op's float formula); they join ``runtime_op_cases.all_cases()`` (C runtime, numpy interpreter, qemu).
- ``int8_cases(rng) -> list[int8_op_cases.Int8Case]``: int8 bit-exactness cases (expected bytes from the op's
  int8 reference); they join ``int8_op_cases.all_cases()``.
- ``quantize_case() -> QuantizeCase``: a float model using the op and its calibration samples; the
  post-training quantization suite rewrites it to int8 and checks it bit for bit against the numpy reference
  and against the float model (tests/quant/test_quantize_models.py).

Each module gets its own generator, seeded from its name, so adding a module changes no other case.
"""

from __future__ import annotations

import importlib
import pkgutil
import zlib
from collections.abc import Callable
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np


class QuantizeCase(NamedTuple):
    name: str
    model: bytes  # float32 .tlm
    samples: list[list[np.ndarray]]  # calibration and test inputs


def modules() -> list[ModuleType]:
    """Every case module of this package, in name order."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


def _collect(hook: str) -> list[Any]:
    out: list[Any] = []
    for module in modules():
        fn: Callable[..., Any] | None = getattr(module, hook, None)
        if fn is not None:
            short = module.__name__.rsplit(".", 1)[-1]
            out += fn(np.random.default_rng(zlib.crc32(f"{short}.{hook}".encode())))
    return out


def float_cases() -> list[Any]:
    return _collect("float_cases")


def int8_cases() -> list[Any]:
    return _collect("int8_cases")


def quantize_cases() -> list[QuantizeCase]:
    return [m.quantize_case() for m in modules() if hasattr(m, "quantize_case")]
