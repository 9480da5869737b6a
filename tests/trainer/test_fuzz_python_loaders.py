"""A bounded run of scripts/fuzz_python_loaders.py (fixed seed and iteration count): no findings.

Every mutated checkpoint, state file, IDX file, .npy input and .tlm model must load or fail with its loader's
one documented error type; the long campaigns run the same script with --seconds.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "fuzz_python_loaders.py"


def test_fuzz_python_loaders_bounded(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--iterations", "2500", "--seed", "12", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    m = re.search(r"executions (\d+) in [\d.]+ s \((\d+)/s\)", result.stdout)
    assert m and int(m.group(1)) == 2500, result.stdout
    assert "findings 0" in result.stdout
    for target in ("checkpoint", "state", "idx", "npy", "tlm"):
        assert f"'{target}': 500" in result.stdout


def test_fuzz_script_help() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for flag in ("--seconds", "--seed", "--iterations", "--targets"):
        assert flag in result.stdout
