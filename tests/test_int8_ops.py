"""Int8 bit-exactness: every int8 op of the C runtime (via pyruntime) gives the bytes of trainer/quantize.py.

The cases live in int8_op_cases.py (shared with the qemu cross-architecture runs); the quantization rejections
of SECURITY.md that only an int8 op's prepare can see are checked here with their specific statuses.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cbuild import build, run_tool
from int8_op_cases import all_cases, check_exact, rejection_cases
from runtime_op_cases import ensure_pyruntime, run_model

from trainer.tlm import read_model
from trainer.tlm.builder import OPCODES

CASES = all_cases()
REJECTIONS = rejection_cases()


@pytest.fixture(scope="module")
def runtime() -> None:
    ensure_pyruntime()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_int8_bit_exact(runtime, case) -> None:
    check_exact(case, run_model(case.model, case.inputs))


def test_every_op_has_int8_cases() -> None:
    covered = {op.opcode for c in CASES for op in read_model(c.model).ops}
    assert set(OPCODES) <= covered, f"ops without int8 cases: {sorted(set(OPCODES) - covered)}"


def test_cases_cover_zero_point_extremes_and_saturation() -> None:
    zps, saturated = set(), 0
    for c in CASES:
        m = read_model(c.model)
        for t in m.tensors:
            if t.quantization is not None and t.dtype == np.int8:
                zps.update(t.quantization.zero_point)
        out = c.expected[0]
        if out.dtype == np.int8 and (np.any(out == -128) and np.any(out == 127)):
            saturated += 1
    assert {-128, 127} <= zps
    assert saturated >= 10


def test_checker_detects_one_lsb(runtime) -> None:
    case = next(c for c in CASES if c.name.startswith("conv8_3x3_same"))
    bad = [e.copy() for e in case.expected]
    bad[0].flat[3] = np.int8(int(bad[0].flat[3]) ^ 1)
    with pytest.raises(AssertionError, match="1 of"):
        check_exact(case, bad)


@pytest.mark.parametrize("case", REJECTIONS, ids=[c.name for c in REJECTIONS])
def test_int8_rejections(runtime, case) -> None:
    import pyruntime

    with pytest.raises(pyruntime.TensorletRuntimeError) as info:
        pyruntime.Interpreter(model_content=case.model).allocate_tensors()
    assert info.value.status_name == case.status, str(info.value)
    assert case.message in info.value.message, str(info.value)


def _tl_run_case(variant: str, model: bytes, inputs, n_out: int, directory: Path):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "model.tlm"
    path.write_bytes(model)
    args = [str(path)]
    for i, x in enumerate(inputs):
        np.save(directory / f"in{i}.npy", x)
        args += ["--input", f"{i}={directory / f'in{i}.npy'}"]
    for i in range(n_out):
        args += ["--output", f"{i}={directory / f'out{i}.npy'}"]
    return run_tool(variant, "tl_run", args)


@pytest.mark.parametrize("variant", ["aarch64", "armhf", "asan"])
def test_int8_tl_run_cross_and_sanitized(variant: str, tmp_path: Path) -> None:
    """Every case through tl_run on aarch64 / armhf (qemu) and under ASan+UBSan: identical bytes; every
    rejection with its status and no sanitizer report."""
    build(variant, targets=("tl_run",))
    failures = []
    for case in CASES:
        d = tmp_path / case.name
        result = _tl_run_case(variant, case.model, case.inputs, len(case.expected), d)
        if result.returncode != 0:
            failures.append(f"{case.name}: tl_run exit {result.returncode}: {result.stderr[-500:]}")
            continue
        try:
            check_exact(case, [np.load(d / f"out{i}.npy") for i in range(len(case.expected))])
        except AssertionError as e:
            failures.append(str(e))
    for rej in REJECTIONS:
        m = read_model(rej.model)
        inputs = [np.zeros(t.shape, t.dtype) for t in (m.tensors[i] for i in m.inputs)]
        result = _tl_run_case(variant, rej.model, inputs, 1, tmp_path / f"reject_{rej.name}")
        if result.returncode == 0 or rej.status not in result.stderr or "Sanitizer" in result.stderr:
            failures.append(f"{rej.name}: exit {result.returncode}, stderr {result.stderr[-500:]}")
    assert not failures, f"{len(failures)} failures on {variant}:\n" + "\n".join(failures[:20])
