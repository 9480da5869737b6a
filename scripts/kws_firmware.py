"""The Cortex-M4 keyword firmware (runtime_c/port/mps2-an386/kws_firmware.c): build it for QEMU's mps2-an386
and for the host, run both on bundled (synthesized) test clips, check them against the host runtime, report.

    python scripts/kws_firmware.py --model tests/fixtures/kws/kws_int8.tlm --clips 24
    python scripts/kws_firmware.py --model out/kws/kws_int8.tlm --clips 24 --out build-embedded/kws-default

Steps: the clips' int8 features come from the front-end's numpy twin (``fixed_frontend.compute_int8``,
bit-exact with ``tl_frontend_compute_int8``) with the model's input quantization, and the expected outputs
from pyruntime (the C runtime on the host). ``tensorlet export-c`` and ``tensorlet ops --header`` write the
model array and the selective-build header; kws_data.c/.h hold the 16 kHz int16 PCM, labels, class names, the
front-end's int8 parameters and the expected outputs. The library is built twice (Cortex-M4 -Os freestanding,
selective; host -O2), the firmware linked for both, and QEMU runs it with ``-icount shift=0`` (one
instruction per virtual nanosecond, so SysTick's count is proportional to instructions; the firmware measures
the ratio on a known loop). Prints flash, RAM, instructions per clip (front-end, model) and the host's time
per second of audio, and exits non-zero when any output differs from the host runtime's.

Needs arm-none-eabi-gcc with newlib (nano, rdimon), qemu-system-arm, cmake and a host gcc.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from trainer import cli  # noqa: E402
from trainer.audio import fixed_frontend as ff  # noqa: E402
from trainer.datasets import speech_commands as sc  # noqa: E402
from trainer.tlm import read_model  # noqa: E402

PORT = REPO / "runtime_c" / "port" / "mps2-an386"
KEYWORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")  # examples/speech/kws.py
FEATURE_OFFSET, FEATURE_SCALE = 4096, 1.0 / 4096  # examples/speech/kws.py: model input (q - 4096) / 4096
QEMU = [
    "qemu-system-arm", "-M", "mps2-an386", "-cpu", "cortex-m4", "-nographic", "-monitor", "none",
    "-serial", "none", "-semihosting-config", "enable=on,target=native", "-icount", "shift=0", "-kernel",
]  # fmt: skip
TEST_DATA = (
    "tl_kws_pcm",
    "tl_kws_expected",
    "tl_kws_labels",
)  # in the firmware's flash, not part of a product


def c_flags(*names: str) -> list[str]:
    """Flags from runtime_c/cmake/flags.txt (the one list of the runtime's compiler flags)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("tl_c_flags", REPO / "runtime_c" / "cmake" / "c_flags.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return list(mod.flags(*names))


def test_clips(classes: list[str], per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``per_class`` clips of every class from the bundled set's speaker-held-out test split (silence and
    unknown included), int16 [n, 16000] and labels, in class order."""
    words = [c for c in classes if not c.startswith("_")]
    data = sc.load(wanted_words=words, seed=seed)
    if data.classes != classes:
        raise SystemExit(f"the model's {len(classes)} outputs are not the classes {data.classes}")
    idx = np.concatenate([np.flatnonzero(data.test.labels == c)[:per_class] for c in range(len(classes))])
    return data.test.audio[idx], data.test.labels[idx]


def host_outputs(model: bytes, clips: np.ndarray) -> tuple[ff.Int8Params, np.ndarray]:
    """The front-end's int8 parameters for ``model`` and its outputs on pyruntime for every clip."""
    import pyruntime

    info = read_model(model)
    q = info.tensors[info.inputs[0]].quantization
    params = ff.int8_params(float(q.scale[0]), int(q.zero_point[0]), FEATURE_OFFSET, FEATURE_SCALE)
    feats = ff.compute_int8(clips, params)[..., None]
    interp = pyruntime.Interpreter(model_content=model)
    return params, np.stack([interp.run(feats[i : i + 1])[0].reshape(-1) for i in range(len(feats))])


def write_sources(
    out: Path,
    model: bytes,
    clips: np.ndarray,
    labels: np.ndarray,
    classes: list[str],
    params: ff.Int8Params,
    expected: np.ndarray,
) -> None:
    """tl_fw_model.c/.h, ops.h, kws_clips.c (the PCM) and kws_data.c/.h (the rest) in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.tlm").write_bytes(model)
    if cli.main(["export-c", str(out / "model.tlm"), "--name", "tl_fw_model", "--out-dir", str(out)]) != 0:
        raise SystemExit("tensorlet export-c failed")
    if cli.main(["ops", str(out / "model.tlm"), "--header", str(out / "ops.h")]) != 0:
        raise SystemExit("tensorlet ops --header failed")
    n, samples = clips.shape
    frames = ff.FrontendConfig().num_frames(samples)
    (out / "kws_data.h").write_text(
        '#include <stdint.h>\n#include "tl_frontend.h"\n'
        f"#define TL_KWS_CLIPS {n}\n#define TL_KWS_SAMPLES {samples}\n#define TL_KWS_FRAMES {frames}\n"
        f"#define TL_KWS_MEL_BINS 40\n#define TL_KWS_CLASSES {len(classes)}\n"
        "extern const int16_t tl_kws_pcm[TL_KWS_CLIPS][TL_KWS_SAMPLES];\n"
        "extern const uint8_t tl_kws_labels[TL_KWS_CLIPS];\n"
        "extern const char *const tl_kws_words[TL_KWS_CLASSES];\n"
        "extern const tl_frontend_int8_params tl_kws_int8_params;\n"
        "extern const int8_t tl_kws_expected[TL_KWS_CLIPS][TL_KWS_CLASSES];\n"
    )

    def rows(a: np.ndarray) -> str:
        return ",\n".join("{" + ",".join(str(int(v)) for v in r) + "}" for r in a)

    p = params
    (out / "kws_clips.c").write_text(
        '#include "kws_data.h"\n'
        "/* bundled SYNTHESIZED test clips, 16 kHz int16 PCM */\n"
        f"const int16_t tl_kws_pcm[TL_KWS_CLIPS][TL_KWS_SAMPLES] = {{\n{rows(clips)}}};\n"
    )
    (out / "kws_data.c").write_text(
        '#include "kws_data.h"\n'
        f"const uint8_t tl_kws_labels[TL_KWS_CLIPS] = {{{','.join(str(int(v)) for v in labels)}}};\n"
        "const char *const tl_kws_words[TL_KWS_CLASSES] = {" + ", ".join(f'"{c}"' for c in classes) + "};\n"
        f"const tl_frontend_int8_params tl_kws_int8_params = {{{p.feature_offset}, {p.multiplier}, "
        f"{p.shift}, {p.zero_point}}};\n"
        f"const int8_t tl_kws_expected[TL_KWS_CLIPS][TL_KWS_CLASSES] = {{\n{rows(expected)}}};\n"
    )


def _run(cmd: Sequence[str], what: str, timeout: float = 900) -> str:
    r = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"{what} failed ({r.returncode}):\n{(r.stdout + r.stderr)[-6000:]}")
    return r.stdout


def build_library(build: Path, ops_header: Path | None, cortex_m4: bool) -> Path:
    """libtensorlet.a: Cortex-M4 (MinSizeRel, freestanding, selective with ``ops_header``) or host."""
    configure = [
        "cmake",
        "-S",
        str(REPO / "runtime_c"),
        "-B",
        str(build),
        f"-DTL_OPS_HEADER={ops_header or ''}",
    ]
    if cortex_m4:
        configure += [
            "-DCMAKE_BUILD_TYPE=MinSizeRel",
            f"-DCMAKE_TOOLCHAIN_FILE={REPO / 'runtime_c' / 'cmake' / 'cortex-m4.cmake'}",
        ]
    else:
        configure += ["-DCMAKE_BUILD_TYPE=Release", "-DTL_BUILD_TESTS=OFF", "-DTL_BUILD_TOOLS=OFF"]
    _run(configure, "cmake configure")
    _run(["cmake", "--build", str(build), "-j2", "--target", "tensorlet"], "cmake build")
    return build / "libtensorlet.a"


def link_m4(out: Path, lib: Path, elf: Path, defines: Sequence[str] = ()) -> None:
    m4 = c_flags("cortex_m4")
    crt0 = _run(["arm-none-eabi-gcc", *m4, "-print-file-name=rdimon-crt0.o"], "crt0").strip()
    cmd = [
        "arm-none-eabi-gcc", *m4, "-Os", *c_flags("std", "warnings"), "-ffunction-sections",
        "-fdata-sections", *defines, f"-I{out}", f"-I{REPO / 'runtime_c' / 'include'}", "--specs=nano.specs",
        "--specs=rdimon.specs", "-nostartfiles", "-T", str(PORT / "mps2_an386.ld"), "-Wl,--gc-sections",
        str(PORT / "startup.c"), str(PORT / "kws_firmware.c"), str(out / "tl_fw_model.c"),
        str(out / "kws_data.c"), str(out / "kws_clips.c"), str(lib), crt0, "-lm", "-o", str(elf),
    ]  # fmt: skip
    _run(cmd, "arm-none-eabi-gcc")


def host_command(out: Path, *args: str) -> list[str]:
    return [
        "gcc",
        "-O2",
        *c_flags("std", "warnings"),
        f"-I{out}",
        f"-I{REPO / 'runtime_c' / 'include'}",
        *args,
    ]


def link_host(out: Path, lib: Path, exe: Path, clips_object: Path | None = None) -> None:
    """The host program from ``out``'s sources; the clips from ``clips_object`` (compiled once) if given."""
    if clips_object is None:
        clips_object = out / "kws_clips.o"
        _run(host_command(out, "-c", str(out / "kws_clips.c"), "-o", str(clips_object)), "gcc (clips)")
    cmd = host_command(
        out, "-D_POSIX_C_SOURCE=199309L", "-DTL_KWS_HOST_TIMING", str(PORT / "kws_firmware.c"),
        str(out / "tl_fw_model.c"), str(out / "kws_data.c"), str(clips_object), str(lib), "-lm",
        "-o", str(exe),
    )  # fmt: skip
    _run(cmd, "gcc (host)")


@dataclass
class FirmwareRun:
    """What one run printed: per-clip outputs and counts, the memory line, totals."""

    returncode: int
    log: str
    outputs: dict[int, bytes]
    words: dict[int, str]
    frontend: dict[int, int]
    model: dict[int, int]
    memory: dict[str, int]
    loop: int
    accuracy: tuple[int, int, int]


def parse(returncode: int, log: str) -> FirmwareRun:
    clip = re.compile(r"^clip (\d+) (\S+) \(label \S+\) front-end (\d+) model (\d+) out ([0-9a-f]+)$", re.M)
    outputs, words, fe, model = {}, {}, {}, {}
    for m in clip.finditer(log):
        i = int(m[1])
        outputs[i], words[i], fe[i], model[i] = bytes.fromhex(m[5]), m[2], int(m[3]), int(m[4])
    memory: dict[str, int] = {}
    mem = re.search(
        r"model (\d+) bytes, front-end state (\d+) bytes, model tables (\d+) bytes, interpreter state (\d+) "
        r"bytes, arena (\d+) bytes",
        log,
    )
    if mem:
        memory = dict(zip(("model", "frontend_state", "model_tables", "interpreter_state", "arena"),
                          map(int, mem.groups()), strict=True))  # fmt: skip
    loop = re.search(r"known loop of 2000000 instructions: (\d+)", log)
    acc = re.search(r"accuracy (\d+)/(\d+), mismatches with the host runtime (\d+)", log)
    return FirmwareRun(
        returncode,
        log,
        outputs,
        words,
        fe,
        model,
        memory,
        int(loop[1]) if loop else 0,
        tuple(int(v) for v in acc.groups()) if acc else (0, 0, -1),  # type: ignore[arg-type]
    )


def run_qemu(elf: Path, timeout: float = 600) -> FirmwareRun:
    r = subprocess.run([*QEMU, str(elf)], capture_output=True, text=True, timeout=timeout)
    return parse(r.returncode, r.stdout + r.stderr)


def run_host(exe: Path, timeout: float = 120) -> FirmwareRun:
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=timeout)
    return parse(r.returncode, r.stdout + r.stderr)


def flash_bytes(elf: Path) -> tuple[int, int]:
    """(flash of the program without the test data, the test data): .text/.rodata/.ARM.exidx/.data sections of
    the ELF, less the clips, labels and expected outputs (nm sizes)."""
    sections = _run(["arm-none-eabi-size", "-A", str(elf)], "size")
    total = sum(
        int(m[2]) for m in re.finditer(r"^(\.text|\.ARM\.\w+|\.data|\.\w*_array)\s+(\d+)", sections, re.M)
    )
    nm = _run(["arm-none-eabi-nm", "-S", str(elf)], "nm")
    data = sum(
        int(f[1], 16) for f in (line.split() for line in nm.splitlines()) if len(f) == 4 and f[3] in TEST_DATA
    )
    return total - data, data


def build_all(
    model: bytes,
    clips: np.ndarray,
    labels: np.ndarray,
    classes: list[str],
    out: Path,
    m4_lib: Path | None = None,
    host_lib: Path | None = None,
) -> tuple[Path, Path, np.ndarray]:
    """Sources, both libraries (unless given: the model's selective Cortex-M4 build and a host build in
    ``out``) and both programs; returns (elf, host executable, expected outputs)."""
    params, expected = host_outputs(model, clips)
    write_sources(out, model, clips, labels, classes, params, expected)
    m4_lib = m4_lib or build_library(out / "lib-m4", out / "ops.h", cortex_m4=True)
    host_lib = host_lib or build_library(out / "lib-host", None, cortex_m4=False)
    elf, exe = out / "kws_fw.elf", out / "kws_host"
    link_m4(out, m4_lib, elf)
    link_host(out, host_lib, exe)
    return elf, exe, expected


def report(fw: FirmwareRun, host: FirmwareRun, elf: Path, samples: int) -> str:
    per_insn = 2_000_000 / fw.loop
    n = len(fw.frontend)
    fe_insn = per_insn * sum(fw.frontend.values()) / n
    model_insn = per_insn * sum(fw.model.values()) / n
    seconds = samples / 16000
    flash, data = flash_bytes(elf)
    m = fw.memory
    ram = m["frontend_state"] + m["model_tables"] + m["interpreter_state"] + m["arena"] + 49 * 40
    host_fe = sorted(host.frontend.values())[n // 2] / 1e6 / seconds
    host_model = sorted(host.model.values())[n // 2] / 1e6 / seconds
    return "\n".join(
        [
            f"clips: {n} (bundled SYNTHESIZED test split), accuracy {fw.accuracy[0]}/{fw.accuracy[1]}, "
            f"mismatches with the host runtime: firmware {fw.accuracy[2]}, host program {host.accuracy[2]}",
            f"SysTick: 2,000,000 instructions = {fw.loop} ticks ({per_insn:g} instructions a tick)",
            f"Cortex-M4 instructions per second of audio: front-end {fe_insn / seconds:,.0f}, "
            f"model {model_insn / seconds:,.0f}",
            f"flash: {flash:,} bytes (program, library, model {m['model']:,} bytes, newlib printf; "
            f"without {data:,} bytes of test clips and expected outputs)",
            f"RAM: {ram:,} bytes = front-end state {m['frontend_state']:,} + model tables "
            f"{m['model_tables']:,} + interpreter state {m['interpreter_state']:,} + arena {m['arena']:,} + "
            f"int8 features {49 * 40:,} (stack and newlib's buffers not counted)",
            f"x86_64 (host program, gcc -O2, median clip): front-end {host_fe:.3f} ms, model "
            f"{host_model:.3f} ms per second of audio",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="an int8 .tlm made by examples/speech/kws.py")
    p.add_argument("--clips", type=int, default=24, help="test clips, spread over the classes (default 24)")
    p.add_argument("--out", default="build-embedded/kws-firmware", help="build folder")
    args = p.parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    model = Path(args.model).read_bytes()
    info = read_model(model)
    n_out = int(np.prod(info.tensors[info.outputs[0]].shape))
    classes = ["_silence_", "_unknown_", *KEYWORDS][:n_out]
    clips, labels = test_clips(classes, -(-args.clips // n_out))
    clips, labels = clips[: args.clips], labels[: args.clips]
    elf, exe, expected = build_all(model, clips, labels, classes, Path(args.out))
    fw, host = run_qemu(elf), run_host(exe)
    bad = [i for i in range(len(clips)) if fw.outputs.get(i) != expected[i].tobytes()]
    bad += [i for i in range(len(clips)) if host.outputs.get(i) != expected[i].tobytes()]
    print(report(fw, host, elf, clips.shape[1]))
    if fw.returncode or host.returncode or bad:
        print(f"FAILED: firmware exit {fw.returncode}, host exit {host.returncode}, differing clips {bad}")
        print(fw.log[-3000:])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
