"""Per-op profiling: tl_interpreter_invoke_profiled through pyruntime's ``Interpreter.profile``, ``tensorlet
bench --profile`` (text and --json) and ``tl_bench --profile``, on the benchmark CNN (Conv2D, MaxPool2D,
FullyConnected, ...): every op appears once with its type and output shape, the per-op times add up to the
invoke's, the outputs equal a normal invoke's, and the API refuses a wrong table size.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from cbuild import build, run_tool
from runtime_op_cases import ensure_pyruntime

from trainer.cli import main
from trainer.tlm import read_model

ROOT = Path(__file__).resolve().parents[2]


@cache
def _cnn() -> bytes:
    """The benchmark CNN (benchmarks/runtime_vs_litert.py's builder, numpy only) as a float .tlm."""
    path = ROOT / "benchmarks" / "runtime_vs_litert.py"
    spec = importlib.util.spec_from_file_location("runtime_vs_litert_profile", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.to_tlm(module.cnn())


def _expected_ops(model: bytes) -> list[tuple[str, tuple[int, ...]]]:
    """(op type, first output's shape) per op, from the model file (the schema's names)."""
    info = read_model(model)
    return [(op.opcode, tuple(info.tensors[op.outputs[0]].shape)) for op in info.ops]


@pytest.fixture(scope="module")
def cnn_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("profile") / "cnn.tlm"
    path.write_bytes(_cnn())
    return path


def test_profile_covers_every_op_and_sums_to_the_invoke() -> None:
    ensure_pyruntime()
    from pyruntime import Interpreter

    model = _cnn()
    it = Interpreter(model_content=model)
    it.allocate_tensors()
    d = it.get_input_details()[0]
    x = np.random.default_rng(0).standard_normal(tuple(d["shape"])).astype(np.float32)
    it.set_tensor(d["index"], x)
    it.invoke()
    want = it.get_tensor(it.get_output_details()[0]["index"])
    for _ in range(5):
        it.invoke()  # warm
    # the ops' times add up to the invoke's (one clock read between ops; the rest is the call itself):
    # interleaved rounds, the best of each (the machine may be loaded)
    best_invoke, best_profile = float("inf"), float("inf")
    for _ in range(5):
        ops = it.profile(runs=10)
        best_profile = min(best_profile, sum(op["avg_us"] for op in ops))
        t0 = time.perf_counter()
        for _ in range(10):
            it.invoke()
        best_invoke = min(best_invoke, (time.perf_counter() - t0) / 10 * 1e6)
    assert 0.5 * best_invoke < best_profile < 2 * best_invoke + 5, (best_profile, best_invoke)
    np.testing.assert_array_equal(it.get_tensor(it.get_output_details()[0]["index"]), want)
    assert [op["index"] for op in ops] == list(range(len(ops)))
    assert [(op["type"], op["output_shape"]) for op in ops] == _expected_ops(model)
    assert {"Conv2D", "MaxPool2D", "FullyConnected"} <= {op["type"] for op in ops}
    assert all(op["avg_us"] > 0 for op in ops)
    # each op's fastest run: positive, never above its mean, and a single run's minimum is its mean
    assert all(0 < op["min_us"] <= op["avg_us"] * (1 + 1e-9) for op in ops)
    one = it.profile(runs=1)
    assert all(op["min_us"] == pytest.approx(op["avg_us"]) for op in one)
    with pytest.raises(ValueError, match="runs must be >= 1"):
        it.profile(runs=0)


def test_invoke_profiled_refuses_a_wrong_table() -> None:
    ensure_pyruntime()
    from pyruntime._tensorlet import ffi, lib

    from pyruntime import Interpreter

    it = Interpreter(model_content=_cnn())
    it.allocate_tensors()
    n = int(lib.tl_model_op_count(it._model))
    table = ffi.new("tl_op_profile[]", n + 1)
    clock = ffi.addressof(lib, "tl_clock_monotonic_ns")
    assert (
        lib.tl_interpreter_invoke_profiled(it._interp, clock, ffi.NULL, table, n + 1)
        == lib.TL_ERROR_INVALID_ARGUMENT
    )
    assert (
        f"{n + 1} profile entries given, the model has {n} ops"
        in ffi.string(lib.tl_interpreter_error(it._interp)).decode()
    )
    assert (
        lib.tl_interpreter_invoke_profiled(it._interp, ffi.NULL, ffi.NULL, table, n)
        == lib.TL_ERROR_NULL_ARGUMENT
    )
    assert lib.tl_interpreter_invoke_profiled(it._interp, clock, ffi.NULL, table, n) == lib.TL_OK
    assert table[n].ticks == 0 and all(table[i].ticks > 0 for i in range(n))


def test_bench_profile_text_and_json(cnn_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ops = _expected_ops(cnn_path.read_bytes())
    assert main(["bench", str(cnn_path), "--runs", "5", "--warmup", "1", "--profile"]) == 0
    out = capsys.readouterr().out
    assert "per-op profile" in out and "per op type" in out
    for i, (kind, shape) in enumerate(ops):
        assert any(
            line.split()[:3] == [str(i), kind, "[" + ",".join(map(str, shape)) + "]"]
            for line in out.splitlines()
        ), (i, kind)
    assert main(["bench", str(cnn_path), "--runs", "5", "--warmup", "1", "--profile", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    prof = report["profile"]
    assert sorted(r["index"] for r in prof["ops"]) == list(range(len(ops)))
    assert [r["avg_us"] for r in prof["ops"]] == sorted((r["avg_us"] for r in prof["ops"]), reverse=True)
    assert sum(r["avg_us"] for r in prof["ops"]) == pytest.approx(prof["total_us"])
    assert sum(r["percent"] for r in prof["ops"]) == pytest.approx(100.0)
    counts = {t["type"]: t["count"] for t in prof["types"]}
    assert counts == {k: [o[0] for o in ops].count(k) for k, _ in ops}
    for t in prof["types"]:
        assert t["total_us"] == pytest.approx(sum(r["avg_us"] for r in prof["ops"] if r["type"] == t["type"]))
        assert t["min_us"] == pytest.approx(sum(r["min_us"] for r in prof["ops"] if r["type"] == t["type"]))
    assert all(0 < r["min_us"] <= r["avg_us"] * (1 + 1e-9) for r in prof["ops"])
    assert prof["total_min_us"] == pytest.approx(sum(r["min_us"] for r in prof["ops"]))
    assert main(["bench", str(cnn_path), "--runs", "5", "--warmup", "1", "--json"]) == 0
    assert "profile" not in json.loads(capsys.readouterr().out)


def test_tl_bench_profile(cnn_path: Path) -> None:
    build("native", targets=("tl_bench",))
    ops = _expected_ops(cnn_path.read_bytes())
    result = run_tool("native", "tl_bench", [str(cnn_path), "--runs", "10", "--warmup", "2", "--profile"])
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    start = lines.index("profile per op (slowest first):") + 2
    rows = [line.split() for line in lines[start : start + len(ops)]]
    assert sorted(int(r[0]) for r in rows) == list(range(len(ops)))
    for r in rows:
        kind, shape = ops[int(r[0])]
        assert r[1:3] == [kind, "[" + ",".join(map(str, shape)) + "]"]
    times = [float(r[3]) for r in rows]
    assert times == sorted(times, reverse=True)
    total = float(next(line for line in lines if line.startswith("profile_total_us:")).split()[1])
    assert sum(times) == pytest.approx(total, abs=0.01 * len(ops))
    assert sum(float(r[4]) for r in rows) == pytest.approx(100.0, abs=0.01 * len(ops))
    fastest = [float(r[5]) for r in rows]  # the min_us column: each op's fastest of the 10 runs
    assert all(0 < m <= t + 0.01 for m, t in zip(fastest, times, strict=True))
    total_min = float(next(line for line in lines if line.startswith("profile_total_min_us:")).split()[1])
    assert sum(fastest) == pytest.approx(total_min, abs=0.01 * len(ops))
    types = lines[lines.index("profile per op type (slowest first):") + 2 :]
    counts = {t.split()[0]: int(t.split()[1]) for t in types}
    assert counts == {k: [o[0] for o in ops].count(k) for k, _ in ops}
    assert "--profile" in run_tool("native", "tl_bench", ["--help"]).stdout
