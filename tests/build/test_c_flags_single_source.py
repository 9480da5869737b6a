"""The C compiler flags live in one place: runtime_c/cmake/flags.txt (language standard, warning set,
sanitizers, the Cortex-M4 and ARMv7 cpu flags).

CMake reads it through runtime_c/cmake/flags.cmake (runtime_c/CMakeLists.txt, the toolchain files,
examples/c), pyruntime's cffi build and runtime_c/tools/size_report.py through runtime_c/cmake/c_flags.py,
and the tests through ``cbuild.c_flags``. Here: no file of the tests, scripts, pyruntime, the C tools, the
CMake files or the examples types one of those flags again; CMake and the cffi build really use the file;
the sdist ships it (pyruntime's build reads it on the user's machine).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from cbuild import SOURCE, c_flags
from conftest import need_tool

REPO = Path(__file__).resolve().parents[2]
FLAGS_FILE = SOURCE / "cmake" / "flags.txt"
# Where a retyped flag list would be: everything that compiles C or drives a compiler.
SCANNED = ["tests", "scripts", "pyruntime", "runtime_c/tools", "runtime_c/cmake", "runtime_c/CMakeLists.txt",
           "runtime_c/fuzz", "runtime_c/port", "examples", "benchmarks", "Makefile", "setup.py",
           ".ci"]  # fmt: skip
TEXT_SUFFIXES = {".py", ".sh", ".cmake", ".txt", ".c", ".h", ".toml", ".cfg", ".ini", ".mk", ""}
# Files allowed to hold the flags literally, each with its reason.
ALLOWED = {
    "runtime_c/cmake/flags.txt": "the single source itself",
}


def signature_flags() -> list[str]:
    """One flag per named list of flags.txt that is only ever typed as part of that list: the standard,
    the pedantic flag of the warning set, the first flag of the sanitizer, Cortex-M4 and ARMv7 lists."""
    std = c_flags("std")
    pedantic = [f for f in c_flags("warnings") if "pedantic" in f]
    assert len(std) == 1 and std[0].startswith("-std=c"), std
    assert pedantic, c_flags("warnings")
    return [std[0], pedantic[0], c_flags("sanitize")[0], c_flags("cortex_m4")[0], c_flags("armhf")[0]]


def scanned_files() -> list[Path]:
    out: list[Path] = []
    for entry in SCANNED:
        path = REPO / entry
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for p in candidates:
            if "__pycache__" in p.parts or (p.suffix not in TEXT_SUFFIXES and p.name != "CMakeLists.txt"):
                continue
            out.append(p)
    return out


def test_no_retyped_flags() -> None:
    """Fails naming file:line for each literal copy of a flag of flags.txt outside flags.txt."""
    signatures = signature_flags()
    pattern = re.compile("|".join(re.escape(s) + r"(?![\w=+-])" for s in signatures))
    found = []
    files = scanned_files()
    assert len(files) > 50, files  # the scan sees the tests themselves
    for path in files:
        rel = path.relative_to(REPO).as_posix()
        if rel in ALLOWED:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if m := pattern.search(line):
                found.append(f"{rel}:{n}: {m[0]}: {line.strip()[:120]}")
    assert not found, (
        "compiler flags typed outside runtime_c/cmake/flags.txt; read them instead (tests: cbuild.c_flags, "
        "CMake: runtime_c/cmake/flags.cmake, other Python: runtime_c/cmake/c_flags.py), or add the file to "
        "ALLOWED with a reason:\n" + "\n".join(found)
    )


def test_allowed_files_exist() -> None:
    for rel, reason in ALLOWED.items():
        assert (REPO / rel).is_file(), f"{rel} ({reason}) is gone: drop it from ALLOWED"


def test_flags_file_parses() -> None:
    for name in ("std", "warnings", "sanitize", "tsan", "cortex_m4", "armhf"):
        assert c_flags(name), name
    assert set(c_flags("warnings")) >= {"-Wall", "-Wextra", "-Werror"}
    with pytest.raises(KeyError):
        c_flags("no_such_list")


def test_cffi_build_reads_the_file() -> None:
    """pyruntime/_build.py compiles with the standard of flags.txt."""
    import importlib.util  # noqa: PLC0415

    spec = importlib.util.spec_from_file_location("tensorlet_build_check", REPO / "pyruntime" / "_build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    source = (REPO / "pyruntime" / "_build.py").read_text()
    assert 'c_flags.flags("std")' in source
    assert module.c_flags.flags("std") == c_flags("std")
    assert module.c_flags.FLAGS_FILE.resolve() == FLAGS_FILE.resolve()


def test_sdist_ships_the_file() -> None:
    """pip builds pyruntime from the sdist: MANIFEST.in must carry flags.txt and its reader."""
    manifest = (REPO / "MANIFEST.in").read_text().split()
    for rel in ("runtime_c/cmake/flags.txt", "runtime_c/cmake/c_flags.py"):
        assert rel in manifest, f"MANIFEST.in does not include {rel}"


@pytest.mark.parametrize("sanitize", [False, True])
def test_cmake_compiles_with_the_file(tmp_path: Path, sanitize: bool) -> None:
    """A CMake configure of the runtime compiles every source with the standard and warning set of
    flags.txt (and its sanitizer flags under TL_SANITIZE=ON)."""
    need_tool("cmake")
    cc = need_tool("gcc")
    cmd = ["cmake", "-S", str(SOURCE), "-B", str(tmp_path), f"-DCMAKE_C_COMPILER={cc}",
           "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON", f"-DTL_SANITIZE={'ON' if sanitize else 'OFF'}"]  # fmt: skip
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    commands = json.loads((tmp_path / "compile_commands.json").read_text())
    assert commands
    wanted = c_flags("std", "warnings") + (c_flags("sanitize") if sanitize else [])
    for c in commands:
        words = c["command"].split()
        missing = [f for f in wanted if f not in words]
        assert not missing, (c["file"], missing, c["command"])
