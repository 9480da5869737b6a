"""The extension build compiles the runtime's C sources concurrently (pyruntime/_build.py:
``parallel_build_ext``, used by setup.py and the runtime-only distribution's setup.py)."""

from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _build_module():
    spec = importlib.util.spec_from_file_location("_tl_build_test", ROOT / "pyruntime" / "_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _FakeCompiler:
    """Records how many compiles overlap; each 'compiles' one source in 50 ms."""

    def __init__(self) -> None:
        self.lock, self.running, self.most, self.calls = threading.Lock(), 0, 0, []

    def compile(self, sources, output_dir=None, **kwargs):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.calls.append((list(sources), output_dir, kwargs))
        time.sleep(0.05)
        with self.lock:
            self.running -= 1
        return [s.replace(".c", ".o") for s in sources]


@pytest.mark.parametrize("jobs, most", [("1", 1), ("3", 3)])
def test_sources_compile_concurrently_in_order(monkeypatch, jobs: str, most: int) -> None:
    from setuptools.command.build_ext import build_ext

    build = _build_module()
    objects = {}

    def fake_build_extensions(self) -> None:  # what setuptools does: one compile call with every source
        objects["out"] = self.compiler.compile([f"s{i}.c" for i in range(7)], output_dir="tmp", debug=0)

    monkeypatch.setattr(build_ext, "build_extensions", fake_build_extensions)
    monkeypatch.setenv("TENSORLET_BUILD_JOBS", jobs)
    cls = build.parallel_build_ext()
    cmd = cls.__new__(cls)
    cmd.compiler = _FakeCompiler()
    cmd.build_extensions()
    assert objects["out"] == [f"s{i}.o" for i in range(7)]  # object order = source order
    assert cmd.compiler.most == most
    assert all(kw == {"debug": 0} and out == "tmp" for _, out, kw in cmd.compiler.calls)


@pytest.mark.parametrize("setting", ["0", "-2", "two"])
def test_bad_job_count_is_one_line(monkeypatch, setting: str) -> None:
    monkeypatch.setenv("TENSORLET_BUILD_JOBS", setting)
    with pytest.raises(SystemExit, match="TENSORLET_BUILD_JOBS=.*expected a positive number"):
        _build_module().build_jobs()


def test_default_is_the_usable_cores(monkeypatch) -> None:
    monkeypatch.delenv("TENSORLET_BUILD_JOBS", raising=False)
    assert _build_module().build_jobs() >= 1
