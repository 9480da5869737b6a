"""benchmarks/runtime_vs_litert.py: the parts that need none of its benchmark-only packages (ai-edge-litert,
tensorflow-cpu, onnx, onnxruntime) -- interleaved timing, the tables, the peak RSS worker on tensorlet."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "runtime_vs_litert.py"
BENCH_ONLY = ("tensorflow", "ai_edge_litert", "onnx", "onnxruntime")

# Runs a snippet in a fresh interpreter in which importing any benchmark-only package fails.
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
    spec = importlib.util.spec_from_file_location("runtime_vs_litert", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_interleaved_rounds(bench) -> None:
    calls: list[str] = []
    runners = {(name, 1): (lambda name=name: calls.append(name), lambda: np.zeros(1)) for name in "ab"}
    medians = bench.interleaved(runners, rounds=2, per_round=3)
    assert calls == list("aaabbbaaabbb")
    assert set(medians) == {("a", 1), ("b", 1)} and all(m >= 0 for m in medians.values())


def test_interleaved_cpu_clock(bench) -> None:
    """--clock cpu: the medians come from the clock it passes (time.process_time_ns), here a fake one that
    advances 1 µs across runner a's invoke and 5 µs across b's."""
    step = {"now": 0, "inc": 0}

    def clock() -> int:
        step["now"] += step["inc"]
        return step["now"]

    runners = {
        (name, 1): (lambda inc=inc: step.update(inc=inc), lambda: np.zeros(1))
        for name, inc in (("a", 1000), ("b", 5000))
    }
    medians = bench.interleaved(runners, rounds=2, per_round=3, clock=clock)
    assert medians == {("a", 1): 1.0, ("b", 1): 5.0}
    assert bench.CLOCKS["cpu"] is time.process_time_ns and bench.CLOCKS["wall"] is time.perf_counter_ns


def test_tables(bench) -> None:
    net = bench.mlp()
    res = bench.Result(net)
    res.median_us = {("tensorlet", 1): 9.0, ("litert", 1): 10.0, ("tensorlet", 2): 6.0, ("litert", 2): 4.0}
    res.rss_kib = {("tensorlet", 1): {"peak_growth_kib": 2048, "now_growth_kib": 1024, "baseline_kib": 1}}
    text = bench.markdown([res], bench.Options(threads=(1, 2)))
    rows = [line for line in text.splitlines() if line.startswith(f"| {net.name} |")]
    assert rows[0].split(" | ")[1:] == ["1", "9.0", "10.0", "**0.90**", "- |"]
    assert rows[1].split(" | ")[1:] == ["2", "6.0", "4.0", "**1.50**", "- |"]
    assert rows[2].split(" | ")[1:3] == ["2.0 (1.0)", "-"]  # peak RSS: 1 thread measured, 2 threads not
    assert bench.ratio(3.0, None) == "-" and bench.ratio(None, 2.0) == "-"


def test_per_call_alternates_single_calls(bench) -> None:
    """--calls: one invoke of every runner in turn, `calls` times; (min, median) from the clock it passes,
    here a fake one that advances by the next of a runner's listed durations across each of its invokes."""
    calls: list[str] = []
    durations = {"a": iter([3000, 1000, 2000]), "b": iter([5000, 9000, 4000])}
    step = {"now": 0, "inc": 0}

    def clock() -> int:
        step["now"] += step["inc"]
        step["inc"] = 0
        return step["now"]

    def invoke(name: str) -> None:
        calls.append(name)
        step["inc"] = next(durations[name])

    runners = {(name, 1): (lambda name=name: invoke(name), lambda: np.zeros(1)) for name in "ab"}
    got = bench.per_call(runners, calls=3, clock=clock)
    assert calls == list("ababab")
    assert got == {("a", 1): (1.0, 2.0), ("b", 1): (4.0, 5.0)}


def test_calls_table(bench) -> None:
    """With --calls each runtime's cell is "min / median" and both ratios to LiteRT are given."""
    net = bench.mlp()
    res = bench.Result(net)
    res.min_us = {("tensorlet", 1): 6.0, ("litert", 1): 8.0, ("tensorlet", 2): 5.0, ("litert", 2): 4.0}
    res.median_us = {("tensorlet", 1): 7.0, ("litert", 1): 10.0, ("tensorlet", 2): 6.0, ("litert", 2): 5.0}
    text = bench.markdown([res], bench.Options(threads=(1, 2), calls=500))
    head = text.splitlines()[0].split(" | ")
    assert head[2:] == [
        "tensorlet min / median",
        "LiteRT min / median",
        "tensorlet / LiteRT, minima",
        "tensorlet / LiteRT, medians",
        "`tl_bench` ref / opt |",
    ]
    rows = [line for line in text.splitlines() if line.startswith(f"| {net.name} |")]
    assert rows[0].split(" | ")[1:] == ["1", "6.0 / 7.0", "8.0 / 10.0", "**0.75**", "**0.70**", "- |"]
    assert rows[1].split(" | ")[1:] == ["2", "5.0 / 6.0", "4.0 / 5.0", "**1.25**", "**1.20**", "- |"]


def test_calls_arguments(bench, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """--calls below 100 (or negative) is refused in one line; with --calls, rounds x per-round below 300 is
    no error, and the options carry the count to bench()."""
    for bad in ("50", "-1"):
        with pytest.raises(SystemExit) as e:
            bench.main(["--calls", bad])
        assert e.value.code == 2
        assert "--calls needs at least 100 calls" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        bench.main(["--rounds", "1", "--per-round", "1"])
    assert "at least 300 runs" in capsys.readouterr().err

    seen: list = []

    def fake_bench(net, opts):
        seen.append(opts)
        res = bench.Result(net)
        res.min_us = {("tensorlet", 1): 2.0, ("litert", 1): 4.0}
        res.median_us = {("tensorlet", 1): 3.0, ("litert", 1): 4.0}
        return res

    monkeypatch.setattr(bench, "bench", fake_bench)
    args = "--models mlp --calls 150 --rounds 1 --per-round 1 --threads 1 --no-tl-bench --rss-runs 0"
    bench.main(args.split())
    assert [o.calls for o in seen] == [150]
    out = capsys.readouterr().out
    assert "| MLP 784-256-256-10 | 1 | 2.0 / 3.0 | 4.0 / 4.0 | **0.50** | **0.75** | - |" in out


def test_tensorlet_without_benchmark_packages(tmp_path: Path) -> None:
    """The float and int8 MLP build and run on tensorlet (1 and 2 threads) with every benchmark-only
    package blocked, and the peak RSS worker reports at least the model's copy held by the C runtime."""
    ensure_pyruntime()
    code = BLOCKER + (
        f"import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('b', {str(SCRIPT)!r})\n"
        "b = importlib.util.module_from_spec(spec); sys.modules['b'] = b; spec.loader.exec_module(b)\n"
        "import numpy as np\n"
        "net = b.mlp()\n"
        "x = np.random.default_rng(0).uniform(-1, 1, net.input_shape).astype(np.float32)\n"
        "outs = {}\n"
        "for kind, model in (('float', b.to_tlm(net)), ('int8', b.to_tlm_int8(net))):\n"
        "    for runtime in ('tensorlet-reference', 'tensorlet'):\n"
        "        for n in (1, 2):\n"
        "            invoke, output = b.open_runner(runtime, model, x, n)\n"
        "            invoke()\n"
        "            outs[f'{kind} {runtime} {n}'] = output().ravel().tolist()\n"
        f"open({str(tmp_path / 'model.tlm')!r}, 'wb').write(b.to_tlm(net))\n"
        f"np.save({str(tmp_path / 'x.npy')!r}, x)\n"
        "print(json.dumps(outs))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    outs = {k: np.array(v) for k, v in json.loads(proc.stdout.strip().splitlines()[-1]).items()}
    want = outs["float tensorlet-reference 1"]
    for key, got in outs.items():
        if key.startswith("float"):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
        else:
            assert np.array_equal(got, outs["int8 tensorlet-reference 1"]), key
    # int8 agrees with float to a few quantization steps of the output
    assert np.max(np.abs(outs["int8 tensorlet 1"] - want)) < 0.1 * np.abs(want).max()

    model = tmp_path / "model.tlm"
    worker = BLOCKER + (
        f"import runpy, sys\nsys.argv = [{str(SCRIPT)!r}, '--rss-worker', 'tensorlet', {str(model)!r}, "
        f"{str(tmp_path / 'x.npy')!r}, '--threads', '2', '--rss-runs', '3']\n"
        f"runpy.run_path({str(SCRIPT)!r}, run_name='__main__')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", worker], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rss = json.loads(proc.stdout.strip().splitlines()[-1])
    held = model.stat().st_size // 1024  # the C runtime's copy of the model stays resident
    assert rss["peak_growth_kib"] >= held and rss["now_growth_kib"] >= held
    assert rss["baseline_kib"] > 0


def test_float_io_int8_model_is_the_converters_default(bench) -> None:
    """--int8 --float-io: the int8 model keeps float32 I/O (Quantize first, Dequantize last), as
    trainer.lite.Converter makes it; its optimized and reference kernels agree exactly, and with the int8-I/O
    twin's dequantized output."""
    from trainer.tlm import read_model

    ensure_pyruntime()
    net = bench.mlp()
    model = bench.to_tlm_int8(net, float_io=True)
    info = read_model(model)
    assert info.ops[0].opcode == "Quantize" and info.ops[-1].opcode == "Dequantize"
    assert (
        info.tensors[info.inputs[0]].dtype == np.float32 and info.tensors[info.outputs[0]].dtype == np.float32
    )
    x = np.random.default_rng(0).uniform(-1, 1, net.input_shape).astype(np.float32)
    outs = {}
    for runtime in ("tensorlet-reference", "tensorlet"):
        for n in (1, 2):
            invoke, output = bench.open_runner(runtime, model, x, n)
            invoke()
            outs[runtime, n] = output()
    for got in outs.values():
        np.testing.assert_array_equal(got, outs["tensorlet-reference", 1])
    # the same int8 graph inside: the int8-I/O twin's output, dequantized, is the same value
    invoke, output = bench.open_runner("tensorlet", bench.to_tlm_int8(net), x, 1)
    invoke()
    want = output()
    np.testing.assert_allclose(outs["tensorlet", 1], want, rtol=1e-6, atol=1e-6 * np.abs(want).max())


def test_machine_line_names_the_caches(bench, tmp_path: Path) -> None:
    for i, (level, kind, size) in enumerate(
        [(1, "Data", "48K"), (1, "Instruction", "32K"), (2, "Unified", "2048K")]
    ):
        d = tmp_path / f"index{i}"
        d.mkdir()
        for name, value in (("level", level), ("type", kind), ("size", size)):
            (d / name).write_text(f"{value}\n")
    assert bench.cache_sizes(tmp_path) == "L1d 48K, L1i 32K, L2 2048K"
    assert bench.cache_sizes(tmp_path / "missing") == ""
    line = bench.machine()
    assert "CPUs" in line and "load average" in line
    real = bench.cache_sizes()
    if real:
        assert f"({real})" in line


def test_no_reference_timing_checks_but_does_not_time_the_reference(bench) -> None:
    """--no-reference-timing: the outputs are still checked against the reference kernels, whose slow invokes
    stay out of the alternation (and their column out of the table)."""
    ensure_pyruntime()
    net = bench.mlp()
    opts = bench.Options(threads=(1,), calls=100, rss_runs=0, time_reference=False)
    res = bench.bench(net, opts)
    assert ("tensorlet", 1) in res.min_us and ("tensorlet-reference", 1) not in res.median_us
    table = bench.markdown([res], opts).splitlines()
    assert bench.LABELS["tensorlet-reference"] not in table[0] and bench.LABELS["tensorlet"] in table[0]
    assert bench.Options().time_reference  # timed by default, as before
