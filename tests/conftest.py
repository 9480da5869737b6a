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


# ---- pytest-xdist: `make test` runs the suite on two workers (-n 2) ----

# Files that start first under pytest-xdist, longest first (about their seconds on a 2-core CI machine):
# a long file handed out last would leave one worker running it while the other idles. Every other file
# follows in collection order. A rough order is enough: it only has to keep the long files off the end.
LONG_FILES = {
    "tests/build/test_c_builds.py": 240,
    "tests/zoo/test_zoo.py": 150,
    "tests/build/test_static_tools.py": 135,
    "tests/runtime/test_fuzz_fields.py": 115,
    "tests/docs/test_doc_blocks.py": 75,
    "tests/build/test_runtime_dist_qemu.py": 60,
    "tests/trainer/test_mpi.py": 60,
    "tests/build/test_size.py": 50,
    "tests/build/test_c_example.py": 50,
    "tests/quant/test_int8_ops.py": 45,
    "tests/runtime/test_end_to_end.py": 45,
    "tests/build/test_runtime_dist.py": 40,
    "tests/runtime/test_threads.py": 40,
    "tests/build/test_cross.py": 40,
    "tests/build/test_cortex_m.py": 40,
    "tests/quant/test_quantize_models.py": 40,
    "tests/trainer/test_tf1_programs.py": 40,
    "tests/trainer/test_kws_example.py": 30,
    "tests/runtime/test_malformed.py": 30,
    "tests/runtime/test_opt_kernels.py": 30,
    "tests/trainer/test_rnn.py": 25,
    "tests/runtime/test_work_budget.py": 25,
    "tests/build/test_install.py": 25,
}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """Under ``-n N`` with the default ``--dist load``: each test file runs whole on one worker, so its
    module-scoped fixtures (trained models, C builds) are made once, as in a serial run; the files of
    LONG_FILES are handed out first. Build folders that several files build into are locked
    (cbuild.build_lock), so the files are independent. Another ``--dist`` mode is left to pytest-xdist."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadFileScheduling

    class LongFirstFileScheduling(LoadFileScheduling):
        def _assign_work_unit(self, node) -> None:  # noqa: ANN001 - xdist's WorkerController
            """LoadFileScheduling's, but the next file is the longest left of LONG_FILES, else the first."""
            scope = min(self.workqueue, key=lambda f: -LONG_FILES.get(f, 0))  # first of equals: in order
            work_unit = self.workqueue.pop(scope)
            self.assigned_work.setdefault(node, {})[scope] = work_unit
            collection = self.registered_collections[node]
            node.send_runtest_some([collection.index(i) for i, done in work_unit.items() if not done])

    config.option.loadscopereorder = False  # collection order after LONG_FILES (xdist sorts by test count)
    return LongFirstFileScheduling(config, log)
