"""pyruntime.Interpreter: the tflite_runtime-style API over the C runtime."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from runtime_op_cases import all_cases, ensure_pyruntime

from trainer.tlm import ModelBuilder, Quantization, plan_model, read_model


@pytest.fixture(scope="module")
def pyrt():
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def _mlp() -> tuple[bytes, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    bias = rng.standard_normal(3).astype(np.float32)
    b = ModelBuilder(description="mlp")
    x = b.add_input("features", np.float32, [2, 4])
    h = b.add_tensor("hidden", np.float32, [2, 3])
    b.add_op("FullyConnected", [x, b.add_constant("w", w), b.add_constant("b", bias)], [h], activation="RELU")
    s = b.add_input("shift", np.float32, [3])
    y = b.add_tensor("out", np.float32, [2, 3])
    b.add_op("Add", [h, s], [y])
    b.mark_output(y)
    b.mark_output(h)
    return b.finish(), w, bias


def _quant_model() -> bytes:
    b = ModelBuilder()
    x = b.add_input("x", np.float32, [2, 5])
    q = b.add_tensor("q", np.int8, [2, 5], Quantization(0.1, -3))
    b.add_op("Quantize", [x], [q])
    y = b.add_tensor("y", np.float32, [2, 5])
    b.add_op("Dequantize", [q], [y])
    b.mark_output(q)
    b.mark_output(y)
    return b.finish()


def test_details(pyrt) -> None:
    model, _, _ = _mlp()
    interp = pyrt.Interpreter(model_content=model)
    ins, outs = interp.get_input_details(), interp.get_output_details()
    assert [d["name"] for d in ins] == ["features", "shift"]
    assert [d["name"] for d in outs] == ["out", "hidden"]
    assert [d["index"] for d in ins + outs] == [0, 4, 5, 1]  # the model's tensor indices, as TFLite
    assert ins[0]["shape"].dtype == np.int32 and list(ins[0]["shape"]) == [2, 4]
    assert list(outs[0]["shape"]) == [2, 3]
    assert ins[0]["dtype"] is np.float32
    assert ins[0]["quantization"] == (0.0, 0)
    qp = ins[0]["quantization_parameters"]
    assert qp["scales"].size == 0 and qp["zero_points"].size == 0 and qp["quantized_dimension"] == 0
    ins[0]["shape"][0] = 99  # details are copies
    assert interp.get_input_details()[0]["shape"][0] == 2


def test_quantized_details_and_values(pyrt) -> None:
    interp = pyrt.Interpreter(model_content=_quant_model())
    q = interp.get_output_details()[0]
    assert q["dtype"] is np.int8
    assert q["quantization"] == (pytest.approx(0.1), -3)
    qp = q["quantization_parameters"]
    assert qp["scales"].dtype == np.float32 and qp["scales"].tolist() == [pytest.approx(0.1)]
    assert qp["zero_points"].tolist() == [-3]
    x = np.array([[0.0, 0.26, -0.33, 100.0, -100.0], [1.04, -1.04, 0.5, 12.0, -12.0]], np.float32)
    qv, yv = interp.run(x)
    expected = np.clip(np.round(x.astype(np.float64) / np.float64(np.float32(0.1))) - 3, -128, 127)
    np.testing.assert_array_equal(qv, expected.astype(np.int8))
    np.testing.assert_allclose(yv, np.float32(0.1) * (expected + 3), rtol=1e-6)


def test_run_and_invoke_agree_with_numpy(pyrt) -> None:
    model, w, bias = _mlp()
    interp = pyrt.Interpreter(model_content=model)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 4)).astype(np.float32)
    s = rng.standard_normal(3).astype(np.float32)
    hidden = np.maximum(x.astype(np.float64) @ w.T + bias, 0)
    out, hid = interp.run(x, s)
    np.testing.assert_allclose(hid, hidden, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, hidden + s, rtol=1e-5, atol=1e-6)
    # The explicit tflite-style sequence gives the same result.
    interp2 = pyrt.Interpreter(model_content=model)
    interp2.allocate_tensors()
    interp2.set_tensor(0, x)  # tensor indices are the model's: features 0, shift 4, out 5
    interp2.set_tensor(4, s)
    np.testing.assert_array_equal(interp2.get_tensor(0), x)  # inputs read back until invoke reuses them
    interp2.invoke()
    np.testing.assert_array_equal(interp2.get_tensor(5), out)
    got = interp2.get_tensor(5)
    got[:] = 0  # a copy
    np.testing.assert_array_equal(interp2.get_tensor(5), out)


def test_model_path_and_constructor_errors(pyrt, tmp_path) -> None:
    model, _, _ = _mlp()
    path = tmp_path / "mlp.tlm"
    path.write_bytes(model)
    interp = pyrt.Interpreter(model_path=str(path))
    assert interp.get_input_details()[0]["name"] == "features"
    with pytest.raises(ValueError, match="exactly one"):
        pyrt.Interpreter()
    with pytest.raises(ValueError, match="exactly one"):
        pyrt.Interpreter(model_path=str(path), model_content=model)
    with pytest.raises(FileNotFoundError):
        pyrt.Interpreter(model_path=str(tmp_path / "missing.tlm"))
    with pytest.raises(TypeError, match="bytes-like"):
        pyrt.Interpreter(model_content=5)
    with pytest.raises(ValueError, match="num_threads"):
        pyrt.Interpreter(model_content=model, num_threads=0)
    # Any bytes-like object works, and the C runtime keeps its own copy.
    buf = bytearray(model)
    interp = pyrt.Interpreter(model_content=memoryview(buf))
    buf[:] = bytes(len(buf))
    assert len(interp.run(np.ones((2, 4), np.float32), np.ones(3, np.float32))) == 2


def test_set_tensor_errors(pyrt) -> None:
    model, _, _ = _mlp()
    interp = pyrt.Interpreter(model_content=model)
    interp.allocate_tensors()
    x = np.zeros((2, 4), np.float32)
    with pytest.raises(ValueError, match="dtype float64, expected float32"):
        interp.set_tensor(0, x.astype(np.float64))
    with pytest.raises(ValueError, match=r"shape \(4, 2\), expected \(2, 4\)"):
        interp.set_tensor(0, x.reshape(4, 2))
    with pytest.raises(ValueError, match=r"shape \(8,\)"):
        interp.set_tensor(0, x.reshape(8))
    with pytest.raises(ValueError, match="out of range"):
        interp.set_tensor(6, x)
    with pytest.raises(ValueError, match="out of range"):
        interp.set_tensor(-1, x)
    with pytest.raises(ValueError, match="is an output"):
        interp.set_tensor(5, np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="not an input"):
        interp.set_tensor(2, np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match="numpy array"):
        interp.set_tensor(0, x.tolist())
    with pytest.raises(ValueError, match="out of range"):
        interp.get_tensor(7)
    with pytest.raises(ValueError, match="takes 2 inputs, got 1"):
        interp.run(x)
    # A non-contiguous view of the right dtype and shape is accepted (copied, not cast).
    big = np.arange(16, dtype=np.float32).reshape(4, 4)
    interp.set_tensor(0, big[::2])
    np.testing.assert_array_equal(interp.get_tensor(0), big[::2])


def test_c_level_length_and_dtype_checks(pyrt) -> None:
    """The C API itself refuses wrong byte lengths and dtypes (pyruntime checks first, C checks again)."""
    from pyruntime._tensorlet import ffi, lib

    model, _, _ = _mlp()
    interp = pyrt.Interpreter(model_content=model)
    interp.allocate_tensors()
    buf = np.zeros(8, np.float32)
    ptr = ffi.from_buffer(buf)
    assert (
        lib.tl_interpreter_set_input(interp._interp, 0, ptr, 31, lib.TL_FLOAT32) == lib.TL_ERROR_SIZE_MISMATCH
    )
    assert (
        lib.tl_interpreter_set_input(interp._interp, 0, ptr, 32, lib.TL_INT32) == lib.TL_ERROR_DTYPE_MISMATCH
    )
    assert (
        lib.tl_interpreter_set_input(interp._interp, 5, ptr, 32, lib.TL_FLOAT32)
        == lib.TL_ERROR_INVALID_ARGUMENT
    )
    assert lib.tl_interpreter_set_input(interp._interp, 0, ptr, 32, lib.TL_FLOAT32) == lib.TL_OK


def test_invoke_before_allocate(pyrt) -> None:
    model, _, _ = _mlp()
    interp = pyrt.Interpreter(model_content=model)
    with pytest.raises(pyrt.TensorletRuntimeError) as info:
        interp.invoke()
    assert info.value.status_name == "TL_ERROR_BAD_STATE"
    assert isinstance(info.value, RuntimeError)
    with pytest.raises(pyrt.TensorletRuntimeError, match="TL_ERROR_BAD_STATE"):
        interp.set_tensor(0, np.zeros((2, 4), np.float32))
    assert interp.arena_bytes == 0
    interp.allocate_tensors()
    interp.set_tensor(0, np.zeros((2, 4), np.float32))
    interp.set_tensor(4, np.zeros(3, np.float32))
    interp.invoke()


def test_invalid_models_carry_the_c_message(pyrt) -> None:
    b = ModelBuilder(check=False)
    x = b.add_input("x", np.float32, [1, 4, 4, 1])
    w = b.add_constant("w", np.ones((1, 3, 3, 1), np.float32))
    y = b.add_tensor("y", np.float32, [1, 4, 4, 1])
    b.add_op("Conv2D", [x, w], [y], stride_h=0)
    b.mark_output(y)
    with pytest.raises(pyrt.TensorletRuntimeError) as info:
        pyrt.Interpreter(model_content=b.finish()).allocate_tensors()
    err = info.value
    assert err.status_name == "TL_ERROR_BAD_OPTIONS"
    assert "stride_h" in err.message and "op 0" in err.message
    assert str(err).startswith("TL_ERROR_BAD_OPTIONS: ")

    with pytest.raises(pyrt.TensorletRuntimeError) as info:
        pyrt.Interpreter(model_content=b"\x10\x00\x00\x00NOPE" + bytes(24))
    assert info.value.status_name == "TL_ERROR_BAD_IDENTIFIER" and info.value.message

    b = ModelBuilder(check=False)
    x = b.add_input("x", np.float32, [2])
    y = b.add_tensor("y", np.float32, [2])
    b.add_op("Relu", [x], [7])
    b.mark_output(y)
    with pytest.raises(pyrt.TensorletRuntimeError) as info:
        pyrt.Interpreter(model_content=b.finish())
    assert info.value.status_name == "TL_ERROR_BAD_REFERENCE" and "7" in info.value.message


def test_arena_bytes_match_python_planner(pyrt) -> None:
    models = [_mlp()[0], _quant_model()] + [c.model for c in all_cases()]
    for model in models:
        info = read_model(model)
        interp = pyrt.Interpreter(model_content=model)
        interp.allocate_tensors()
        expected = plan_model(info).arena_bytes
        assert interp.arena_bytes == expected == info.metadata.arena_bytes == interp.planned_arena_bytes


def test_close_and_version(pyrt) -> None:
    model, _, _ = _mlp()
    with pyrt.Interpreter(model_content=model) as interp:
        interp.allocate_tensors()
    with pytest.raises(ValueError, match="closed"):
        interp.invoke()
    interp.close()  # idempotent
    assert pyrt.version()


def _random_graph(rng: np.random.Generator) -> tuple[bytes, list[np.ndarray], list[np.ndarray]]:
    """A random DAG of rank-1 ops with varied sizes, many consumers and intermediate outputs."""
    b = ModelBuilder(description="random dag")
    ids, vals = [], []
    feeds = []
    for i in range(int(rng.integers(1, 4))):
        v = rng.standard_normal(int(rng.integers(1, 70))).astype(np.float32)
        ids.append(b.add_input(f"in{i}", np.float32, v.shape))
        vals.append(v.astype(np.float64))
        feeds.append(v)

    def emit(opcode, srcs, value, **options):
        t = b.add_tensor(f"t{len(ids)}", np.float32, value.shape)
        b.add_op(opcode, [ids[s] for s in srcs], [t], **options)
        ids.append(t)
        vals.append(value)

    for _ in range(int(rng.integers(1, 14))):
        kind = int(rng.integers(0, 5))
        a = int(rng.integers(0, len(ids)))
        if kind == 0:
            emit("Relu", [a], np.maximum(vals[a], 0))
        elif kind == 1:
            srcs = [int(s) for s in rng.integers(0, len(ids), int(rng.integers(2, 4)))]
            emit("Concatenation", srcs, np.concatenate([vals[s] for s in srcs]), axis=0)
        elif kind == 2:
            emit("Mean", [a], vals[a].mean(keepdims=True), axes=[0], keep_dims=True)
            emit("Mul", [a, len(ids) - 1], vals[a] * vals[-1])
        elif kind == 3:
            before, after = (int(v) for v in rng.integers(0, 40, 2))
            emit("Pad", [a], np.pad(vals[a], (before, after)), paddings=[before, after])
        else:
            emit("Add", [a, a], np.clip(vals[a] + vals[a], 0, 6), activation="RELU6")
    outs = sorted({len(ids) - 1, int(rng.integers(0, len(ids)))})
    for o in outs:
        b.mark_output(ids[o])
    return b.finish(), feeds, [vals[o] for o in outs]


def test_random_graphs_arena_and_values(pyrt) -> None:
    """C arena == Python planner on random DAGs, and reusing arena memory never corrupts a live tensor."""
    rng = np.random.default_rng(77)
    for _ in range(60):
        model, feeds, expected = _random_graph(rng)
        info = read_model(model)
        interp = pyrt.Interpreter(model_content=model)
        outs = interp.run(*feeds)
        p = plan_model(info)
        assert interp.arena_bytes == p.arena_bytes == info.metadata.arena_bytes
        assert p.lower_bound() <= p.arena_bytes and not p.overlaps()
        assert len(outs) == len(expected)
        for got, exp in zip(outs, expected, strict=True):
            np.testing.assert_allclose(got, exp, rtol=1e-5, atol=1e-6)


def test_pyruntime_depends_on_numpy_and_cffi_only(pyrt) -> None:
    code = (
        "import sys, pyruntime; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('trainer', 'flatbuffers')); "
        "assert not bad, bad"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, timeout=60)


def _c_names(text: str) -> tuple[set[str], set[str]]:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    functions = set(re.findall(r"\b(tl_\w+)\s*\(", text))
    constants = set(re.findall(r"\b(TL_[A-Z0-9_]+)\s*=", text)) | set(re.findall(r"#define\s+(TL_\w+)", text))
    return functions, constants


def test_cdef_mirrors_the_public_header() -> None:
    """Every function, enum value and constant of tensorlet.h is declared to cffi (API mode checks types)."""
    build = pytest.importorskip("pyruntime._build")
    root = Path(__file__).resolve().parents[2]
    header_fns, header_consts = _c_names((root / "runtime_c" / "include" / "tensorlet.h").read_text())
    cdef_fns, cdef_consts = _c_names(build.CDEF)
    header_consts.discard("TENSORLET_H")
    assert header_fns == cdef_fns
    assert header_consts == cdef_consts
