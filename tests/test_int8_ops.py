"""Int8 bit-exactness: every int8 op of the C runtime (via pyruntime) gives the bytes of trainer/quantize.py.

The cases live in int8_op_cases.py (shared with the qemu cross-architecture runs); the quantization rejections
of SECURITY.md that only an int8 op's prepare can see are checked here with their specific statuses.
"""

from __future__ import annotations

import numpy as np
import pytest
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
