"""benchmarks/mlperf_tiny.py: the parts that need none of its benchmark-only packages (ai-edge-litert,
tflite-micro, tensorflow) -- the fixture cases, interleaved timing, the ratio table, a run of tensorlet alone
in a process where those packages cannot be imported."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from runtime_op_cases import ensure_pyruntime

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "mlperf_tiny.py"
BENCH_ONLY = ("tensorflow", "ai_edge_litert", "tflite_micro")
BLOCKER = f"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {BENCH_ONLY!r}:
            raise ImportError("benchmark-only package imported: " + name)
        return None
sys.meta_path.insert(0, Block())
"""


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("mlperf_tiny", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_cases_without_tensorflow_are_the_fixtures(bench) -> None:
    cases = bench.load_cases(None)
    assert [(c.label.split()[0], c.dtype) for c in cases] == [
        ("DS-CNN", "float32"), ("DS-CNN", "int8"), ("ResNet-8", "int8"), ("MobileNetV1-0.25", "int8"),
        ("FC", "int8"),
    ]  # fmt: skip
    assert all(c.tflite[4:8] == b"TFL3" for c in cases)


def test_interleaved_rounds(bench) -> None:
    calls: list[str] = []
    runners = {name: (lambda name=name: calls.append(name)) for name in "ab"}
    medians = bench.interleaved(runners, rounds=2, per_round=3)
    assert calls == list("aaabbbaaabbb")
    assert set(medians) == {"a", "b"} and all(m >= 0 for m in medians.values())


def test_table_ratios(bench) -> None:
    case = bench.Case("DS-CNN KWS 49x10", "int8", b"", {"tensorlet": 50.0, "litert": 100.0, "tflm": 400.0})
    alone = bench.Case("FC autoencoder 640", "float32", b"", {"tensorlet": 3.0})
    rows = bench.markdown([case, alone]).splitlines()
    assert rows[2].split(" | ")[1:] == ["int8", "50.0", "100.0", "400.0", "**0.50**", "**0.12** |"]
    assert rows[3].split(" | ")[1:] == ["float32", "3.0", "-", "-", "-", "- |"]


def test_runs_tensorlet_alone_without_the_benchmark_packages() -> None:
    ensure_pyruntime()
    code = BLOCKER + f"sys.path.insert(0, {str(ROOT)!r})\nimport runpy\n"
    code += "sys.argv = ['mlperf_tiny', '--rounds', '1', '--per-round', '1']\n"
    code += f"runpy.run_path({str(SCRIPT)!r}, run_name='__main__')\n"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    table = [line for line in r.stdout.splitlines() if line.startswith("| ResNet-8")]
    assert len(table) == 1 and table[0].split(" | ")[3:] == ["-", "-", "-", "- |"], r.stdout[-2000:]
