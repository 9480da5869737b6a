"""Size budgets and the build options that meet them: Cortex-M4 -Os text of the core (no kernels) and of
the MNIST int8 selective build (runtime_c/tools/size_report.py), the selective build itself (a model with
another op is refused at load: not in this build) and TL_TERSE_ERRORS (message text compiled out, statuses
unchanged), both built natively and run with tl_run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from cbuild import c_flags
from conftest import need_tool
from runtime_op_cases import ensure_pyruntime
from test_cortex_m import mnist_int8
from test_static_tools import cnn_int8

import trainer.quantize as q
from trainer import cli
from trainer.tlm import ModelBuilder, read_model

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "runtime_c" / "tools"))
import size_report  # noqa: E402

KB = 1024


def test_cortex_m4_size_budgets() -> None:
    need_tool("arm-none-eabi-gcc")
    build = REPO / "build-embedded" / "size"
    full = size_report.report("cortex-m4", build, size_report.MNIST_OPS)
    terse = size_report.report("cortex-m4-terse", build, size_report.MNIST_OPS)
    for sizes in (full, terse):
        assert 0 < sizes["core"][0] < sizes["selective"][0] < sizes["all ops"][0]
        assert all(sizes[f"op:{op}"][0] > 0 for op in size_report.OPS)
        assert sizes["core"][1] == sizes["core"][2] == 0  # no writable globals in the core
    # the budgets hold with messages compiled out (docs/embedded.md gives both configurations)
    assert terse["core"][0] <= 16 * KB, terse["core"]
    assert terse["selective"][0] <= 32 * KB, terse["selective"]
    assert full["core"][0] > terse["core"][0] + 4 * KB  # what the message text costs


class _TlRunBuild:
    """tl_run compiled from every runtime source in one gcc call with ``defines``, started at once: the
    selective and the terse build compile side by side (one core each) while the test prepares its models."""

    def __init__(self, tmp: Path, name: str, defines: list[str]) -> None:
        cc = need_tool("gcc")
        src = REPO / "runtime_c"
        tools = src / "tools"
        self.exe = tmp / name
        cmd = [cc, *c_flags("std"), "-O1", *c_flags("warnings"), *defines,
               f"-I{src / 'include'}", f"-I{src / 'src'}", f"-I{tools}", str(tools / "tl_run.c"),
               str(tools / "tool_common.c"), str(tools / "npy.c"),
               *sorted(str(p) for p in (src / "src").rglob("*.c")), "-lm", "-o", str(self.exe)]  # fmt: skip
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def wait(self) -> Path:
        """The executable, once the compiler has finished (its errors fail the test)."""
        _, stderr = self.process.communicate(timeout=900)
        assert self.process.returncode == 0, stderr[-4000:]
        return self.exe


def _run(exe: Path, model: Path, x: np.ndarray, tmp: Path) -> subprocess.CompletedProcess:
    np.save(tmp / "x.npy", x)
    return subprocess.run(
        [str(exe), str(model), "--input", f"0={tmp / 'x.npy'}", "--output", f"0={tmp / 'y.npy'}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_selective_and_terse_builds(tmp_path: Path) -> None:
    ensure_pyruntime()
    import pyruntime

    mlp, cnn = tmp_path / "mlp.tlm", tmp_path / "cnn.tlm"
    mlp.write_bytes(mnist_int8())
    cnn.write_bytes(cnn_int8())
    header = tmp_path / "ops.h"
    assert cli.main(["ops", str(mlp), "--header", str(header)]) == 0
    text = header.read_text()
    assert "TL_WITH_OP_FULLY_CONNECTED" in text and "TL_WITH_OP_CONV2D" not in text
    builds = [_TlRunBuild(tmp_path, "tl_run_mlp", [f'-DTL_OPS_HEADER="{header}"'])]
    builds.append(_TlRunBuild(tmp_path, "tl_run_terse", ["-DTL_TERSE_ERRORS"]))
    info = read_model(mlp.read_bytes())
    xq = info.tensors[info.inputs[0]].quantization
    x = q.quantize(np.linspace(0, 1, 784, dtype=np.float32).reshape(1, 784), xq.scale[0], xq.zero_point[0])
    want = pyruntime.Interpreter(model_content=mlp.read_bytes()).run(x)[0]
    xc = np.linspace(0, 1, 2 * 784, dtype=np.float32).reshape(2, 28, 28, 1)
    want_cnn = pyruntime.Interpreter(model_content=cnn.read_bytes()).run(xc)[0]
    selective, terse = (b.wait() for b in builds)
    for exe in (selective, terse):
        r = _run(exe, mlp, x, tmp_path)
        assert r.returncode == 0, r.stderr
        assert np.load(tmp_path / "y.npy").tobytes() == want.tobytes()
    # the selective build has only FullyConnected: the CNN's first op (Quantize, code 18) is refused at load
    r = _run(selective, cnn, xc, tmp_path)
    assert r.returncode == 1 and "TL_ERROR_UNSUPPORTED_OP" in r.stderr, r.stderr
    assert "op 0: op code 18 is not in this build" in r.stderr, r.stderr
    # the terse build runs every op, and its errors keep their status with the text compiled out
    r = _run(terse, cnn, xc, tmp_path)
    assert r.returncode == 0 and np.load(tmp_path / "y.npy").tobytes() == want_cnn.tobytes(), r.stderr
    bad = tmp_path / "bad.tlm"
    data = bytearray(mlp.read_bytes())
    data[4:8] = b"XXXX"
    bad.write_bytes(bytes(data))
    r = _run(terse, bad, x, tmp_path)
    assert r.returncode != 0 and "TL_ERROR_BAD_IDENTIFIER" in r.stderr and "details compiled out" in r.stderr
    # an op's prepare failure names the op, written without a printf formatter in terse builds: a Relu whose
    # output shape differs from its input's passes load and is refused by the op's prepare
    b = ModelBuilder(check=False)
    t = b.add_input("x", np.float32, [1, 4])
    for k in range(12):  # op 11 fails: a two-digit index
        y = b.add_tensor(f"y{k}", np.float32, [1, 4] if k < 11 else [1, 5])
        b.add_op("Relu", [t], [y])
        t = y
    b.mark_output(t)
    relu = tmp_path / "relu.tlm"
    relu.write_bytes(b.finish())
    r = _run(terse, relu, np.zeros((1, 4), np.float32), tmp_path)
    assert r.returncode == 1 and "TL_ERROR_BAD_SHAPE" in r.stderr, r.stderr
    assert "op 11 (Relu) failed" in r.stderr, r.stderr
