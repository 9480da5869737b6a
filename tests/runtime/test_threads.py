"""Threads (tl_options.num_threads, runtime_c/src/threadpool.c): results, range checks, tools, sanitizers.

The float32 FullyConnected and Conv2D split their outputs (never a sum) over the threads, so every thread
count must give the same bits. Checked on the three benchmark models (MLP, CNN, a small MobileNetV1) in
float32 and int8 through pyruntime, at each forced kernel level; the C pool and the splits themselves are
tested by runtime_c/tests/test_threads.c (ctest, in every build of tests/build/test_c_builds.py, ASan
included), which this file also builds with ThreadSanitizer.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from cbuild import build, c_flags, compile_program, run_tool
from conftest import need_tool
from runtime_op_cases import ensure_pyruntime

ROOT = Path(__file__).resolve().parents[2]


@cache
def _bench():
    """benchmarks/runtime_vs_litert.py: its model builders (numpy only; no benchmark-only package)."""
    path = ROOT / "benchmarks" / "runtime_vs_litert.py"
    spec = importlib.util.spec_from_file_location("runtime_vs_litert_models", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@cache
def _models() -> dict[str, tuple[bytes, tuple[int, ...]]]:
    bench = _bench()
    nets = {
        "mlp": bench.mlp(),
        "cnn": bench.cnn(),
        "mobilenet": bench.mobilenet_v1(alpha=0.25, size=64, classes=100),
    }
    out: dict[str, tuple[bytes, tuple[int, ...]]] = {}
    for name, net in nets.items():
        out[name] = (bench.to_tlm(net), tuple(net.input_shape))
        out[name + "_int8"] = (bench.to_tlm_int8(net), tuple(net.input_shape))
    return out


def _run(model: bytes, x: np.ndarray, threads: int, kernels: str, invokes: int = 2) -> list[np.ndarray]:
    from pyruntime import Interpreter

    it = Interpreter(model_content=model, num_threads=threads, kernels=kernels)
    assert it.num_threads == threads
    it.allocate_tensors()
    detail = it.get_input_details()[0]
    outs = []
    for _ in range(invokes):  # the float FullyConnected alternates its panel order between invokes
        it.set_tensor(detail["index"], x.astype(detail["dtype"]))
        it.invoke()
        outs.append(it.get_tensor(it.get_output_details()[0]["index"]).copy())
    it.close()
    return outs


def _input(name: str, shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(5)
    if name.endswith("_int8"):
        return rng.integers(-128, 128, size=shape).astype(np.int8)
    return rng.uniform(-1, 1, size=shape).astype(np.float32)


@pytest.mark.parametrize("name", ["mlp", "cnn", "mobilenet", "mlp_int8", "cnn_int8", "mobilenet_int8"])
def test_thread_counts_give_identical_bits(name: str) -> None:
    ensure_pyruntime()
    model, shape = _models()[name]
    x = _input(name, shape)
    for kernels in ("auto", "portable", "avx2"):
        want = _run(model, x, 1, kernels)
        np.testing.assert_array_equal(want[0], want[1])  # invokes agree with each other
        for threads in (2, 3):
            for got in _run(model, x, threads, kernels):
                np.testing.assert_array_equal(got, want[0], err_msg=f"{name} {kernels} threads={threads}")
    if not name.endswith("_int8"):  # and the optimized float kernels still match the reference ones
        ref = _run(model, x, 1, "reference", invokes=1)[0]
        np.testing.assert_allclose(want[0], ref, rtol=1e-4, atol=1e-4 * float(np.abs(ref).max()))


def _pool_model() -> bytes:
    """MaxPool2D (3x3 stride 2 SAME) and AveragePool2D (2x2 stride 1 VALID, RELU6) on two odd-sized images:
    enough window items that the float32 pools split their output rows over 2 and 3 threads."""
    from trainer.tlm import ModelBuilder

    b = ModelBuilder(description="pools split by rows")
    x = b.add_input("x", np.float32, [2, 37, 29, 24])
    mp = b.add_tensor("mp", np.float32, [2, 19, 15, 24])
    b.add_op("MaxPool2D", [x], [mp], padding="SAME", filter_h=3, filter_w=3, stride_h=2, stride_w=2)
    ap = b.add_tensor("ap", np.float32, [2, 36, 28, 24])
    b.add_op("AveragePool2D", [x], [ap], padding="VALID", filter_h=2, filter_w=2, activation="RELU6")
    b.mark_output(mp)
    b.mark_output(ap)
    return b.finish()


def test_pools_split_by_rows_give_identical_bits() -> None:
    ensure_pyruntime()
    from pyruntime import Interpreter

    model = _pool_model()
    x = np.random.default_rng(9).uniform(-8, 8, size=(2, 37, 29, 24)).astype(np.float32)

    def outputs(threads: int, kernels: str) -> list[np.ndarray]:
        it = Interpreter(model_content=model, num_threads=threads, kernels=kernels)
        it.allocate_tensors()
        it.set_tensor(it.get_input_details()[0]["index"], x)
        it.invoke()
        outs = [it.get_tensor(d["index"]).copy() for d in it.get_output_details()]
        it.close()
        return outs

    ref = outputs(1, "reference")
    windows = np.lib.stride_tricks.sliding_window_view(
        np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=-np.inf), (3, 3), axis=(1, 2)
    )
    np.testing.assert_array_equal(ref[0], windows[:, ::2, ::2].max(axis=(-2, -1)))  # the reference is right
    for kernels in ("auto", "portable"):
        for threads in (1, 2, 3):
            got = outputs(threads, kernels)
            np.testing.assert_array_equal(got[0], ref[0], err_msg=f"MaxPool2D {kernels} threads={threads}")
            np.testing.assert_array_equal(
                got[1], ref[1], err_msg=f"AveragePool2D {kernels} threads={threads}"
            )


def test_winograd_image_cut_at_tile_rows_gives_identical_bits() -> None:
    """A 3x3 SAME Conv2D of one image in one Winograd block (11 x 12 = 132 tiles) is cut at tile rows whose
    first tile is a multiple of 24 (72 + 60 tiles on 2 threads, 48 + 48 + 36 on 3; the parts after the first
    read their windows with a negative pad_top): the same bits as one thread, and the convolution's values."""
    ensure_pyruntime()
    from pyruntime import Interpreter
    from trainer.tlm import ModelBuilder

    rng = np.random.default_rng(21)
    w = (rng.standard_normal((16, 3, 3, 16)) * 0.3).astype(np.float32)
    bias = rng.standard_normal(16).astype(np.float32)
    b = ModelBuilder(description="winograd cut")
    x_t = b.add_input("x", np.float32, [1, 21, 23, 16])
    y_t = b.add_tensor("y", np.float32, [1, 21, 23, 16])
    b.add_op("Conv2D", [x_t, b.add_constant("w", w), b.add_constant("b", bias)], [y_t], padding="SAME")
    b.mark_output(y_t)
    model = b.finish()
    x = rng.uniform(-1, 1, size=(1, 21, 23, 16)).astype(np.float32)
    xp = np.pad(x.astype(np.float64), ((0, 0), (1, 1), (1, 1), (0, 0)))
    want = np.zeros((1, 21, 23, 16)) + bias
    for ky in range(3):
        for kx in range(3):
            want += xp[:, ky : ky + 21, kx : kx + 23, :] @ w[:, ky, kx, :].astype(np.float64).T
    for kernels in ("auto", "avx2"):
        try:
            one = Interpreter(model_content=model, kernels=kernels).run(x)[0]
        except ValueError:  # no AVX2 on this CPU: auto already covered the level it has
            continue
        np.testing.assert_allclose(one, want, rtol=0, atol=1e-4 * float(np.abs(want).max()))
        for threads in (2, 3):
            got = Interpreter(model_content=model, kernels=kernels, num_threads=threads).run(x)[0]
            np.testing.assert_array_equal(got, one, err_msg=f"{kernels} threads={threads}")


def test_num_threads_range_and_many_interpreters() -> None:
    ensure_pyruntime()
    from pyruntime import Interpreter

    model, shape = _models()["cnn"]
    for bad in (0, -2, 65, 2.0, True, "2"):  # -1 is tflite's "auto" (one thread per CPU)
        with pytest.raises(ValueError, match="num_threads"):
            Interpreter(model_content=model, num_threads=bad)  # type: ignore[arg-type]
    assert Interpreter(model_content=model).num_threads == 1  # None (tflite_runtime's default): 1
    assert Interpreter(model_content=model, num_threads=None).num_threads == 1
    assert Interpreter(model_content=model, num_threads=-1).num_threads == min(os.cpu_count() or 1, 64)
    x = _input("cnn", shape)
    want = _run(model, x, 1, "auto", invokes=1)[0]
    for i in range(40):  # workers start with the interpreter and are joined by close()
        got = _run(model, x, 2 + i % 3, "auto", invokes=1 + i % 2)[-1]
        np.testing.assert_array_equal(got, want)
    big = Interpreter(model_content=model, num_threads=64)
    big.allocate_tensors()
    big.invoke()
    big.close()


@pytest.fixture(scope="module")
def tools() -> Path:
    return build("native", targets=("tl_run", "tl_bench"))


def test_tools_take_threads(tools: Path, tmp_path: Path) -> None:
    assert (tools / "tl_bench").exists()
    model, _ = _models()["cnn"]
    path = tmp_path / "cnn.tlm"
    path.write_bytes(model)
    result = run_tool("native", "tl_bench", [str(path), "--runs", "20", "--warmup", "2", "--threads", "2"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "threads: 2" in result.stdout and "median_us:" in result.stdout
    for tool in ("tl_bench", "tl_run"):
        help_text = run_tool("native", tool, ["--help"]).stdout
        assert "--threads" in help_text, help_text
        for bad in ("0", "65", "x", "-2"):
            result = run_tool("native", tool, [str(path), "--threads", bad])
            assert result.returncode == 2, (tool, bad, result.stdout, result.stderr)  # usage
            assert "--threads needs an integer in [1, 64]" in result.stderr
    out1 = run_tool("native", "tl_run", [str(path), "--threads", "1"])
    out3 = run_tool("native", "tl_run", [str(path), "--threads", "3"])
    assert out1.returncode == 0 and out1.stdout.strip(), out1.stderr
    assert out1.stdout == out3.stdout


def test_pool_under_thread_sanitizer(tmp_path: Path) -> None:
    """test_threads.c (pool stress, bit-exact splits, interpreters with threads) built with clang's TSan."""
    clang = need_tool("clang")
    src = ROOT / "runtime_c"
    exe = tmp_path / "test_threads_tsan"
    sources = sorted(str(p) for p in (src / "src").rglob("*.c"))
    cmd = [clang, *c_flags("std"), "-O1", "-g", *c_flags("tsan", "warnings")]
    cmd += ["-Wno-unused-function", f"-I{src / 'include'}", f"-I{src / 'src'}", f"-I{src / 'tests'}"]
    compiled = compile_program(cmd, [*sources, str(src / "tests" / "test_threads.c")], exe)
    assert compiled.returncode == 0, compiled.stderr[-4000:]
    env = {"TSAN_OPTIONS": "halt_on_error=1:exitcode=66"}
    result = subprocess.run([str(exe)], capture_output=True, text=True, timeout=600, env=env)
    if result.returncode != 0 and "FATAL: ThreadSanitizer" in result.stderr:
        pytest.skip(f"ThreadSanitizer cannot run here: {result.stderr[:300]}")  # e.g. unsupported mmap layout
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "threads: yes" in result.stdout and ", 0 failed" in result.stdout, result.stdout


def test_no_threads_build_runs_single_threaded(tmp_path: Path) -> None:
    """-DTL_NO_THREADS (as freestanding builds): num_threads > 1 is accepted and the results are the same."""
    cc = need_tool("gcc")
    src = ROOT / "runtime_c"
    exe = tmp_path / "test_threads_nothreads"
    sources = sorted(str(p) for p in (src / "src").rglob("*.c"))
    cmd = [cc, *c_flags("std"), "-O1", "-DTL_NO_THREADS", *c_flags("warnings")]
    cmd += ["-Wno-unused-function", f"-I{src / 'include'}", f"-I{src / 'src'}", f"-I{src / 'tests'}"]
    compiled = compile_program(cmd, [*sources, str(src / "tests" / "test_threads.c")], exe)
    assert compiled.returncode == 0, compiled.stderr[-4000:]
    result = subprocess.run([str(exe)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0 and "threads: no" in result.stdout and ", 0 failed" in result.stdout, (
        result.stdout[-4000:]
    )
    nm = subprocess.run([need_tool("nm"), "-u", str(exe)], capture_output=True, text=True)
    assert "pthread_create" not in nm.stdout
