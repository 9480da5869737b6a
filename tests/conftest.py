"""Shared pytest configuration.

A test that needs a tool which may be missing (a cross compiler, qemu, clang, mpiexec) calls
``need(condition, reason)``: it skips with the reason locally, and fails under ``TENSORLET_REQUIRE_ALL=1``
(set by ``.ci/run``), so that CI never silently skips.
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
