"""The cache sizes the C runtime detects (runtime_c/src/cpu_caches.c) agree with the operating system's,
and the batch-1 FullyConnected's traversal rule holds for L1-resident, L2-resident and beyond-L2 weights.

runtime_c/tests/test_cpu_caches.c checks the rule as a pure function of (weights bytes, cache sizes) and
prints what it detected; here it runs natively (cpuid on x86) and under qemu-aarch64 (sysfs, which
qemu-user shows from the host), and the sizes must equal the level-1 data and level-2 caches of
/sys/devices/system/cpu/cpu0/cache.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from cbuild import build, executable, run_env
from conftest import need

TARGET = "test_cpu_caches"
SYSFS = Path("/sys/devices/system/cpu/cpu0/cache")


def _sysfs_caches() -> tuple[int, int]:
    """(L1 data bytes, L2 bytes) from sysfs."""
    found: dict[str, int] = {}
    for index in sorted(SYSFS.glob("index*")):
        level, kind = (index / "level").read_text().strip(), (index / "type").read_text().strip()
        text = (index / "size").read_text().strip()
        size = int(text.rstrip("KM")) * {"K": 1024, "M": 1 << 20}.get(text[-1], 1)
        if level == "1" and kind == "Data":
            found["l1d"] = size
        if level == "2" and kind != "Instruction":
            found["l2"] = size
    return found["l1d"], found["l2"]


def _detected(variant: str) -> tuple[int, int, int]:
    build(variant, targets=(TARGET,))
    command = executable(variant, TARGET)
    result = subprocess.run(command, env=run_env(variant), capture_output=True, text=True, timeout=300)
    out = result.stdout
    assert result.returncode == 0 and re.search(r"\b[1-9]\d* passed, 0 failed", out), out[-4000:]
    m = re.search(r"caches: l1d=(\d+) l2=(\d+) source=(\d)", out)
    assert m, out
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def test_native_matches_the_os() -> None:
    l1d, l2, source = _detected("native")
    need(SYSFS.is_dir(), "no /sys/devices/system/cpu/cpu0/cache to compare with")
    assert (l1d, l2) == _sysfs_caches()
    assert source in (1, 2)  # cpuid (x86) or sysfs, not the default


def test_aarch64_reads_sysfs_under_qemu() -> None:
    need(SYSFS.is_dir(), "no /sys/devices/system/cpu/cpu0/cache to compare with")
    l1d, l2, source = _detected("aarch64")
    assert (l1d, l2, source) == (*_sysfs_caches(), 2)
