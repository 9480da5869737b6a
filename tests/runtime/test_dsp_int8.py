"""The Cortex-M DSP-extension int8 kernels (runtime_c/src/kernels/dsp_int8.c) equal the reference kernels.

runtime_c/tests/test_dsp_int8.c checks the instruction helpers on hand-worked values and compares Conv2D,
DepthwiseConv2D and FullyConnected with the reference kernels on 600 random layers each, byte for byte. Here
it runs natively (the portable C twins of the instructions) and in the armhf cross build under qemu-arm, where
`__ARM_FEATURE_DSP` is defined and the kernels run SMLAD, SXTB16, SXTAB16, SMLABB and SMLATT themselves. The
Cortex-M4 firmware itself is checked in tests/build/test_cortex_m.py (outputs byte-identical with the host,
at most 10M instructions for the DS-CNN).
"""

from __future__ import annotations

import re
import subprocess

from cbuild import build, executable, run_env

TARGET = "test_dsp_int8"


def _run(variant: str) -> str:
    build(variant, targets=(TARGET,))
    result = subprocess.run(
        executable(variant, TARGET), env=run_env(variant), capture_output=True, text=True, timeout=600
    )
    out = result.stdout
    assert result.returncode == 0 and re.search(r"\b4 passed, 0 failed", out), out[-6000:]
    return out


def test_native_portable_twins() -> None:
    assert "dsp_int8: portable twins" in _run("native")


def test_armhf_dsp_instructions_under_qemu() -> None:
    assert "dsp_int8: DSP instructions (inline asm)" in _run("armhf")
