"""The work budget (tl_options.max_work) and the O(n log n) arena planner (issue #12).

* Tiny pooling models whose window covers a 2048x2048 input (SAME padding: every output visits millions of
  elements) are refused at prepare with TL_ERROR_LIMIT_EXCEEDED, float32 and int8, through pyruntime and the C
  runtime under ASan+UBSan; a raised ``max_work`` lets them prepare.
* Every model the tests build, and realistic edge models (MobileNetV2 1.0 at 224, float32 and int8), prepare
  under the default budget.
* A 65,535-op chain prepares in C and plans in Python (the planner used to be quadratic); its arena agrees.
* The Python planner mirror agrees with the C runtime on random graphs with many ties, and refuses plans with
  more time-overlapping tensor pairs than its limit, as the runtime does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import int8_op_cases
import malformed_cases
import numpy as np
import pytest
import runtime_op_cases
from cbuild import build, run_tool
from runtime_op_cases import ensure_pyruntime

from trainer.tlm import ModelBuilder, Quantization, plan_model, read_model
from trainer.tlm import planner as tlm_planner

LIMIT = "TL_ERROR_LIMIT_EXCEEDED"
CHAIN_OPS = 65_535


@pytest.fixture(scope="module")
def pyrt() -> Any:
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def pool_model(kind: str, dtype: Any, n: int = 2048) -> bytes:
    """x[1, n, n, 1] -> kind (n x n window, stride 1, SAME) -> y[1, n, n, 1]: ~n^4 element visits."""
    q = Quantization(0.05, 3) if dtype == np.int8 else None
    b = ModelBuilder()
    x = b.add_input("x", dtype, [1, n, n, 1], q)
    y = b.add_tensor("y", dtype, [1, n, n, 1], q)
    b.add_op(kind, [x], [y], padding="SAME", filter_h=n, filter_w=n)
    b.mark_output(y)
    return b.finish()


def chain_model(ops: int = CHAIN_OPS) -> bytes:
    """x[1] -> Relu -> Relu -> ... (ops of them): every activation meets only its neighbours."""
    b = ModelBuilder()
    t = b.add_input("x", np.float32, [1])
    for _ in range(ops):
        y = b.add_tensor(None, np.float32, [1])
        b.add_op("Relu", [t], [y])
        t = y
    b.mark_output(t)
    return b.finish()


POOLS = [(kind, dtype) for kind in ("MaxPool2D", "AveragePool2D") for dtype in (np.float32, np.int8)]
POOL_IDS = [f"{kind}-{np.dtype(dtype).name}" for kind, dtype in POOLS]


def _default_max_work() -> int:
    from pyruntime._tensorlet import lib

    return int(lib.TL_DEFAULT_MAX_WORK)


# ---- the C API through cffi (the budget boundaries; pyruntime's own keyword is tested below) ----


def _prepare(pyrt: Any, model: bytes, max_work: int = 0) -> tuple[str, str, int]:
    """load -> create (tl_options.max_work) -> prepare; (status name, error message, tl_interpreter_work)."""
    from pyruntime._tensorlet import ffi, lib

    err = ffi.new("char[]", 512)
    model_out = ffi.new("tl_model **")
    status = lib.tl_model_load(model, len(model), model_out, err, 512)
    assert status == lib.TL_OK, ffi.string(err).decode()
    options = ffi.new("tl_options *")
    options.max_work = max_work
    interp_out = ffi.new("tl_interpreter **")
    try:
        assert lib.tl_interpreter_create(model_out[0], options, interp_out) == lib.TL_OK
        try:
            status = lib.tl_interpreter_prepare(interp_out[0])
            message = ffi.string(lib.tl_interpreter_error(interp_out[0])).decode()
            work = int(lib.tl_interpreter_work(interp_out[0]))
        finally:
            lib.tl_interpreter_destroy(interp_out[0])
    finally:
        lib.tl_model_destroy(model_out[0])
    return ffi.string(lib.tl_status_name(status)).decode(), message, work


@pytest.mark.parametrize(("kind", "dtype"), POOLS, ids=POOL_IDS)
def test_huge_window_pool_is_refused_by_pyruntime(pyrt: Any, kind: str, dtype: Any) -> None:
    model = pool_model(kind, dtype)
    assert len(model) < 1024  # a few hundred bytes that used to run for hours
    interp = pyrt.Interpreter(model_content=model)
    with pytest.raises(pyrt.TensorletRuntimeError) as info:
        interp.allocate_tensors()
    assert info.value.status_name == LIMIT
    assert f"op 0 ({kind})" in info.value.message
    assert "raise tl_options.max_work" in info.value.message
    assert interp.arena_bytes == 0


@pytest.mark.parametrize(("kind", "dtype"), POOLS, ids=POOL_IDS)
def test_raising_max_work_lets_the_pool_prepare(pyrt: Any, kind: str, dtype: Any) -> None:
    model = pool_model(kind, dtype)
    status, message, work = _prepare(pyrt, model)
    assert (status, work) == (LIMIT, 0), message
    # SAME padding: every output visits the in-bounds part of its window, at most 2048^4 elements in all
    status, message, work = _prepare(pyrt, model, max_work=2**62)
    assert status == "TL_OK", message
    assert 2048**4 // 4 <= work <= 2**62
    status, message, _ = _prepare(pyrt, model, max_work=work)  # exactly the budget: accepted
    assert status == "TL_OK", message
    status, message, _ = _prepare(pyrt, model, max_work=work - 1)
    assert status == LIMIT, message


@pytest.mark.parametrize(("kind", "dtype"), POOLS[:1], ids=POOL_IDS[:1])
def test_pyruntime_max_work_keyword_and_work_property(pyrt: Any, kind: str, dtype: Any) -> None:
    model = pool_model(kind, dtype)
    _, _, work = _prepare(pyrt, model, max_work=2**62)
    interp = pyrt.Interpreter(model_content=model, max_work=work)
    assert interp.work == 0  # before allocate_tensors
    interp.allocate_tensors()
    assert interp.work == work
    with pytest.raises(pyrt.TensorletRuntimeError) as info:
        pyrt.Interpreter(model_content=model, max_work=work - 1).allocate_tensors()
    assert info.value.status_name == LIMIT
    for bad in (-1, 2**64, 1.5, True, "10"):
        with pytest.raises(ValueError, match="max_work"):
            pyrt.Interpreter(model_content=model, max_work=bad)


def test_chain_prepares_in_c_and_plans_in_python(pyrt: Any) -> None:
    """65,535 chained ops (3.7 MB, within every cap): prepare took 14-17 s and the Python plan 2 minutes."""
    model = chain_model()
    info = read_model(model)
    p = plan_model(info)
    assert p.arena_bytes == 48 == info.metadata.arena_bytes  # the input lives on: three slots
    assert not p.overlaps()
    status, message, work = _prepare(pyrt, model)
    assert status == "TL_OK", message
    assert 0 < work <= _default_max_work()
    # the plan's share: 131,069 pairs alive at once (the input meets every activation, neighbours meet)
    pairs = CHAIN_OPS + CHAIN_OPS - 1
    assert tlm_planner.overlap_pairs(list(p.first.values()), list(p.last.values())) == pairs
    status, message, _ = _prepare(pyrt, model, max_work=work - 1)
    assert status == LIMIT and f"({pairs} pairs of tensors alive at the same time)" in message, message
    with pytest.raises(ValueError, match=f"{pairs} pairs"):
        tlm_planner.plan(
            [t.nbytes for t in info.tensors],
            [t.buffer != 0 for t in info.tensors],
            [(op.inputs, op.outputs) for op in info.ops],
            info.inputs,
            info.outputs,
            max_pairs=pairs - 1,
        )
    interp = pyrt.Interpreter(model_content=model)
    interp.allocate_tensors()
    assert interp.arena_bytes == 48
    (out,) = interp.run(np.array([-2.0], np.float32))
    assert out.tolist() == [0.0]


# ---- the C runtime under ASan+UBSan ----


def _write_corpus(directory: Path, line_suffix: str) -> Path:
    """The four pools (refused) and the chain (runs) with a manifest of "name STATUS<line_suffix>" lines."""
    lines = []
    for (kind, dtype), name in zip(POOLS, POOL_IDS, strict=True):
        (directory / f"{name}.tlm").write_bytes(pool_model(kind, dtype))
        lines.append(f"{name} {LIMIT}{line_suffix}")
    (directory / "chain.tlm").write_bytes(chain_model())
    lines.append(f"chain TL_OK{line_suffix}")
    (directory / "manifest.txt").write_text("\n".join(lines) + "\n")
    return directory


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_corpus(tmp_path_factory.mktemp("work"), " copy")  # test_malformed's manifest: load mode


def test_c_runtime_refuses_the_pools_under_asan(corpus: Path) -> None:
    build("asan", targets=("test_malformed", "tl_run"))
    result = run_tool("asan", "test_malformed", [str(corpus)])
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    # the tool: the message names the op and the knob; --max-work too small refuses even the chain
    result = run_tool("asan", "tl_run", [str(corpus / "MaxPool2D-float32.tlm")])
    assert result.returncode == 1
    assert LIMIT in result.stderr and "op 0 (MaxPool2D)" in result.stderr and "max_work" in result.stderr
    result = run_tool("asan", "tl_run", [str(corpus / "chain.tlm"), "--max-work", "1000"])
    assert result.returncode == 1 and LIMIT in result.stderr, result.stderr
    result = run_tool("asan", "tl_run", [str(corpus / "chain.tlm"), "--max-work", "0"])
    assert result.returncode == 0, result.stderr
    result = run_tool("asan", "tl_run", [str(corpus / "chain.tlm"), "--max-work", "-1"])
    assert result.returncode == 2 and "--max-work" in result.stderr  # usage


# every forced kernel level at 1 and 2 threads (the driver of tests/runtime/test_hardening_geometry.py): the
# pools are refused at prepare with the same status everywhere, and the chain runs, natively, under ASan+UBSan
# and on armhf under qemu
LEVELS = {"native": "reference,portable,avx2,avx512", "asan": "reference,portable,avx2,avx512"}
LEVELS["armhf"] = "reference,portable,neon"


@pytest.fixture(scope="module")
def level_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_corpus(tmp_path_factory.mktemp("work_levels"), "")


@pytest.mark.parametrize("variant", list(LEVELS))
def test_budget_at_every_level_and_thread_count(variant: str, level_corpus: Path) -> None:
    build(variant, targets=("test_geometry_models",))
    result = run_tool(variant, "test_geometry_models", [str(level_corpus), LEVELS[variant]], timeout=600)
    report = result.stdout[-6000:] + result.stderr[-6000:]
    assert result.returncode == 0, report
    assert "5 cases, 0 mismatches" in result.stdout, report
    for name in POOL_IDS:
        assert f"REJECT {name} {LIMIT}" in result.stdout, report


# ---- every model the tests build fits the default budget ----


def _test_models() -> Iterator[tuple[str, bytes]]:
    for case in runtime_op_cases.all_cases():
        yield f"op_{case.name}", case.model
    for case in int8_op_cases.all_cases():
        yield f"int8_{case.name}", case.model
    for name, model in malformed_cases.valid_models().items():
        yield f"valid_{name}", model
    for case in malformed_cases.cases():
        if case.expected == ("TL_OK",) and case.mode == malformed_cases.COPY:
            yield f"malformed_{case.name}", case.data


def _conv_weights(rng: np.random.Generator, shape: tuple[int, ...], int8: bool, axis: int) -> tuple[Any, Any]:
    if not int8:
        return rng.standard_normal(shape).astype(np.float32) * 0.1, None
    channels = shape[axis]
    q = Quantization([0.01] * channels, [0] * channels, axis=axis)
    return rng.integers(-127, 128, shape).astype(np.int8), q


def mobilenet_v2(int8: bool, resolution: int = 224, alpha: float = 1.0) -> bytes:
    """MobileNetV2 (Sandler et al. 2018) with random weights: ~300M multiply-adds at 224, alpha 1.0."""
    rng = np.random.default_rng(3)
    dtype = np.int8 if int8 else np.float32
    act = Quantization(0.05, -10) if int8 else None
    b = ModelBuilder(description="mobilenet_v2")

    def tensor(shape: list[int]) -> int:
        return b.add_tensor(None, dtype, shape, act)

    def bias(n: int) -> int:
        if int8:
            return b.add_constant(None, np.zeros(n, np.int32), Quantization([0.05 * 0.01] * n, [0] * n))
        return b.add_constant(None, np.zeros(n, np.float32))

    def conv(x: int, shape: list[int], cout: int, k: int, stride: int, relu6: bool) -> tuple[int, list[int]]:
        w, q = _conv_weights(rng, (cout, k, k, shape[3]), int8, 0)
        wt = b.add_constant(None, w, q)
        out = [1, -(-shape[1] // stride), -(-shape[2] // stride), cout]
        y = tensor(out)
        b.add_op(
            "Conv2D",
            [x, wt, bias(cout)],
            [y],
            padding="SAME",
            stride_h=stride,
            stride_w=stride,
            activation="RELU6" if relu6 else "NONE",
        )
        return y, out

    def depthwise(x: int, shape: list[int], stride: int) -> tuple[int, list[int]]:
        c = shape[3]
        w, q = _conv_weights(rng, (1, 3, 3, c), int8, 3)
        wt = b.add_constant(None, w, q)
        out = [1, -(-shape[1] // stride), -(-shape[2] // stride), c]
        y = tensor(out)
        b.add_op(
            "DepthwiseConv2D",
            [x, wt, bias(c)],
            [y],
            padding="SAME",
            stride_h=stride,
            stride_w=stride,
            depth_multiplier=1,
            activation="RELU6",
        )
        return y, out

    def ch(c: int) -> int:
        return max(8, int(c * alpha + 4) // 8 * 8)

    x = b.add_input("image", dtype, [1, resolution, resolution, 3], act)
    t, shape = conv(x, [1, resolution, resolution, 3], ch(32), 3, 2, True)
    settings = [
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ]
    for expand, c, repeats, first_stride in settings:
        for i in range(repeats):
            stride = first_stride if i == 0 else 1
            inp, in_shape = t, shape
            if expand != 1:
                t, shape = conv(t, shape, in_shape[3] * expand, 1, 1, True)
            t, shape = depthwise(t, shape, stride)
            t, shape = conv(t, shape, ch(c), 1, 1, False)
            if stride == 1 and in_shape == shape:
                y = tensor(shape)
                b.add_op("Add", [inp, t], [y], activation="NONE")
                t = y
    t, shape = conv(t, shape, 1280, 1, 1, True)
    pooled = tensor([1, 1, 1, 1280])
    b.add_op("AveragePool2D", [t], [pooled], padding="VALID", filter_h=shape[1], filter_w=shape[2])
    flat = tensor([1, 1280])
    b.add_op("Reshape", [pooled], [flat], new_shape=[1, 1280])
    w, q = _conv_weights(rng, (1000, 1280), int8, 0)
    logits = b.add_tensor("logits", dtype, [1, 1000], act)
    b.add_op("FullyConnected", [flat, b.add_constant(None, w, q), bias(1000)], [logits])
    b.mark_output(logits)
    return b.finish()


def test_every_test_model_fits_the_default_budget(pyrt: Any) -> None:
    default = _default_max_work()
    over = []
    count = 0
    for name, model in _test_models():
        status, message, work = _prepare(pyrt, model)
        count += 1
        if status != "TL_OK" or not 0 < work <= default // 10:
            over.append(f"{name}: {status} {message} work {work}")
    assert count > 200
    assert not over, over[:10]


@pytest.mark.parametrize("int8", [False, True], ids=["float32", "int8"])
def test_mobilenet_v2_fits_the_default_budget(pyrt: Any, int8: bool) -> None:
    status, message, work = _prepare(pyrt, mobilenet_v2(int8))
    assert status == "TL_OK", message
    assert 0 < work <= _default_max_work() // 2  # room to spare


# ---- the planner mirror ----


def _random_graph(
    rng: np.random.Generator,
) -> tuple[list[int], list[bool], list[tuple[list[int], list[int]]], list[int], list[int]]:
    """A random DAG for the planner (sizes with many ties, some constants, several inputs and outputs)."""
    n_in = int(rng.integers(1, 4))
    n_ops = int(rng.integers(0, 40))
    sizes = [int(rng.choice([0, 4, 16, 17, 64, 100]) * rng.integers(1, 4)) for _ in range(n_in)]
    constant = [False] * n_in
    ops = []
    for _ in range(n_ops):
        k = int(rng.integers(1, 4))
        ins = [int(t) for t in rng.integers(0, len(sizes), k)]
        if rng.random() < 0.3:
            sizes.append(16)
            constant.append(True)
            ins.append(len(sizes) - 1)
        sizes.append(int(rng.choice([0, 4, 16, 17, 64, 100]) * rng.integers(1, 4)))
        constant.append(False)
        ops.append((ins, [len(sizes) - 1]))
    outs = sorted({int(t) for t in rng.integers(0, len(sizes), int(rng.integers(1, 4))) if not constant[t]})
    return sizes, constant, ops, list(range(n_in)), outs or [len(sizes) - 1]


def _quadratic_plan(sizes: list[int], first: dict[int, int], last: dict[int, int]) -> dict[int, int]:
    """The planner before the overlap index: every placed tensor is checked against the new one."""
    offsets: dict[int, int] = {}
    for t in sorted(first, key=lambda t: (-tlm_planner.align_up(sizes[t]), t)):
        size = tlm_planner.align_up(sizes[t])
        live = [p for p in offsets if first[p] <= last[t] and first[t] <= last[p]]
        live.sort(key=lambda p: (offsets[p], p))
        candidate = 0
        for p in live:
            if offsets[p] >= candidate + size:
                break
            candidate = max(candidate, offsets[p] + tlm_planner.align_up(sizes[p]))
        offsets[t] = candidate
    return offsets


def test_python_planner_matches_the_quadratic_one_and_c(pyrt: Any) -> None:
    rng = np.random.default_rng(20261207)
    for _ in range(120):
        sizes, constant, ops, inputs, outputs = _random_graph(rng)
        p = tlm_planner.plan(sizes, constant, ops, inputs, outputs)
        assert p.offsets == _quadratic_plan(sizes, p.first, p.last)
        assert not p.overlaps()
        lifetimes = [(p.first[t], p.last[t]) for t in p.offsets]
        brute = sum(
            1 for i, (a, b) in enumerate(lifetimes) for c, d in lifetimes[i + 1 :] if a <= d and c <= b
        )
        assert tlm_planner.overlap_pairs([f for f, _ in lifetimes], [e for _, e in lifetimes]) == brute
    # the C runtime agrees on models built from such graphs (float32 [n] tensors: Add/Relu chains)
    for _ in range(40):
        b = ModelBuilder()
        n_in = int(rng.integers(1, 4))
        shapes = [[int(rng.choice([1, 4, 5, 16]))] for _ in range(n_in)]
        tensors = [b.add_input(f"x{i}", np.float32, shape) for i, shape in enumerate(shapes)]
        for _ in range(int(rng.integers(1, 30))):
            src = int(rng.integers(0, len(tensors)))
            if rng.random() < 0.5:
                y = b.add_tensor(None, np.float32, shapes[src])
                b.add_op("Relu", [tensors[src]], [y])
            else:
                same = [i for i, s in enumerate(shapes) if s == shapes[src]]
                other = same[int(rng.integers(0, len(same)))]
                y = b.add_tensor(None, np.float32, shapes[src])
                b.add_op("Add", [tensors[src], tensors[other]], [y], activation="NONE")
            tensors.append(y)
            shapes.append(shapes[src])
        for t in sorted({int(i) for i in rng.integers(n_in, len(tensors), 3)}):
            b.mark_output(tensors[t])
        model = b.finish()
        info = read_model(model)
        interp = pyrt.Interpreter(model_content=model)
        interp.allocate_tensors()
        assert interp.arena_bytes == plan_model(info).arena_bytes == info.metadata.arena_bytes


def test_python_planner_pair_limit() -> None:
    # five tensors alive together: 10 pairs
    sizes, constant = [16] * 5, [False] * 5
    ops = [([0], [1]), ([0], [2]), ([0], [3]), ([0, 1, 2, 3], [4])]
    assert tlm_planner.plan(sizes, constant, ops, [0], [4], max_pairs=10).arena_bytes > 0
    with pytest.raises(ValueError, match="10 pairs"):
        tlm_planner.plan(sizes, constant, ops, [0], [4], max_pairs=9)
    assert tlm_planner.plan(sizes, constant, ops, [0], [4], max_pairs=None).arena_bytes > 0
    assert tlm_planner.DEFAULT_MAX_PAIRS == tlm_planner.DEFAULT_MAX_WORK // tlm_planner.WORK_PER_PLAN_PAIR


def test_python_constants_mirror_the_c_headers() -> None:
    root = Path(__file__).resolve().parents[2]
    header = (root / "runtime_c" / "include" / "tensorlet.h").read_text()
    internal = (root / "runtime_c" / "src" / "interpreter.h").read_text()
    assert f"#define TL_DEFAULT_MAX_WORK {tlm_planner.DEFAULT_MAX_WORK}u" in header
    assert f"#define TL_WORK_PER_PLAN_PAIR {tlm_planner.WORK_PER_PLAN_PAIR}u" in internal
