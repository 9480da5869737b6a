"""Int8 bit-exactness: every int8 op of the C runtime (via pyruntime) gives the bytes of trainer/quantize.py.

The cases live in int8_op_cases.py (shared with the qemu cross-architecture runs); the quantization rejections
of docs/security.md that only an int8 op's prepare can see are checked here with their specific statuses.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
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
    # Two tl_run processes at a time (2 cores; qemu and ASan runs are single-threaded): the same runs.
    with ThreadPoolExecutor(max_workers=2) as pool:
        ran = [pool.submit(_tl_run_case, variant, c.model, c.inputs, len(c.expected), tmp_path / c.name)
               for c in CASES]
        rejected = []
        for rej in REJECTIONS:
            m = read_model(rej.model)
            inputs = [np.zeros(t.shape, t.dtype) for t in (m.tensors[i] for i in m.inputs)]
            d = tmp_path / f"reject_{rej.name}"
            rejected.append(pool.submit(_tl_run_case, variant, rej.model, inputs, 1, d))
    for case, future in zip(CASES, ran, strict=True):
        result = future.result()
        if result.returncode != 0:
            failures.append(f"{case.name}: tl_run exit {result.returncode}: {result.stderr[-500:]}")
            continue
        try:
            outs = [np.load(tmp_path / case.name / f"out{i}.npy") for i in range(len(case.expected))]
            check_exact(case, outs)
        except AssertionError as e:
            failures.append(str(e))
    for rej, future in zip(REJECTIONS, rejected, strict=True):
        result = future.result()
        if result.returncode == 0 or rej.status not in result.stderr or "Sanitizer" in result.stderr:
            failures.append(f"{rej.name}: exit {result.returncode}, stderr {result.stderr[-500:]}")
    assert not failures, f"{len(failures)} failures on {variant}:\n" + "\n".join(failures[:20])


def test_int8_per_channel_state_lives_in_caller_memory(runtime) -> None:
    """create_with_arena: the per-channel multipliers and concat requantization come out of the caller's
    memory; the reported requirement is exact (16 bytes less, aligned, fails) and the bytes stay bit-exact."""
    from pyruntime._tensorlet import ffi, lib

    for name in ("conv8_3x3_same", "dw8_dm2_s2_relu", "fc8_0_NONE", "concat8_1_RELU"):
        case = next(c for c in CASES if c.name == name)
        model = ffi.new("tl_model **")
        assert lib.tl_model_load(case.model, len(case.model), model, ffi.NULL, 0) == lib.TL_OK
        try:
            small = ffi.new("char[]", 64)
            interp = ffi.new("tl_interpreter **")
            assert lib.tl_interpreter_create_with_arena(model[0], ffi.NULL, small, 64, interp) != lib.TL_OK
            probe = ffi.new("char[]", 1 << 16)
            assert (
                lib.tl_interpreter_create_with_arena(model[0], ffi.NULL, probe, 1 << 16, interp) == lib.TL_OK
            )
            assert lib.tl_interpreter_prepare(interp[0]) == lib.TL_OK
            need = lib.tl_interpreter_required_memory_bytes(interp[0])
            lib.tl_interpreter_destroy(interp[0])
            for size, ok in ((need, True), (need - 16, False)):
                mem = ffi.new("char[]", size)
                base = ffi.cast("char *", mem)
                # aligned base: the 15 spare bytes are not needed, so 16 fewer must fail
                shift = (-int(ffi.cast("uintptr_t", base))) % 16
                status = lib.tl_interpreter_create_with_arena(
                    model[0], ffi.NULL, base + shift, size - shift, interp
                )
                if status == lib.TL_OK:
                    status = lib.tl_interpreter_prepare(interp[0])
                assert (status == lib.TL_OK) == ok, (name, size, status)
                if not ok:
                    assert status == lib.TL_ERROR_ARENA_TOO_SMALL, (name, status)
                    lib.tl_interpreter_destroy(interp[0])
                    continue
                for i, x in enumerate(case.inputs):
                    x = np.ascontiguousarray(x)
                    assert (
                        lib.tl_interpreter_set_input(interp[0], i, ffi.from_buffer(x), x.nbytes, lib.TL_INT8)
                        == lib.TL_OK
                    )
                assert lib.tl_interpreter_invoke(interp[0]) == lib.TL_OK
                want = case.expected[0]
                got = np.empty_like(want)
                assert (
                    lib.tl_interpreter_get_output(interp[0], 0, ffi.from_buffer(got), got.nbytes, lib.TL_INT8)
                    == lib.TL_OK
                )
                assert got.tobytes() == want.tobytes()
                lib.tl_interpreter_destroy(interp[0])
        finally:
            lib.tl_model_destroy(model[0])
