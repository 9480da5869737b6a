"""The AVX2 level's 3x3 DepthwiseConv2D and few-input-channel Conv2D against a scalar fmaf oracle, bitwise.

runtime_c/tests/test_opt_fma_order.c checks that every output of the depthwise row kernel and its narrow-image
kernel (images at most 6 wide: DS-CNN's [25, 5, 64]) is the bias plus the taps inside the input by fused
multiply-adds in tap order, and that every output of the convolutions with 1..4 input channels (the indirect
path, its zero-padded copy of thin images, the row walk) is the bias plus one fused multiply-add per weight in
order: so these kernels' outputs do not depend on which path a shape takes. It also runs in every ctest build
(tests/build/test_c_builds.py: gcc, clang, ASan); here it runs natively and its case count is checked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cbuild import build, run_test_program

TARGET = "test_opt_fma_order"


def _has_avx2_fma() -> bool:
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        return False
    flags = re.search(r"^flags\s*:(.*)$", cpuinfo.read_text(), flags=re.MULTILINE)
    return bool(flags) and {"avx2", "fma"} <= set(flags.group(1).split())


def test_native_bit_exact_against_fmaf_oracle() -> None:
    if not _has_avx2_fma():
        pytest.skip("the CPU has no AVX2 and FMA: the kernels under test do not run here")
    build("native", targets=(TARGET,))
    output = run_test_program("native", TARGET)
    assert "avx2: 1462 cases" in output, output
    assert "2 passed, 0 failed" in output, output
