"""pyruntime's tflite_runtime methods on small hand-built models: tensor(), resize_tensor_input with a batch,
get_tensor_details, experimental_preserve_all_tensors, the signature runner, and outputs before invoke."""

from __future__ import annotations

import contextlib
import gc
import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

from trainer.tlm import ModelBuilder


@pytest.fixture(scope="module")
def pyrt() -> Any:
    ensure_pyruntime()
    import pyruntime

    return pyruntime


W = np.arange(12, dtype=np.float32).reshape(3, 4) / 10 - 0.5
B = np.array([0.1, -0.2, 0.3], np.float32)


def _mlp() -> bytes:
    """features[2, 4] -> FullyConnected(W, B) + Relu -> hidden[2, 3]; out = hidden + shift[3]. Tensors:
    features 0, hidden 1, w 2, b 3, shift 4, out 5."""
    b = ModelBuilder()
    x = b.add_input("features", np.float32, [2, 4])
    h = b.add_tensor("hidden", np.float32, [2, 3])
    b.add_op("FullyConnected", [x, b.add_constant("w", W), b.add_constant("b", B)], [h], activation="RELU")
    s = b.add_input("shift", np.float32, [3])
    y = b.add_tensor("out", np.float32, [2, 3])
    b.add_op("Add", [h, s], [y])
    b.mark_output(y)
    return b.finish()


def _numpy(x: np.ndarray, shift: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    hidden = np.maximum(x @ W.T + B, 0)
    return hidden, hidden + shift


def test_outputs_before_invoke_are_zeros(pyrt) -> None:
    it = pyrt.Interpreter(model_content=_mlp())
    it.allocate_tensors()
    np.testing.assert_array_equal(it.get_tensor(5), np.zeros((2, 3), np.float32))


def test_tensor_details_list_every_tensor(pyrt) -> None:
    it = pyrt.Interpreter(model_content=_mlp())
    details = it.get_tensor_details()
    assert [(d["index"], d["name"]) for d in details] == [
        (0, "features"), (1, "hidden"), (2, "w"), (3, "b"), (4, "shift"), (5, "out"),
    ]  # fmt: skip
    assert [list(d["shape"]) for d in details] == [[2, 4], [2, 3], [3, 4], [3], [3], [2, 3]]
    assert all(d["dtype"] is np.float32 for d in details)
    it.allocate_tensors()
    np.testing.assert_array_equal(it.get_tensor(2), W)  # constants read back
    np.testing.assert_array_equal(it.get_tensor(3), B)


def test_intermediates_need_preserve_all_tensors(pyrt) -> None:
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
    shift = np.array([1, 2, 3], np.float32)
    hidden, out = _numpy(x, shift)
    it = pyrt.Interpreter(model_content=_mlp())
    np.testing.assert_allclose(it.run(x, shift)[0], out, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="experimental_preserve_all_tensors=True"):
        it.get_tensor(1)
    kept = pyrt.Interpreter(model_content=_mlp(), experimental_preserve_all_tensors=True)
    kept.run(x, shift)
    np.testing.assert_allclose(kept.get_tensor(1), hidden, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(kept.tensor(1)(), hidden, rtol=1e-6, atol=1e-6)


def test_tensor_returns_views_valid_until_allocate(pyrt) -> None:
    it = pyrt.Interpreter(model_content=_mlp())
    it.allocate_tensors()
    inp, out = it.tensor(0), it.tensor(5)
    inp()[:] = 1.0  # write the input in place
    it.tensor(4)()[:] = 0.5
    it.invoke()
    want = _numpy(np.ones((2, 4), np.float32), np.full(3, 0.5, np.float32))[1]
    np.testing.assert_allclose(out(), want, rtol=1e-6)
    view = out()
    assert view.base is not None and not view.flags.owndata  # no copy
    inp()[:] = 0.0
    it.invoke()
    np.testing.assert_allclose(view, _numpy(np.zeros((2, 4), np.float32), np.full(3, 0.5, np.float32))[1])
    with pytest.raises(RuntimeError, match="reference to internal data"):
        it.allocate_tensors()  # would move the arena under the view
    with pytest.raises(RuntimeError, match="reference to internal data"):
        it.resize_tensor_input(0, [4, 4])
    with pytest.raises(RuntimeError, match="tensor\\(\\) is alive"):
        it.close()  # would free the memory under the view
    del view
    gc.collect()
    it.allocate_tensors()
    it.close()


def test_resize_input_to_a_batch(pyrt) -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((8, 4)).astype(np.float32)
    shift = rng.standard_normal(3).astype(np.float32)
    it = pyrt.Interpreter(model_content=_mlp())
    it.allocate_tensors()
    small = it.arena_bytes
    it.resize_tensor_input(0, [8, 4])
    d = it.get_input_details()[0]
    assert list(d["shape"]) == [8, 4] and list(d["shape_signature"]) == [2, 4]
    with pytest.raises(pyrt.TensorletRuntimeError, match="TL_ERROR_BAD_STATE"):
        it.invoke()  # allocate_tensors first, as TFLite
    it.allocate_tensors()
    assert list(it.get_output_details()[0]["shape"]) == [8, 3] and it.arena_bytes > small
    it.set_tensor(0, x)
    it.set_tensor(4, shift)
    it.invoke()
    np.testing.assert_allclose(it.get_tensor(5), _numpy(x, shift)[1], rtol=1e-5, atol=1e-6)
    # back to the model's batch
    it.resize_tensor_input(0, np.array([2, 4], np.int32))
    it.allocate_tensors()
    assert it.arena_bytes == small and list(it.get_output_details()[0]["shape"]) == [2, 3]


def test_resize_errors_are_clear(pyrt) -> None:
    it = pyrt.Interpreter(model_content=_mlp())
    with pytest.raises(ValueError, match="not an input"):
        it.resize_tensor_input(5, [4, 3])
    with pytest.raises(ValueError, match="strict"):
        it.resize_tensor_input(0, [4, 4], strict=True)
    with pytest.raises(ValueError, match=r"\[1, 2\*\*31\)"):
        it.resize_tensor_input(0, [0, 4])
    with pytest.raises(pyrt.TensorletRuntimeError, match="only its batch"):
        it.resize_tensor_input(0, [2, 5])
    it.resize_tensor_input(0, [2, 4], strict=True)  # no change is fine
    # an op that cannot take another batch fails allocate_tensors naming itself
    b = ModelBuilder()
    x = b.add_input("x", np.float32, [2, 3])
    y = b.add_tensor("flat", np.float32, [6])
    b.add_op("Reshape", [x], [y], new_shape=[6])
    b.mark_output(y)
    flat = pyrt.Interpreter(model_content=b.finish())
    flat.resize_tensor_input(0, [4, 3])
    with pytest.raises(pyrt.TensorletRuntimeError, match=r"op 0 \(Reshape\)"):
        flat.allocate_tensors()


def test_signature_runner(pyrt) -> None:
    it = pyrt.Interpreter(model_content=_mlp())
    signature = {"inputs": ["features", "shift"], "outputs": ["out"]}
    assert it.get_signature_list() == {"serving_default": signature}
    runner = it.get_signature_runner()
    assert list(runner.get_input_details()) == ["features", "shift"]
    assert runner.get_output_details()["out"]["index"] == 5
    x = np.ones((5, 4), np.float32)  # another batch: the runner resizes, as TFLite's
    shift = np.zeros(3, np.float32)
    got = runner(features=x, shift=shift)
    assert list(got) == ["out"]
    np.testing.assert_allclose(got["out"], _numpy(x, shift)[1], rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match=r"unknown \['image'\]; missing \['features'\]"):
        runner(image=x, shift=shift)
    with pytest.raises(ValueError, match="no signature 'train'"):
        it.get_signature_runner("train")


# ---- docs/runtime.md section 9 runs as written ----

ROOT = Path(__file__).resolve().parents[2]


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_runtime_doc_section_9_runs_and_prints_what_it_says(pyrt, tmp_path: Path, monkeypatch) -> None:
    doc = (ROOT / "docs" / "runtime.md").read_text()
    section = doc[doc.index("## 9. Python") : doc.index("## 10. ")]
    code, printed = _blocks(section, "python"), re.findall(r"\nprints\n\n```\n(.*?)```", section, flags=re.S)
    assert len(code) == len(printed) == 2
    monkeypatch.chdir(tmp_path)
    scope: dict[str, Any] = {}
    with contextlib.redirect_stdout(io.StringIO()):  # docs/format.md's tiny CNN writes tiny.tlm
        exec(_blocks((ROOT / "docs" / "format.md").read_text(), "python")[0], {})
    for block, want in zip(code, printed, strict=True):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(block, scope)
        assert out.getvalue() == want
