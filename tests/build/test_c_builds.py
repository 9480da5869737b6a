"""Build the C runtime with CMake in every variant and run its C tests (ctest), plus the C tools.

Variants: native gcc, clang (same -Werror warning set), gcc ASan+UBSan, the TL_NO_STDIO configuration, and
aarch64/armhf cross builds whose ctest runs under qemu. Build directories are cached in build/<variant>
(see tests/cbuild.py).
"""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from cbuild import VARIANTS, build, ctest_commands, run_ctest, run_tool
from conftest import need_tool

from trainer.tlm import ModelBuilder, Quantization


@pytest.mark.parametrize("variant", ["native", "clang", "asan", "nostdio", "aarch64", "armhf"])
def test_ctest(variant: str) -> None:
    build(variant)
    result = run_ctest(variant)
    match = re.search(r"100% tests passed(?:, 0 tests failed)? out of (\d+)", result.stdout)
    assert match and int(match.group(1)) > 0, result.stdout


@pytest.mark.parametrize("cpu", ["cortex-a53", "max"])
def test_aarch64_cpu_models(cpu: str) -> None:
    """The aarch64 C tests on a CPU without dotprod (Pi 3) and on one with everything (run-time dispatch)."""
    build("aarch64")
    emulator = VARIANTS["aarch64"].emulator
    commands = ctest_commands("aarch64")
    assert commands
    for _name, command in commands:
        assert Path(command[0]).name == emulator[0] and tuple(command[1 : len(emulator)]) == emulator[1:], (
            command
        )

    def run(command: list[str]) -> subprocess.CompletedProcess:
        full = [command[0], "-cpu", cpu, *command[1:]]
        return subprocess.run(full, capture_output=True, text=True, timeout=600)

    with ThreadPoolExecutor(2) as pool:  # the emulated tests two at a time, as ctest -j2 runs them
        results = list(pool.map(run, [command for _, command in commands]))
    for (name, _), result in zip(commands, results, strict=True):
        assert result.returncode == 0, (
            f"{name} under -cpu {cpu}:\n{result.stdout[-8000:]}\n{result.stderr[-4000:]}"
        )


def test_library_has_no_mutable_globals() -> None:
    """DESIGN: no globals with state. No object of the library may have writable data (.data, .bss, TLS);
    constant tables with pointers live in .data.rel.ro, which is fine."""
    readelf = need_tool("readelf")
    directory = build("native", targets=("tensorlet",))
    result = subprocess.run(
        [readelf, "-S", "-W", str(directory / "libtensorlet.a")], capture_output=True, text=True, check=True
    )
    member, offenders, members = "", [], 0
    section = re.compile(r"\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s")
    for line in result.stdout.splitlines():
        if line.startswith("File: "):
            member = line[len("File: ") :]
            members += 1
            continue
        m = section.search(line)
        if not m:
            continue
        name, size = m.group(1), int(m.group(2), 16)
        writable = name.startswith((".data", ".bss", ".tdata", ".tbss")) and not name.startswith(
            ".data.rel.ro"
        )
        if writable and size:
            offenders.append(f"{member}: {name} ({size} bytes)")
    assert members > 5, result.stdout[:2000]
    assert not offenders, "mutable global state in the library:\n" + "\n".join(offenders)


FORBIDDEN_CALLS = {
    # the library never ends the process or prints: every failure is a tl_status plus a message
    "abort",
    "exit",
    "_exit",
    "_Exit",
    "quick_exit",
    "atexit",
    "__assert_fail",
    "__assert_rtn",
    "raise",
    "signal",
    "longjmp",
    "printf",
    "puts",
    "putchar",
    "perror",
    "fputs",
    "fputc",
    "fwrite",
    "getenv",
    "system",
}
FILE_CALLS = {"fopen", "fread", "fclose", "fseek", "ftell", "fwrite", "fprintf", "fgets", "fgetc"}


def _undefined_symbols(library: Path) -> set[str]:
    nm = need_tool("nm")
    result = subprocess.run([nm, "-u", str(library)], capture_output=True, text=True, check=True)
    return {line.split()[-1] for line in result.stdout.splitlines() if line.strip() and ":" not in line}


@pytest.mark.parametrize("variant", ["native", "nostdio"])
def test_library_never_exits_or_prints(variant: str) -> None:
    """No abort/exit/assert/printf in the library; the TL_NO_STDIO build uses no file I/O at all."""
    directory = build(variant, targets=("tensorlet",))
    symbols = _undefined_symbols(directory / "libtensorlet.a")
    assert "memcpy" in symbols or "memset" in symbols, sorted(symbols)  # the listing is not empty
    assert not symbols & FORBIDDEN_CALLS, sorted(symbols & FORBIDDEN_CALLS)
    if variant == "nostdio":
        assert not symbols & FILE_CALLS, sorted(symbols & FILE_CALLS)
    else:
        assert "fopen" in symbols  # tl_model_load_file


# ---- tl_run / tl_bench (native build) ----


def _fc_model(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(7)
    w = rng.standard_normal((5, 12)).astype(np.float32)
    bias = rng.standard_normal(5).astype(np.float32)
    b = ModelBuilder(description="fc test")
    x = b.add_input("x", np.float32, [2, 12])
    wt = b.add_constant("w", w)
    bt = b.add_constant("b", bias)
    y = b.add_tensor("y", np.float32, [2, 5])
    b.add_op("FullyConnected", [x, wt, bt], [y], activation="RELU")
    b.mark_output(y)
    path = tmp_path / "fc.tlm"
    path.write_bytes(b.finish())
    return path, w, bias, b.plan().arena_bytes


def _add_model(tmp_path: Path) -> Path:
    b = ModelBuilder()
    a = b.add_input("a", np.float32, [2, 3])
    c = b.add_input("c", np.float32, [3])
    y = b.add_tensor("sum", np.float32, [2, 3])
    b.add_op("Add", [a, c], [y])
    b.mark_output(y)
    path = tmp_path / "add.tlm"
    path.write_bytes(b.finish())
    return path


@pytest.fixture(scope="module", params=["native", "asan"])
def tools(request: pytest.FixtureRequest) -> str:
    """The tools of the native build, and of the ASan+UBSan build (leaks and UB on every path, errors too)."""
    build(request.param, targets=("tl_run", "tl_bench"))
    return request.param


def test_tl_run_matches_numpy(tools: str, tmp_path: Path) -> None:
    model, w, bias, _ = _fc_model(tmp_path)
    x = np.random.default_rng(3).standard_normal((2, 12)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    result = run_tool(
        tools,
        "tl_run",
        [str(model), "--input", f"0={tmp_path / 'x.npy'}", "--output", f"y={tmp_path / 'y.npy'}"],
    )
    assert result.returncode == 0, result.stderr
    got = np.load(tmp_path / "y.npy")
    want = np.maximum(x.astype(np.float64) @ w.T.astype(np.float64) + bias, 0)
    assert got.dtype == np.float32 and got.shape == (2, 5)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * np.abs(want).max())


def test_tl_run_names_and_print(tools: str, tmp_path: Path) -> None:
    model = _add_model(tmp_path)
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    c = np.array([0.5, -1.0, 10.0], np.float32)
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "c.npy", c)
    result = run_tool(
        tools,
        "tl_run",
        [str(model), "--input", f"c={tmp_path / 'c.npy'}", "--input", f"a={tmp_path / 'a.npy'}", "--print"],
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "output 0 'sum' float32 [2, 3]:"
    values = np.array(" ".join(lines[1:]).split(), np.float32)
    np.testing.assert_array_equal(values, (a + c).ravel())


def test_tl_run_zero_fills_missing_inputs(tools: str, tmp_path: Path) -> None:
    model = _add_model(tmp_path)
    c = np.array([1.5, 2.5, 3.5], np.float32)
    np.save(tmp_path / "c.npy", c)
    result = run_tool(tools, "tl_run", [str(model), "--input", f"1={tmp_path / 'c.npy'}"])
    assert result.returncode == 0, result.stderr
    values = np.array(" ".join(result.stdout.strip().splitlines()[1:]).split(), np.float32)
    np.testing.assert_array_equal(values, np.tile(c, 2))


def test_tl_run_errors(tools: str, tmp_path: Path) -> None:
    model = _add_model(tmp_path)
    np.save(tmp_path / "int.npy", np.zeros((2, 3), np.int32))
    np.save(tmp_path / "shape.npy", np.zeros((3, 2), np.float32))
    np.save(tmp_path / "f64.npy", np.zeros((2, 3), np.float64))
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    (tmp_path / "junk.tlm").write_bytes(b"\x10\x00\x00\x00XXXX" + bytes(24))

    def tl_run(*args: str) -> tuple[int, str]:
        r = run_tool(tools, "tl_run", list(args))
        return r.returncode, r.stderr

    assert tl_run("--help")[0] == 0
    assert tl_run()[0] == 2  # usage; errors below exit 1 (the exit codes of every tool)
    assert tl_run(str(model), "--bogus")[0] == 2
    assert tl_run(str(model), "--input", "noequals")[0] == 2
    assert tl_run(str(model), str(model))[0] == 2
    code, err = tl_run(str(tmp_path / "missing.tlm"))
    assert code == 1 and "TL_ERROR_IO" in err
    code, err = tl_run(str(tmp_path / "junk.tlm"))
    assert code == 1 and "TL_ERROR_BAD_IDENTIFIER" in err
    code, err = tl_run(str(model), "--input", f"a={tmp_path / 'int.npy'}")
    assert code == 1 and "float32" in err and "int32" in err, err
    code, err = tl_run(str(model), "--input", f"a={tmp_path / 'shape.npy'}")
    assert code == 1 and "[2, 3]" in err and "[3, 2]" in err, err
    code, err = tl_run(str(model), "--input", f"a={tmp_path / 'f64.npy'}")
    assert code == 1 and "<f8" in err, err
    code, err = tl_run(str(model), "--input", f"a={tmp_path / 'junk.npy'}")
    assert code == 1 and "not a .npy" in err, err
    code, err = tl_run(str(model), "--input", f"nosuch={tmp_path / 'shape.npy'}")
    assert code == 1 and "nosuch" in err, err
    code, err = tl_run(str(model), "--input", f"7={tmp_path / 'shape.npy'}")
    assert code == 1 and "out of range" in err, err
    code, err = tl_run(str(model), "--output", f"9={tmp_path / 'o.npy'}")
    assert code == 1 and "out of range" in err, err


def test_tl_bench_reports(tools: str, tmp_path: Path) -> None:
    model, _, _, arena = _fc_model(tmp_path)
    result = run_tool(tools, "tl_bench", [str(model), "--runs", "21", "--warmup", "2"])
    assert result.returncode == 0, result.stderr
    report = dict(line.split(": ", 1) for line in result.stdout.strip().splitlines())
    assert int(report["model_bytes"]) == model.stat().st_size
    assert int(report["arena_bytes"]) == arena
    assert int(report["runs"]) == 21
    lo, med, p90 = (float(report[k]) for k in ("min_us", "median_us", "p90_us"))
    assert 0 <= lo <= med <= p90
    assert run_tool(tools, "tl_bench", ["--help"]).returncode == 0
    assert run_tool(tools, "tl_bench", [str(model), "--runs", "0"]).returncode == 2  # usage
    assert run_tool(tools, "tl_bench", [str(model), "--zero", "--runs", "1"]).returncode == 0
    bad = run_tool(tools, "tl_bench", [str(tmp_path / "missing.tlm")])
    assert bad.returncode == 1 and "TL_ERROR_IO" in bad.stderr


def test_tl_run_int8_output(tools: str, tmp_path: Path) -> None:
    """Quantize (float32 -> int8) through tl_run: int8 .npy output and integer --print."""
    b = ModelBuilder()
    x = b.add_input("x", np.float32, [2, 4])
    q = b.add_tensor("q", np.int8, [2, 4], quantization=Quantization(0.5, -3))
    b.add_op("Quantize", [x], [q])
    b.mark_output(q)
    model = tmp_path / "quantize.tlm"
    model.write_bytes(b.finish())
    xs = np.array([[0.0, 0.26, -0.74, 1e9], [-1e9, 12.2, -60.0, 3.0]], np.float32)
    np.save(tmp_path / "x.npy", xs)
    result = run_tool(
        tools,
        "tl_run",
        [str(model), "--input", f"x={tmp_path / 'x.npy'}", "--output", f"q={tmp_path / 'q.npy'}", "--print"],
    )
    assert result.returncode == 0, result.stderr
    v = xs.astype(np.float64) / 0.5
    want = np.clip(np.sign(v) * np.floor(np.abs(v) + 0.5) - 3, -128, 127).astype(np.int8)
    got = np.load(tmp_path / "q.npy")
    assert got.dtype == np.int8 and got.shape == (2, 4)
    np.testing.assert_array_equal(got, want)
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "output 0 'q' int8 [2, 4]:"
    assert [int(t) for t in " ".join(lines[1:]).split()] == want.ravel().tolist()


def test_tl_run_takes_another_batch(tools: str, tmp_path: Path) -> None:
    """A file with another dims[0] runs at that batch (tl_interpreter_resize_input); files of two batches
    are refused."""
    model, w, bias, _ = _fc_model(tmp_path)  # x[2, 12]
    x = np.random.default_rng(4).standard_normal((5, 12)).astype(np.float32)
    np.save(tmp_path / "x5.npy", x)
    args = [str(model), "--input", f"x={tmp_path / 'x5.npy'}", "--output", f"0={tmp_path / 'y.npy'}"]
    result = run_tool(tools, "tl_run", args)
    assert result.returncode == 0, result.stderr
    want = np.maximum(x.astype(np.float64) @ w.T.astype(np.float64) + bias, 0)
    got = np.load(tmp_path / "y.npy")
    assert got.shape == (5, 5)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * np.abs(want).max())
    add = _add_model(tmp_path)  # a[2, 3] + c[3]: c keeps its shape
    np.save(tmp_path / "a4.npy", np.ones((4, 3), np.float32))
    np.save(tmp_path / "c.npy", np.array([1, 2, 3], np.float32))
    result = run_tool(tools, "tl_run", [str(add), "--input", f"c={tmp_path / 'c.npy'}", "--input",
                                        f"a={tmp_path / 'a4.npy'}", "--print"])  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "output 0 'sum' float32 [4, 3]:"
    values = np.array(" ".join(result.stdout.strip().splitlines()[1:]).split(), np.float32)
    np.testing.assert_array_equal(values, np.tile([2, 3, 4], 4))
