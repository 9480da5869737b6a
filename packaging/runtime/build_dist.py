"""Build ``tensorlet-runtime``: pyruntime alone, as ``tflite-runtime`` is to ``tensorflow``.

    .venv/bin/python packaging/runtime/build_dist.py [--out DIR] [--wheel]

stages a source tree (``pyruntime/``, the C runtime's ``runtime_c/src`` and ``runtime_c/include``, the
flag list ``runtime_c/cmake/flags.txt`` with its reader, and the files next to this script) and writes its
sdist ``tensorlet_runtime-VERSION.tar.gz`` to DIR (default ``build-dist/``); with ``--wheel`` also a wheel
for this machine (compiles the C runtime). The distribution depends on numpy and cffi only: no trainer, no
MNIST data, no ``tensorlet`` command, no flatbuffers. ``pip install tensorlet_runtime-*.tar.gz`` compiles
the runtime on the target (a Raspberry Pi needs python3-dev and gcc). ``.tflite`` files need the full
``tensorlet`` package (its importer is part of the trainer); ``.tlm`` models run as with the full package.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NAME = "tensorlet-runtime"


def version() -> str:
    """The version of the main distribution (pyproject.toml), so both are released together."""
    m = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    if m is None:
        raise SystemExit("error: no version in pyproject.toml")
    return m.group(1)


def stage(dest: Path) -> Path:
    """Copy what the runtime distribution holds into ``dest/tensorlet_runtime-VERSION``; returns it."""
    tree = dest / f"tensorlet_runtime-{version()}"
    ignore = shutil.ignore_patterns("*.so", "*.pyd", "__pycache__", "*.tmp", ".*")
    shutil.copytree(ROOT / "pyruntime", tree / "pyruntime", ignore=ignore)
    for sub in ("src", "include"):
        shutil.copytree(ROOT / "runtime_c" / sub, tree / "runtime_c" / sub, ignore=ignore)
    (tree / "runtime_c" / "cmake").mkdir(parents=True)
    for name in ("flags.txt", "c_flags.py"):
        shutil.copy2(ROOT / "runtime_c" / "cmake" / name, tree / "runtime_c" / "cmake" / name)
    text = (HERE / "pyproject.toml.in").read_text().replace("@VERSION@", version())
    (tree / "pyproject.toml").write_text(text)
    for name in ("setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(HERE / name, tree / name)
    return tree


def build_sdist(tree: Path, out: Path) -> Path:
    """The sdist of a staged tree (setuptools' PEP 517 backend, in this interpreter)."""
    out.mkdir(parents=True, exist_ok=True)
    code = "import sys; from setuptools import build_meta as b; print(b.build_sdist(sys.argv[1]))"
    result = subprocess.run(
        [sys.executable, "-c", code, str(out)], cwd=tree, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"error: sdist build failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    name = result.stdout.strip().splitlines()[-1]
    return out / name


def build_wheel(sdist: Path, out: Path) -> Path:
    """A wheel for this machine, built from the sdist (as pip on a device would)."""
    before = set(out.glob("*.whl"))
    cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(sdist)]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"error: wheel build failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return sorted(set(out.glob("*.whl")) - before or out.glob("*.whl"))[-1]


def sdist_names(sdist: Path) -> list[str]:
    with tarfile.open(sdist) as tar:
        return tar.getnames()


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Build the tensorlet-runtime sdist (and optionally a wheel).")
    p.add_argument("--out", default=str(ROOT / "build-dist"), help="output folder (default build-dist/)")
    p.add_argument("--wheel", action="store_true", help="also build a wheel for this machine")
    args = p.parse_args(argv)
    out = Path(args.out).resolve()
    with tempfile.TemporaryDirectory(prefix="tensorlet-runtime-") as tmp:
        sdist = build_sdist(stage(Path(tmp)), out)
    print(f"wrote {sdist} ({sdist.stat().st_size:,} bytes)")
    if args.wheel:
        wheel = build_wheel(sdist, out)
        print(f"wrote {wheel} ({wheel.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
