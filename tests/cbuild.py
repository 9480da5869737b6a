"""Configure, build and run the C runtime's CMake variants from pytest.

Each variant lives in ``build/<name>`` and is reused between runs: it is reconfigured only when its CMake
arguments change (the build itself is incremental, and the source globs are re-checked by CMake). A file
lock per variant lets several pytest processes share one build directory safely.

>>> d = build("native")              # doctest: +SKIP
>>> run_ctest("native").returncode   # doctest: +SKIP
0
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import need, need_tool

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "runtime_c"
BUILD_ROOT = Path(os.environ.get("TENSORLET_BUILD_DIR", REPO / "build"))  # override for experiments
JOBS = "2"
OUTPUT_TAIL = 12000


def _load_c_flags():
    """runtime_c/cmake/c_flags.py: the reader of runtime_c/cmake/flags.txt, the one list of compiler flags."""
    spec = importlib.util.spec_from_file_location("tensorlet_c_flags", SOURCE / "cmake" / "c_flags.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def c_flags(*names: str) -> list[str]:
    """The runtime's compiler flags ``names`` from runtime_c/cmake/flags.txt (the list CMake and the cffi
    build read), e.g. ``c_flags("std", "warnings")`` for a direct compile of runtime sources."""
    return _C_FLAGS.flags(*names)


_C_FLAGS = _load_c_flags()


@dataclass(frozen=True)
class Variant:
    """One CMake configuration of the runtime."""

    name: str
    compiler: str
    args: tuple[str, ...] = ()
    emulator: tuple[str, ...] = ()  # prefix that runs this variant's binaries (qemu for cross builds)
    tools: tuple[str, ...] = ()  # executables that must exist to build or run it
    env: dict[str, str] = field(default_factory=dict)


_SANITIZER_ENV = {
    "ASAN_OPTIONS": "halt_on_error=1:detect_leaks=1:abort_on_error=0:strict_string_checks=1",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
}

VARIANTS: dict[str, Variant] = {
    "native": Variant("native", "gcc", ("-DCMAKE_BUILD_TYPE=Release",), tools=("gcc",)),
    "clang": Variant("clang", "clang", ("-DCMAKE_BUILD_TYPE=Release",), tools=("clang",)),
    # the microcontroller configuration: no stdio in the library (no tl_model_load_file), so no tools
    "nostdio": Variant(
        "nostdio",
        "gcc",
        ("-DCMAKE_BUILD_TYPE=Release", "-DTL_NO_STDIO=ON", "-DTL_BUILD_TOOLS=OFF"),
        tools=("gcc",),
    ),
    "asan": Variant(
        "asan",
        "gcc",
        ("-DCMAKE_BUILD_TYPE=Debug", "-DCMAKE_C_FLAGS_DEBUG=-O1 -g", "-DTL_SANITIZE=ON"),
        tools=("gcc",),
        env=_SANITIZER_ENV,
    ),
    "aarch64": Variant(
        "aarch64",
        "aarch64-linux-gnu-gcc",
        ("-DCMAKE_BUILD_TYPE=Release", f"-DCMAKE_TOOLCHAIN_FILE={SOURCE / 'cmake/aarch64-linux-gnu.cmake'}"),
        emulator=("qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"),
        tools=("aarch64-linux-gnu-gcc", "qemu-aarch64"),
    ),
    "armhf": Variant(
        "armhf",
        "arm-linux-gnueabihf-gcc",
        (
            "-DCMAKE_BUILD_TYPE=Release",
            f"-DCMAKE_TOOLCHAIN_FILE={SOURCE / 'cmake/arm-linux-gnueabihf.cmake'}",
        ),
        emulator=("qemu-arm", "-L", "/usr/arm-linux-gnueabihf"),
        tools=("arm-linux-gnueabihf-gcc", "qemu-arm"),
    ),
    "fuzz": Variant(
        "fuzz",
        "clang",
        (
            "-DCMAKE_BUILD_TYPE=Debug",
            "-DCMAKE_C_FLAGS_DEBUG=-O1 -g",
            "-DTL_SANITIZE=ON",
            "-DTL_BUILD_FUZZ=ON",
            "-DTL_BUILD_TESTS=OFF",
            "-DTL_BUILD_TOOLS=OFF",
        ),
        tools=("clang",),
        env=_SANITIZER_ENV,
    ),
}


def _tail(text: str) -> str:
    return text if len(text) <= OUTPUT_TAIL else "...\n" + text[-OUTPUT_TAIL:]


def _run(cmd: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 900):
    return subprocess.run(
        list(cmd),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        timeout=timeout,
    )


def require(name: str) -> Variant:
    """The variant ``name``, after checking (skip locally, fail under REQUIRE_ALL) that its tools exist."""
    variant = VARIANTS[name]
    need_tool("cmake")
    for tool in variant.tools:
        need_tool(tool)
    if variant.emulator:
        need(Path(variant.emulator[-1]).is_dir(), f"cross sysroot {variant.emulator[-1]} is missing")
    return variant


def build_dir(name: str) -> Path:
    return BUILD_ROOT / name


def _generator() -> str:
    return "Ninja" if shutil.which("ninja") else "Unix Makefiles"


def ccache_args() -> list[str]:
    """CMake arguments that compile through ccache when it is installed (.ci/run installs it), else none.

    Its cache lives in the build root (``build/.ccache``: a fresh clone starts empty), so it only reuses
    objects between identical configurations of one checkout: the CMake variants here and the builds of
    examples/c that embed the runtime with the same compiler and flags (tests/build/test_c_example.py)."""
    return ["-DCMAKE_C_COMPILER_LAUNCHER=ccache"] if shutil.which("ccache") else []


def ccache_env() -> dict[str, str]:
    """The environment for ``cmake --build`` of a configuration made with :func:`ccache_args`: the cache
    folder, and depend mode (the compiler's own -MD dependency file, no separate preprocessor run)."""
    env = dict(os.environ)
    env.update(CCACHE_DIR=str(BUILD_ROOT / ".ccache"), CCACHE_DEPEND="1")
    return env


@contextmanager
def build_lock(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on build folder ``directory`` (a file ``.<name>.lock`` beside it) while
    configuring and building into it: pytest-xdist workers (``make test`` runs two) and other pytest
    processes that build into the same folder wait for each other instead of racing."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(directory.parent / f".{directory.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def build(name: str, targets: Sequence[str] = ()) -> Path:
    """Configure (if needed) and build variant ``name``; returns its build directory.

    Fails the calling test with the compiler's output when configuring or building fails.
    """
    variant = require(name)
    directory = build_dir(name)
    generator = _generator()
    configure = [
        "cmake",
        "-S",
        str(SOURCE),
        "-B",
        str(directory),
        "-G",
        generator,
        f"-DCMAKE_C_COMPILER={variant.compiler}",
        *variant.args,
        *ccache_args(),
    ]
    stamp_text = "\n".join(configure)
    stamp = directory / ".tl_configure_stamp"
    with build_lock(directory):
        fresh = (
            (directory / "CMakeCache.txt").is_file() and stamp.is_file() and stamp.read_text() == stamp_text
        )
        if not fresh:
            if directory.exists():
                shutil.rmtree(directory)
            directory.mkdir(parents=True)
            result = _run(configure)
            if result.returncode != 0:
                pytest.fail(
                    f"cmake configure of {name} failed:\n$ {' '.join(configure)}\n{_tail(result.stdout)}"
                )
            stamp.write_text(stamp_text)
        cmd = ["cmake", "--build", str(directory), "-j", JOBS]
        for target in targets:
            cmd += ["--target", target]
        result = _run(cmd, env=ccache_env())
        if result.returncode != 0:
            pytest.fail(f"build of {name} failed:\n$ {' '.join(cmd)}\n{_tail(result.stdout)}")
    return directory


def run_env(name: str) -> dict[str, str]:
    """Environment for running variant ``name``'s binaries (sanitizer options)."""
    env = dict(os.environ)
    env.update(VARIANTS[name].env)
    return env


def run_ctest(name: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run ctest in an already built variant; fails the test (printing ctest's output) unless all pass."""
    directory = build_dir(name)
    cmd = ["ctest", "--test-dir", str(directory), "--output-on-failure", "--no-tests=error", "-j", JOBS]
    result = _run(cmd, env=run_env(name), timeout=timeout)
    if result.returncode != 0:
        pytest.fail(f"ctest of {name} failed:\n$ {' '.join(cmd)}\n{_tail(result.stdout)}")
    return result


def ctest_commands(name: str) -> list[tuple[str, list[str]]]:
    """(test name, command line) of every ctest test of a built variant, emulator prefix included."""
    cmd = ["ctest", "--test-dir", str(build_dir(name)), "--show-only=json-v1"]
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return [(t["name"], list(t["command"])) for t in json.loads(result.stdout)["tests"]]


def executable(name: str, target: str) -> list[str]:
    """Command prefix that runs built target ``target`` of variant ``name`` (through qemu when cross)."""
    path = build_dir(name) / target
    assert path.is_file(), f"{path} was not built"
    return [*VARIANTS[name].emulator, str(path)]


def run_test_program(variant: str, target: str, emulator_args: Sequence[str] = ()) -> str:
    """Run the built C test program ``target`` of ``variant`` (``emulator_args`` right after the emulator,
    e.g. ``-cpu cortex-a53``); it must exit 0 and report ``N passed, 0 failed`` with N > 0. Returns stdout."""
    command = executable(variant, target)
    if emulator_args:
        command = [command[0], *emulator_args, *command[1:]]
    result = subprocess.run(
        command, env=run_env(variant), capture_output=True, text=True, errors="replace", timeout=600
    )
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout[-8000:]}\n{result.stderr[-4000:]}"
    assert re.search(r"\b[1-9]\d* passed, 0 failed", result.stdout), result.stdout[-4000:]
    return result.stdout


def kernel_levels(
    variant: str, target: str, tag: str, emulator_args: Sequence[str] = ()
) -> tuple[dict[str, int], list[str]]:
    """Build and run the C test ``target`` (one that compares an optimized kernel set with the reference at
    every level the CPU has) for ``variant``; it must pass. Returns the CPU features it printed
    (``features: avx2_fma=1 ...``) and the levels it tested (lines ``<tag> level <name>``). ``emulator_args``
    go right after the emulator (``-cpu cortex-a53``)."""
    build(variant, targets=(target,))
    command = executable(variant, target)
    if emulator_args:
        command = [command[0], *emulator_args, *command[1:]]
    result = subprocess.run(command, env=run_env(variant), capture_output=True, text=True, timeout=600)
    out = result.stdout
    assert result.returncode == 0 and re.search(r"\b[1-9]\d* passed, 0 failed", out), out[-6000:]
    line = re.search(r"features: (.*)", out)
    assert line, out
    features = {k: int(v) for k, v in (item.split("=") for item in line.group(1).split())}
    return features, re.findall(rf"^{re.escape(tag)} level (\w+)$", out, flags=re.MULTILINE)


def run_tool(
    name: str,
    target: str,
    args: Sequence[str],
    timeout: float = 600,
    cwd: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run a built executable of variant ``name`` with ``args``; stdout and stderr are captured apart."""
    env = run_env(name)
    env.update(extra_env or {})
    return subprocess.run(
        [*executable(name, target), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
    )


def compile_program(
    compiler: Sequence[str],
    sources: Sequence[str | Path],
    output: Path,
    libs: Sequence[str] = ("-lm",),
    jobs: int = int(JOBS),
    timeout: float = 600,
) -> subprocess.CompletedProcess:
    """``compiler`` (the compiler and its flags, no files) over ``sources`` into ``output``, like one
    ``compiler sources libs -o output`` call, but each source compiled to its own object, ``jobs`` at a time
    (one gcc call compiles its files one after another, on one core), then linked with the same flags.

    Returns the first failing step's result (captured output, for the caller's assertion), else the link's.
    """
    objects_dir = output.parent / f"{output.name}.objects"
    objects_dir.mkdir(parents=True, exist_ok=True)
    objects = [objects_dir / f"{i:03d}_{Path(src).stem}.o" for i, src in enumerate(sources)]

    def run(cmd: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout)

    pairs = zip(sources, objects, strict=True)
    compiles = [[*compiler, "-c", str(src), "-o", str(obj)] for src, obj in pairs]
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        steps = list(pool.map(run, compiles))
    failed = [step for step in steps if step.returncode != 0]
    if failed:
        return failed[0]
    return run([*compiler, *map(str, objects), *libs, "-o", str(output)])
