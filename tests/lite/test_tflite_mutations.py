"""Mutated ``.tflite`` fixtures through the importer and, when it accepts one, the C runtime: only one-line
TFLiteImportErrors, never another exception, a hang or a crash (scripts/fuzz_tflite_import.py runs the long
campaign, 10,000 mutants)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from fuzz_tflite_import import campaign  # noqa: E402

pytest.importorskip("pyruntime")


@pytest.mark.parametrize("name", ["ops_int8", "multi_io", "ops_f16"])
def test_300_mutants_give_clear_errors_or_valid_models(name):
    counts, findings = campaign([name], 300, seed=1234, timeout=10.0)
    assert not findings, findings[:5]
    assert counts["bug"] == counts["hang"] == counts["runtime_refused"] == 0
    assert counts["refused"] > 150 and counts["imported"] > 0  # the mutants reach both outcomes
