"""Instructions per inference on the Cortex-M4 (QEMU mps2-an386, ``-icount shift=0``): the int8 reference
kernels against the DSP-extension kernels (runtime_c/src/kernels/dsp_int8.c), model by model.

    python scripts/m4_speed.py                      # the DS-CNN fixtures and the MNIST MLP and CNN
    python scripts/m4_speed.py --models ds_cnn      # one of them

For each model: ``tensorlet export-c --samples`` writes the model array and its test inputs with the host
runtime's outputs (pyruntime), ``tensorlet ops --header`` the selective-build header; the library is built
twice for the Cortex-M4 (-Os, freestanding): as is (TL_INT8_DSP: the DSP kernels) and with -DTL_NO_INT8_DSP
(the reference kernels). runtime_c/port/mps2-an386/firmware.c runs every input, checks each output against the
host's byte for byte (non-zero exit otherwise) and counts each invoke with SysTick; a known loop of 2,000,000
instructions gives instructions per tick (40 at the board's 25 MHz). Prints a markdown table: the most
instructions over the inputs, for both builds, the instructions per op type (the firmware's profiled invoke,
tl_interpreter_invoke_profiled with SysTick as the clock) and the text of dsp_int8.c's object (before the
link drops what a model does not call).

Models: ``ds_cnn`` is tests/fixtures/tflite/kws_ds_cnn_int8.tflite (MLPerf Tiny's DS-CNN shape, 49x10x1 input,
made by TensorFlow's converter, imported); ``kws`` tests/fixtures/kws/kws_int8.tlm (examples/speech, 49x40x1);
``mnist_mlp`` and ``mnist_cnn`` the shared test models of tests/export_models.py, converted to int8 with int8
I/O as tests/build/test_cortex_m.py does (trained on the spot: a few seconds).
Needs arm-none-eabi-gcc with newlib (nano, rdimon), qemu-system-arm and cmake.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
for _p in (REPO, REPO / "tests"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from trainer import cli  # noqa: E402

PORT = REPO / "runtime_c" / "port" / "mps2-an386"
QEMU = [
    "qemu-system-arm", "-M", "mps2-an386", "-cpu", "cortex-m4", "-nographic", "-monitor", "none",
    "-serial", "none", "-semihosting-config", "enable=on,target=native", "-icount", "shift=0", "-kernel",
]  # fmt: skip
MODELS = ("ds_cnn", "kws", "mnist_mlp", "mnist_cnn")
LOOP_INSTRUCTIONS = 2_000_000


def c_flags(*names: str) -> list[str]:
    """Flags from runtime_c/cmake/flags.txt (the one list of the runtime's compiler flags)."""
    spec = importlib.util.spec_from_file_location("tl_c_flags", REPO / "runtime_c" / "cmake" / "c_flags.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return list(mod.flags(*names))


def _run(cmd: Sequence[str], what: str, timeout: float = 900) -> str:
    r = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"{what} failed ({r.returncode}):\n{(r.stdout + r.stderr)[-6000:]}")
    return r.stdout + r.stderr


def model_and_inputs(name: str, samples: int) -> tuple[bytes, np.ndarray]:
    """The int8 model ``name`` (MODELS) and ``samples`` int8 inputs, flattened [samples, elements]."""
    if name in ("ds_cnn", "kws"):
        if name == "ds_cnn":
            from trainer.lite.tflite import from_tflite

            model = from_tflite(
                (REPO / "tests" / "fixtures" / "tflite" / "kws_ds_cnn_int8.tflite").read_bytes()
            )
        else:
            model = (REPO / "tests" / "fixtures" / "kws" / "kws_int8.tlm").read_bytes()
        from trainer.tlm import read_model

        info = read_model(model)
        n = int(np.prod(info.tensors[info.inputs[0]].shape))
        xs = np.random.default_rng(3).integers(-128, 128, size=(samples, n), dtype=np.int8)
        return model, xs
    if name in ("mnist_mlp", "mnist_cnn"):
        import export_models as em

        import trainer as tf
        import trainer.quantize as q
        from trainer.lite import Converter, Optimize
        from trainer.tlm import read_model

        m = em.trained(name.split("_")[1])
        xtr, _, xte, _ = em.mnist()
        conv = Converter.from_session(m.sess, [m.x], [m.logits])
        conv.batch_size = 1
        conv.optimizations = [Optimize.DEFAULT]
        conv.representative_dataset = lambda: ([m.images(xtr[i : i + 1])] for i in range(64))
        conv.inference_input_type = conv.inference_output_type = tf.int8
        model = conv.convert()
        qin = read_model(model).tensors[read_model(model).inputs[0]].quantization
        xs = q.quantize(xte[:samples].reshape(samples, 784), float(qin.scale[0]), int(qin.zero_point[0]))
        return model, xs
    raise SystemExit(f"unknown model {name!r}: one of {', '.join(MODELS)}")


def write_sources(out: Path, model: bytes, xs: np.ndarray) -> None:
    """tl_fw_model.c/.h, fw_data.c/.h (inputs and the host runtime's outputs) and ops.h in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.tlm").write_bytes(model)
    np.save(out / "inputs.npy", xs)
    args = ["export-c", str(out / "model.tlm"), "--name", "tl_fw_model", "--out-dir", str(out)]
    if cli.main([*args, "--samples", str(len(xs)), "--inputs", str(out / "inputs.npy")]) != 0:
        raise SystemExit("tensorlet export-c failed")
    if cli.main(["ops", str(out / "model.tlm"), "--header", str(out / "ops.h")]) != 0:
        raise SystemExit("tensorlet ops --header failed")


def build_library(build: Path, ops_header: Path, dsp: bool) -> Path:
    """The Cortex-M4 selective libtensorlet.a (MinSizeRel, freestanding): DSP kernels or reference. The C
    flags repeat the toolchain file's (CMAKE_C_FLAGS replaces its CMAKE_C_FLAGS_INIT)."""
    cflags = [
        *c_flags("cortex_m4"),
        "-ffunction-sections",
        "-fdata-sections",
        *([] if dsp else ["-DTL_NO_INT8_DSP"]),
    ]
    _run(
        [
            "cmake", "-S", str(REPO / "runtime_c"), "-B", str(build), "-DCMAKE_BUILD_TYPE=MinSizeRel",
            f"-DCMAKE_TOOLCHAIN_FILE={REPO / 'runtime_c' / 'cmake' / 'cortex-m4.cmake'}",
            f"-DTL_OPS_HEADER={ops_header}", f"-DCMAKE_C_FLAGS={' '.join(cflags)}",
        ],
        "cmake configure",
    )  # fmt: skip
    _run(["cmake", "--build", str(build), "-j2", "--target", "tensorlet"], "cmake build")
    return build / "libtensorlet.a"


def link_firmware(out: Path, lib: Path, elf: Path) -> None:
    m4 = c_flags("cortex_m4")
    crt0 = _run(["arm-none-eabi-gcc", *m4, "-print-file-name=rdimon-crt0.o"], "crt0").strip()
    _run(
        [
            "arm-none-eabi-gcc", *m4, "-Os", *c_flags("std", "warnings"), "-ffunction-sections",
            "-fdata-sections", "-DTL_FW_MODEL_MEMORY=65536", f"-I{out}",
            f"-I{REPO / 'runtime_c' / 'include'}", "--specs=nano.specs", "--specs=rdimon.specs",
            "-nostartfiles", "-T", str(PORT / "mps2_an386.ld"), "-Wl,--gc-sections", str(PORT / "startup.c"),
            str(PORT / "firmware.c"), str(out / "tl_fw_model.c"), str(out / "fw_data.c"), str(lib), crt0,
            "-lm", "-o", str(elf),
        ],
        "arm-none-eabi-gcc",
    )  # fmt: skip


@dataclass
class Count:
    """One firmware run: the most and fewest instructions of an invoke over the inputs, and instructions per
    op type in one profiled invoke of the first input."""

    most: int
    least: int
    per_tick: float
    by_type: dict[str, int]


def parse_counts(log: str) -> Count:
    """Instructions from the firmware's SysTick line (runtime_c/port/mps2-an386/firmware.c)."""
    pattern = r"invoke systick ticks min (\d+) max (\d+), known loop of 2000000 instructions: (\d+) ticks"
    m = re.search(pattern, log)
    if m is None:
        raise RuntimeError("no SysTick line in the firmware's output:\n" + log[-2000:])
    least, most, loop = int(m[1]), int(m[2]), int(m[3])
    if most >= 0xFFFFFFFF or loop == 0:
        raise RuntimeError("the SysTick counter wrapped")
    per_tick = LOOP_INSTRUCTIONS / loop
    by_type: dict[str, int] = {}
    for op in re.finditer(r"^tl_fw: op \d+ (\w+) systick ticks (\d+)$", log, re.M):
        by_type[op[1]] = by_type.get(op[1], 0) + round(int(op[2]) * per_tick)
    return Count(round(most * per_tick), round(least * per_tick), per_tick, by_type)


def run_firmware(elf: Path) -> str:
    r = subprocess.run([*QEMU, str(elf)], capture_output=True, text=True, timeout=600)
    log = r.stdout + r.stderr
    if r.returncode != 0 or not re.search(r"mismatches with the host runtime 0\b", log):
        raise RuntimeError(f"{elf.name}: outputs differ from the host runtime or it failed:\n{log[-3000:]}")
    return log


def text_bytes(lib: Path, objects: Sequence[str]) -> int:
    """The text size of the named objects of ``lib`` (arm-none-eabi-size)."""
    out = _run(["arm-none-eabi-size", str(lib)], "arm-none-eabi-size")
    total = 0
    for line in out.splitlines()[1:]:
        f = line.split()
        if len(f) >= 6 and any(o in line for o in objects):
            total += int(f[0])
    return total


def measure(name: str, out: Path, samples: int) -> dict[str, object]:
    model, xs = model_and_inputs(name, samples)
    d = out / name
    write_sources(d, model, xs)
    row: dict[str, object] = {"model": name, "bytes": len(model), "samples": samples}
    for kind, dsp in (("reference", False), ("dsp", True)):
        lib = build_library(out / f"lib-{name}-{kind}", d / "ops.h", dsp)
        elf = d / f"fw-{kind}.elf"
        link_firmware(d, lib, elf)
        row[kind] = parse_counts(run_firmware(elf))
        if dsp:
            row["dsp_text"] = text_bytes(lib, ("dsp_int8.c.obj",))
    return row


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    ap.add_argument("--samples", type=int, default=4, help="inputs per model (default 4)")
    ap.add_argument("--out", type=Path, default=REPO / "build-embedded" / "m4-speed")
    a = ap.parse_args(argv)
    rows = [measure(n, a.out, a.samples) for n in a.models]
    print("| model | reference kernels | DSP kernels | speed-up |")
    print("|---|---|---|---|")
    for r in rows:
        ref, dsp = r["reference"], r["dsp"]
        assert isinstance(ref, Count) and isinstance(dsp, Count)
        speedup = ref.most / dsp.most
        print(f"| {r['model']} | {ref.most / 1e6:.2f}M | {dsp.most / 1e6:.2f}M | {speedup:.1f}x |")
    print("\ninstructions per op type (one invoke; reference / DSP):")
    for r in rows:
        ref, dsp = r["reference"], r["dsp"]
        assert isinstance(ref, Count) and isinstance(dsp, Count)
        parts = [f"{t} {ref.by_type[t] / 1e6:.2f}M / {dsp.by_type.get(t, 0) / 1e6:.2f}M" for t in ref.by_type]
        print(f"  {r['model']}: " + ", ".join(parts))
    sizes = ", ".join(f"{r['model']} {r['dsp_text']}" for r in rows)
    print(f"dsp_int8.c object text (before --gc-sections): {sizes} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
