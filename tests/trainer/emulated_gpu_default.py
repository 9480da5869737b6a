"""Opt-in pytest plugin: run the trainer tests with every unpinned op on an EMULATED ``/gpu:0``.

    PYTHONPATH=tests/trainer .venv/bin/python -m pytest tests/trainer -p emulated_gpu_default \\
        --deselect tests/trainer/test_gpu_fake.py

CuPy is replaced by ``fake_cupy`` (numpy underneath, strict about host/device mixing) and the placer's
default device becomes ``GPU:0``, so the whole suite (ops, layers, optimizers, Saver, examples) exercises
the GPU code path. ``TENSORLET_NO_FUSED=1`` also switches the fused optimizer kernels off. Expected
failures, by design of this mode: tests that assert CPU placement or "no GPU" (test_graph, test_placement),
and those comparing explicitly pinned CPU partitions bit for bit with a run that now sits on the GPU
(test_partition, test_mpi: ~1 ulp from the fused updates, or a mixed plan where one device was expected).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fake_cupy  # noqa: E402


@pytest.fixture(autouse=True)
def _emulated_gpu_default(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from trainer import backend, placement
    from trainer.device_spec import canonical_name
    from trainer.ops import training

    fake_cupy.reset(1)
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy)
    monkeypatch.setitem(sys.modules, "cupyx", fake_cupy.cupyx)
    for f in training.FUSED_UPDATES.values():
        fake_cupy.register_twin(f.name, f.twin)
    backend.clear_cache()
    training._BUILT.clear()

    def default_device(self: Any) -> str:
        return canonical_name(self.job, 0, "GPU" if self.gpus else "CPU", 0)

    monkeypatch.setattr(placement.DeviceSet, "default_device", default_device)
    if os.environ.get("TENSORLET_NO_FUSED"):
        monkeypatch.setattr(training, "USE_FUSED_GPU_KERNELS", False)
    yield
    backend.clear_cache()
    training._BUILT.clear()
