"""benchmarks/fc_cache_regimes.py sizes its three dense stacks from the cache sizes: each layer's weights in
L1d, in L2 but not L1d, and beyond L2, for the caches of this project's machine, a large-L2 Xeon and the
runtime's defaults; and it reads the sizes from a sysfs-like directory. No benchmark-only package needed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "fc_cache_regimes.py"


@pytest.fixture(scope="module")
def regimes_module():
    spec = importlib.util.spec_from_file_location("fc_cache_regimes", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("l1d,l2", [(32 << 10, 512 << 10), (48 << 10, 2 << 20), (32 << 10, 256 << 10)])
def test_each_stack_in_its_regime(regimes_module, l1d: int, l2: int) -> None:
    nets = regimes_module.regimes(l1d, l2)
    weights = [net.layers[0].w.nbytes for net in nets]
    assert [net.layers[0].w.shape[0] % 16 for net in nets] == [0, 0, 0]
    assert weights[0] <= l1d
    assert l1d < weights[1] <= l2
    assert weights[2] > 2 * l2
    assert [len(net.layers) for net in nets] == [3, 3, 2]


def test_cache_sizes_from_sysfs(regimes_module, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for i, (level, kind, size) in enumerate(
        [("1", "Data", "48K"), ("1", "Instruction", "32K"), ("2", "Unified", "2M")]
    ):
        (tmp_path / f"index{i}").mkdir()
        for name, text in (("level", level), ("type", kind), ("size", size)):
            (tmp_path / f"index{i}" / name).write_text(text + "\n")
    monkeypatch.setattr(regimes_module, "SYSFS", tmp_path)
    assert regimes_module.caches() == (48 * 1024, 2 * 1024 * 1024)
    monkeypatch.setattr(regimes_module, "SYSFS", tmp_path / "missing")
    assert regimes_module.caches() == (32 * 1024, 256 * 1024)
