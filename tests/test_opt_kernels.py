"""The optimized float32 kernels (runtime_c/src/kernels/opt/) against the reference kernels, on every level.

runtime_c/tests/test_opt_kernels.c compares each optimized kernel with its reference kernel at every kernel
level the CPU supports (on x86: portable, AVX2, AVX-512 in turn). Here it runs natively, under qemu-aarch64
as a Cortex-A53 (NEON, no dotprod) and as `-cpu max`, and under qemu-arm (ARMv7 with NEON), and the levels
it reports having tested are checked against what the CPU offers.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from cbuild import VARIANTS, build, executable, run_env

TARGET = "test_opt_kernels"


def _run(variant: str, prefix_args: tuple[str, ...] = ()) -> str:
    command = executable(variant, TARGET)
    if prefix_args:  # emulator options go right after the emulator
        command = [command[0], *prefix_args, *command[1:]]
    result = subprocess.run(
        command, env=run_env(variant), capture_output=True, text=True, errors="replace", timeout=600
    )
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout[-8000:]}\n{result.stderr[-4000:]}"
    assert re.search(r"\b[1-9]\d* passed, 0 failed", result.stdout), result.stdout[-4000:]
    return result.stdout


def _features(output: str) -> dict[str, int]:
    line = re.search(r"features: (.*)", output)
    assert line, output
    return {k: int(v) for k, v in (item.split("=") for item in line.group(1).split())}


def _levels(output: str) -> list[str]:
    return re.findall(r"^level (\w+)$", output, flags=re.MULTILINE)


def test_native_every_level() -> None:
    build("native", targets=(TARGET,))
    output = _run("native")
    features = _features(output)
    expected = ["portable"]
    if features["avx2_fma"]:
        expected.append("avx2")
    if features["avx512f"]:
        expected.append("avx512")
    assert _levels(output) == expected, output
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():  # detection agrees with the kernel's view of the CPU
        flags = set(re.findall(r"\S+", cpuinfo.read_text().split("flags", 1)[-1].split("\n", 1)[0]))
        assert features["avx2_fma"] == int("avx2" in flags and "fma" in flags)
        assert features["avx512f"] == int("avx512f" in flags)


@pytest.mark.parametrize("cpu,dotprod", [("cortex-a53", 0), ("max", 1)])
def test_aarch64_qemu(cpu: str, dotprod: int) -> None:
    build("aarch64", targets=(TARGET,))
    output = _run("aarch64", ("-cpu", cpu))
    features = _features(output)
    assert features["neon"] == 1 and features["dotprod"] == dotprod, output
    assert _levels(output) == ["portable", "neon"], output


def test_armhf_qemu() -> None:
    build("armhf", targets=(TARGET,))
    assert VARIANTS["armhf"].emulator[0] == "qemu-arm"
    output = _run("armhf")
    assert _features(output)["neon"] == 1, output
    assert _levels(output) == ["portable", "neon"], output
