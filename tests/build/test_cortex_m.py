"""Cortex-M4 bare metal: an int8 MNIST MLP and 100 test digits embedded as C arrays in a firmware for QEMU's
mps2-an386 board, run with static memory only (tl_model_load_static + tl_interpreter_create_with_arena, the
library built freestanding: no stdio, no malloc). Its int8 outputs must be byte-identical to the host C
runtime's (pyruntime), checked both inside the firmware (non-zero exit on a mismatch) and here on the
printed outputs; a firmware given one wrong expected byte must fail.
"""

from __future__ import annotations

import functools
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from cbuild import build_lock, c_flags, compile_program
from conftest import need_tool
from export_models import mnist, trained
from runtime_op_cases import ensure_pyruntime

import trainer as tf
import trainer.quantize as q
from trainer import cli
from trainer.lite import Converter, Optimize
from trainer.tlm import read_model

REPO = Path(__file__).resolve().parents[2]
PORT = REPO / "runtime_c" / "port" / "mps2-an386"
BUILD = REPO / "build-embedded"
DIGITS = 100
MATH = {
    "expf",
    "exp",
    "logf",
    "log",
    "sqrtf",
    "sqrt",
    "tanhf",
    "tanh",
    "erfc",  # Gelu (exact form), C99 <math.h>: newlib has it
    "floorf",
    "floor",
    "roundf",
    "round",
    "fabsf",
    "fabs",
    "ceilf",
    "ceil",
    "frexp",
    "ldexp",
    "frexpf",
    "ldexpf",
    "powf",
    "pow",
    "fmaxf",
    "fminf",
    "nearbyintf",
    "lrintf",
    "rintf",
    "truncf",
    "log1pf",
    "expm1f",
    "erff",
    "erf",
}
M4_FLAGS = c_flags("cortex_m4")
QEMU = [
    "qemu-system-arm",
    "-M",
    "mps2-an386",
    "-cpu",
    "cortex-m4",
    "-nographic",
    "-monitor",
    "none",
    "-serial",
    "none",
    "-semihosting-config",
    "enable=on,target=native",
    "-kernel",
]


@functools.cache
def mnist_int8() -> bytes:
    """The shared MLP (tests/export_models.py), batch 1, int8 in and out, calibrated on 64 training digits."""
    m = trained("mlp")
    xtr, _, _, _ = mnist()
    conv = Converter.from_session(m.sess, [m.x], [m.logits])
    conv.batch_size = 1
    conv.optimizations = [Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([m.images(xtr[i : i + 1])] for i in range(64))
    conv.inference_input_type = conv.inference_output_type = tf.int8
    return conv.convert()


def write_sources(
    out: Path, model: bytes, digits: np.ndarray, labels: np.ndarray, expected: np.ndarray, in_dtype: str = ""
) -> None:
    """tl_fw_model.c/.h through `tensorlet export-c`, the op header through `tensorlet ops --header`, and
    fw_data.c/.h with the digits, labels and the host runtime's outputs. ``in_dtype`` (``"TL_INT32"``): the
    input's dtype when it is not int8, the digits then holding its values' little-endian bytes."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.tlm").write_bytes(model)
    assert cli.main(["export-c", str(out / "model.tlm"), "--name", "tl_fw_model", "--out-dir", str(out)]) == 0
    assert cli.main(["ops", str(out / "model.tlm"), "--header", str(out / "ops.h")]) == 0
    n, nin = digits.shape
    nout = expected.shape[1]
    (out / "fw_data.h").write_text(
        f"#include <stdint.h>\n#define TL_FW_DIGITS {n}\n"
        f"#define TL_FW_IN_BYTES {nin}\n#define TL_FW_OUT_BYTES {nout}\n"
        + (f"#define TL_FW_IN_DTYPE {in_dtype}\n" if in_dtype else "")
        + "extern const int8_t tl_fw_digits[TL_FW_DIGITS][TL_FW_IN_BYTES];\n"
        "extern const uint8_t tl_fw_labels[TL_FW_DIGITS];\n"
        "extern const int8_t tl_fw_expected[TL_FW_DIGITS][TL_FW_OUT_BYTES];\n"
    )

    def rows(a: np.ndarray) -> str:
        return ",\n".join("{" + ", ".join(str(int(v)) for v in r) + "}" for r in a)

    (out / "fw_data.c").write_text(
        '#include "fw_data.h"\n'
        f"const int8_t tl_fw_digits[TL_FW_DIGITS][TL_FW_IN_BYTES] = {{\n{rows(digits)}}};\n"
        f"const uint8_t tl_fw_labels[TL_FW_DIGITS] = {{{', '.join(str(int(v)) for v in labels)}}};\n"
        f"const int8_t tl_fw_expected[TL_FW_DIGITS][TL_FW_OUT_BYTES] = {{\n{rows(expected)}}};\n"
    )


def build_library(ops_header: Path | None = None, name: str = "m4-selective") -> Path:
    """libtensorlet.a for Cortex-M4 (-Os, freestanding) through runtime_c/cmake/cortex-m4.cmake: every op, or
    the selective build of ``ops_header`` (in build-embedded/``name``)."""
    d = BUILD / ("m4" if ops_header is None else name)
    configure = [
        "cmake", "-S", str(REPO / "runtime_c"), "-B", str(d), "-DCMAKE_BUILD_TYPE=MinSizeRel",
        f"-DCMAKE_TOOLCHAIN_FILE={REPO / 'runtime_c' / 'cmake' / 'cortex-m4.cmake'}",
        f"-DTL_OPS_HEADER={ops_header or ''}",
    ]  # fmt: skip
    with build_lock(d):  # build-embedded/m4 is built by test_kws_firmware.py and tests/zoo too
        r = subprocess.run(configure, capture_output=True, text=True)
        assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
        r = subprocess.run(["cmake", "--build", str(d), "-j2"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-6000:]
    return d / "libtensorlet.a"


def link_firmware(out: Path, lib: Path, elf: Path, defines: tuple[str, ...] = ()) -> None:
    crt0 = subprocess.run(
        ["arm-none-eabi-gcc", *M4_FLAGS, "-print-file-name=rdimon-crt0.o"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    cmd = [
        "arm-none-eabi-gcc",
        *M4_FLAGS,
        "-Os",
        *c_flags("std", "warnings"),
        "-ffunction-sections",
        "-fdata-sections",
        *defines,
        f"-I{out}",
        f"-I{REPO / 'runtime_c' / 'include'}",
        "--specs=nano.specs",
        "--specs=rdimon.specs",
        "-nostartfiles",
        "-T",
        str(PORT / "mps2_an386.ld"),
        "-Wl,--gc-sections",
        str(PORT / "startup.c"),
        str(PORT / "firmware.c"),
        str(out / "tl_fw_model.c"),
        str(out / "fw_data.c"),
        str(lib),
        crt0,
        "-lm",
        "-o",
        str(elf),
    ]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-6000:]


@pytest.fixture(scope="module")
def firmware_inputs() -> tuple[bytes, np.ndarray, np.ndarray, np.ndarray]:
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm", "cmake"):
        need_tool(tool)
    ensure_pyruntime()
    import pyruntime

    model = mnist_int8()
    info = read_model(model)
    xin = info.tensors[info.inputs[0]]
    scale, zp = float(xin.quantization.scale[0]), int(xin.quantization.zero_point[0])
    _, _, xte, yte = mnist()
    digits = q.quantize(xte[:DIGITS].reshape(DIGITS, 784), scale, zp)
    interp = pyruntime.Interpreter(model_content=model)
    expected = np.stack([interp.run(digits[i : i + 1])[0][0] for i in range(DIGITS)])
    assert digits.dtype == expected.dtype == np.int8 and expected.shape == (DIGITS, 10)
    return model, digits, yte[:DIGITS], expected


def test_library_is_freestanding_without_malloc() -> None:
    need_tool("arm-none-eabi-gcc")
    need_tool("cmake")
    lib = build_library()
    nm = subprocess.run(["arm-none-eabi-nm", str(lib)], capture_output=True, text=True, check=True).stdout
    symbols = [line.split() for line in nm.splitlines() if len(line.split()) >= 2]
    defined = {f[-1] for f in symbols if len(f) == 3}
    undefined = {f[-1] for f in symbols if f[0] == "U"} - defined
    for banned in (
        "malloc",
        "free",
        "calloc",
        "realloc",
        "printf",
        "snprintf",
        "vsnprintf",
        "fopen",
        "_sbrk",
    ):
        assert banned not in undefined, f"freestanding library references {banned}"
    assert "tl_vsnprintf" in defined and "tl_model_load_static" in defined
    libc = undefined - {s for s in undefined if s.startswith("__aeabi_")}
    assert libc <= {"memcpy", "memset", "memmove", "memcmp", "strcmp", "strlen", "strncmp"} | MATH, libc


def test_firmware_matches_host_runtime_under_qemu(firmware_inputs, tmp_path: Path) -> None:
    model, digits, labels, expected = firmware_inputs
    out = BUILD / "fw"
    write_sources(out, model, digits, labels, expected)
    assert "#define TL_WITH_OP_FULLY_CONNECTED 1" in (out / "ops.h").read_text()
    lib = build_library(out / "ops.h")  # the MNIST selective build: only FullyConnected
    elf = out / "mnist_fw.elf"
    link_firmware(out, lib, elf)
    r = subprocess.run([*QEMU, str(elf)], capture_output=True, text=True, timeout=300)
    log = r.stdout + r.stderr
    assert r.returncode == 0, log[-4000:]
    assert "refused: TL_ERROR_TRUNCATED: load: 4 bytes is too short for a model (needs at least 8)" in log
    too_small = r"TL_ERROR_ARENA_TOO_SMALL: load: memory of 1000 bytes is too small for the model's tables"
    m = re.search(too_small + r" \(needs (\d+)\)", log)
    assert m and 1000 < int(m[1]) <= 1000 + 8192, log[:2000]
    got = {int(m[1]): bytes.fromhex(m[2]) for m in re.finditer(r"^out (\d+) ([0-9a-f]+)$", log, re.M)}
    assert sorted(got) == list(range(DIGITS)), log[-2000:]
    for i in range(DIGITS):
        assert got[i] == expected[i].tobytes(), (i, got[i].hex(), expected[i].tobytes().hex())
    acc = re.search(r"accuracy (\d+)/(\d+), mismatches with the host runtime (\d+)", log)
    assert acc and int(acc[2]) == DIGITS and int(acc[3]) == 0, log[-2000:]
    host_correct = int(np.sum(expected.argmax(1) == labels))
    assert int(acc[1]) == host_correct and host_correct >= 75, log[-2000:]
    mem = re.search(r"model tables (\d+) bytes, interpreter state (\d+) bytes, arena (\d+) bytes", log)
    assert mem, log[-2000:]
    assert int(mem[1]) + int(mem[2]) <= 8192, mem[0]  # RAM beyond the arena for the MNIST MLP

    # the firmware's own check: one wrong expected byte -> non-zero exit
    bad = expected.copy()
    bad[37, 4] = np.int8(int(bad[37, 4]) ^ 1)
    write_sources(out / "bad", model, digits, labels, bad)
    link_firmware(out / "bad", lib, out / "bad.elf")
    r = subprocess.run([*QEMU, str(out / "bad.elf")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "mismatches with the host runtime 1" in r.stdout + r.stderr


KWS_INPUTS = 4


def test_imported_tflite_model_matches_host_runtime_under_qemu() -> None:
    """One imported int8 .tflite model (the DS-CNN keyword-spotting fixture made by TensorFlow's converter:
    Conv2D, DepthwiseConv2D, AveragePool2D, FullyConnected, Softmax) in the same firmware, its selective
    build, on a few seeded inputs: byte-identical with the host runtime (checked in the firmware and here), in
    at most 10M instructions per inference with the DSP-extension kernels (QEMU with -icount shift=0)."""
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm", "cmake"):
        need_tool(tool)
    ensure_pyruntime()
    import pyruntime
    from trainer.lite.tflite import from_tflite

    model = from_tflite((REPO / "tests" / "fixtures" / "tflite" / "kws_ds_cnn_int8.tflite").read_bytes())
    interp = pyruntime.Interpreter(model_content=model)
    (d_in,), (d_out,) = interp.get_input_details(), interp.get_output_details()
    assert d_in["dtype"] == d_out["dtype"] == np.int8
    rng = np.random.default_rng(3)
    xs = rng.integers(-128, 128, size=(KWS_INPUTS, int(np.prod(d_in["shape"]))), dtype=np.int8)
    expected = np.stack([interp.run(x.reshape(d_in["shape"]))[0].reshape(-1) for x in xs])
    labels = expected.argmax(1).astype(np.uint8)  # the firmware's "accuracy" is then agreement of argmax
    out = BUILD / "fw-kws"
    write_sources(out, model, xs, labels, expected)
    ops_h = (out / "ops.h").read_text()
    for op in ("CONV2D", "DEPTHWISE_CONV2D", "AVERAGE_POOL2D", "FULLY_CONNECTED", "SOFTMAX"):
        assert re.search(rf"#define TL_WITH_OP_{op} 1", ops_h), (op, ops_h)
    lib = build_library(out / "ops.h", "m4-selective-kws")
    elf = out / "kws_fw.elf"
    link_firmware(out, lib, elf, ("-DTL_FW_MODEL_MEMORY=65536",))
    icount = [*QEMU[:-1], "-icount", "shift=0", "-kernel"]  # one instruction per virtual ns
    r = subprocess.run([*icount, str(elf)], capture_output=True, text=True, timeout=300)
    log = r.stdout + r.stderr
    assert r.returncode == 0, log[-4000:]
    got = {int(m[1]): bytes.fromhex(m[2]) for m in re.finditer(r"^out (\d+) ([0-9a-f]+)$", log, re.M)}
    assert sorted(got) == list(range(KWS_INPUTS)), log[-2000:]
    for i in range(KWS_INPUTS):
        assert got[i] == expected[i].tobytes(), (i, got[i].hex(), expected[i].tobytes().hex())
    acc = re.search(r"accuracy (\d+)/(\d+), mismatches with the host runtime (\d+)", log)
    assert acc and int(acc[1]) == int(acc[2]) == KWS_INPUTS and int(acc[3]) == 0, log[-2000:]
    # issue 19: with the DSP-extension kernels (dsp_int8.c) at most 10M instructions per inference (the
    # reference kernels take 54M); SysTick ticks every 40 instructions, measured on the known loop
    ticks = re.search(r"ticks min (\d+) max (\d+), known loop of 2000000 instructions: (\d+) ticks", log)
    assert ticks, log[-2000:]
    per_tick = 2_000_000 / int(ticks[3])
    assert per_tick == pytest.approx(40, rel=1e-3), ticks[0]
    assert 1e6 < int(ticks[2]) * per_tick <= 10e6, ticks[0]


def test_static_load_and_formatter_on_host(tmp_path: Path) -> None:
    """The freestanding configuration compiled for the host: load_static's memory sizing and checks, no
    tl_malloc on the static path, same outputs as the malloc path, the library's own formatter."""
    cc = need_tool("gcc")
    sources = sorted(str(p) for p in (REPO / "runtime_c" / "src").rglob("*.c"))
    exe = tmp_path / "static_load_check"
    cmd = [cc, *c_flags("std"), "-O1", *c_flags("warnings"), "-DTL_FREESTANDING",
           f"-I{REPO / 'runtime_c' / 'include'}", f"-I{REPO / 'runtime_c' / 'src'}"]  # fmt: skip
    r = compile_program(cmd, [str(PORT.parent / "static_load_check.c"), *sources], exe)
    assert r.returncode == 0, r.stderr[-6000:]
    model = tmp_path / "mnist_int8.tlm"
    model.write_bytes(mnist_int8())
    r = subprocess.run([str(exe), str(model)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.startswith("ok"), r.stdout + r.stderr


FREESTANDING_HEADERS = {"stdint.h", "stddef.h", "string.h", "math.h", "stdarg.h", "float.h", "limits.h"}
# compiler-provided, no libc: SIMD intrinsics inside per-ISA kernels, cpuid in cpu_caches.c (x86 only)
INTRINSIC_HEADERS = {"immintrin.h", "arm_neon.h", "cpuid.h"}


def test_core_includes_only_freestanding_headers() -> None:
    """Under TL_FREESTANDING every runtime source (core, ops, kernels) includes only <stdint.h>, <stddef.h>,
    <string.h>, <math.h> and the compiler's freestanding <stdarg.h>/<float.h>/<limits.h> (plus SIMD
    intrinsics in the optional optimized kernels): the #include directives actually processed, with the
    preprocessor conditions evaluated (gcc -E -dI)."""
    cc = need_tool("gcc")
    seen: dict[str, set[str]] = {}
    for src in sorted((REPO / "runtime_c" / "src").rglob("*.c")):
        r = subprocess.run(
            [cc, *c_flags("std"), "-E", "-dI", "-DTL_FREESTANDING", f"-I{REPO / 'runtime_c' / 'include'}",
             f"-I{REPO / 'runtime_c' / 'src'}", str(src)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        current = ""
        for line in r.stdout.splitlines():
            if m := re.match(r'# \d+ "([^"]+)"', line):
                current = m[1]
            elif (m := re.match(r"#include <([^>]+)>", line)) and str(REPO / "runtime_c") in str(
                Path(current).resolve()
            ):
                seen.setdefault(m[1], set()).add(Path(current).name)
    assert {"stdint.h", "string.h", "math.h"} <= set(seen)
    extra = {h: files for h, files in seen.items() if h not in FREESTANDING_HEADERS | INTRINSIC_HEADERS}
    assert not extra, extra
