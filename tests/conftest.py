"""Shared pytest configuration.

A test that needs a tool which may be missing (a cross compiler, qemu, clang, mpiexec) calls
``need(condition, reason)``: it skips with the reason locally, and fails under ``TENSORLET_REQUIRE_ALL=1``
(set by ``.ci/run``), so that CI never silently skips. The one exemption is ``need_gpu()`` for tests marked
``@pytest.mark.gpu``: no CI machine has a GPU, so they always skip without one.
"""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRE_ALL = os.environ.get("TENSORLET_REQUIRE_ALL") == "1"


def need(condition: bool, reason: str) -> None:
    """Skip (or, under TENSORLET_REQUIRE_ALL=1, fail) the calling test unless ``condition`` holds."""
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"required under TENSORLET_REQUIRE_ALL=1: {reason}")
    pytest.skip(reason)


def need_tool(name: str) -> str:
    """Return the path of executable ``name`` or skip/fail the test."""
    path = shutil.which(name)
    need(path is not None, f"{name} not found on PATH")
    assert path is not None
    return path


def need_gpu() -> object:
    """The real ``cupy`` module with at least one usable CUDA device, else skip the calling test.

    GPU tests (``@pytest.mark.gpu``) are exempt from TENSORLET_REQUIRE_ALL: they skip, never fail, without a
    GPU, since CI machines have none. ``scripts/gpu_check.sh`` runs them on a machine that has one.
    """
    try:
        import cupy  # type: ignore[import-not-found]
    except ImportError:
        pytest.skip(
            "gpu: CuPy is not installed (pip install 'tensorlet[gpu]' on a machine with an NVIDIA GPU)"
        )
    if getattr(cupy, "EMULATION", False):
        pytest.skip("gpu: cupy is the test emulation here, not the real package")
    try:
        n = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as e:  # noqa: BLE001 - CUDARuntimeError when there is no driver or device
        pytest.skip(f"gpu: CuPy is installed but finds no usable CUDA device ({type(e).__name__}: {e})")
    if n < 1:
        pytest.skip("gpu: CuPy finds no CUDA device")
    return cupy
