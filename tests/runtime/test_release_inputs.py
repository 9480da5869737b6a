"""tl_options.release_inputs (pyruntime ``release_inputs=True``): graph inputs end at their last reader in the
arena plan (TFLite Micro's rule), so later tensors reuse their bytes.

Checked: the C planner and its Python mirror (trainer/tlm/planner.py) agree on the arena with the option, on
every runtime parity case and the imported MLPerf-Tiny-shaped fixtures; the arena never grows; outputs are
the same as without the option, invoke after invoke with fresh inputs; and the input's bytes really are
reused (its value after invoke is no longer what was set), which is the documented price.
"""

from __future__ import annotations

import numpy as np
import pytest
from runtime_op_cases import all_cases, ensure_pyruntime
from tflite_fixtures import fixture, random_input

from trainer.lite.tflite import from_tflite
from trainer.tlm import plan_model, read_model

INT8 = ["kws_ds_cnn_int8", "ic_resnet8_int8", "vww_mobilenet_025_int8", "ad_autoencoder_int8"]
FIXTURES = ["kws_ds_cnn", *INT8]


@pytest.fixture(scope="module")
def pyrt():
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def _models() -> list[tuple[str, bytes]]:
    cases = [(f"case{k}", c.model) for k, c in enumerate(all_cases())]
    return cases + [(name, from_tflite(fixture(name))) for name in FIXTURES]


def test_arena_matches_the_python_planner_and_never_grows(pyrt) -> None:
    shrunk = []
    for name, model in _models():
        info = read_model(model)
        kept = pyrt.Interpreter(model_content=model)
        kept.allocate_tensors()
        released = pyrt.Interpreter(model_content=model, release_inputs=True)
        released.allocate_tensors()
        expected = plan_model(info, release_inputs=True).arena_bytes
        assert released.arena_bytes == expected, name
        assert kept.arena_bytes == plan_model(info).arena_bytes, name
        assert released.arena_bytes <= kept.arena_bytes, name
        assert released.required_memory_bytes <= kept.required_memory_bytes, name
        if released.arena_bytes < kept.arena_bytes:
            shrunk.append(name)
    # the input is the largest tensor alive at the peak of these models: the arena shrinks by about it
    assert set(INT8) <= set(shrunk)


@pytest.mark.parametrize("name", ["kws_ds_cnn_int8", "ad_autoencoder_int8"])
def test_outputs_unchanged_and_input_bytes_reused(pyrt, name) -> None:
    model = from_tflite(fixture(name))
    kept = pyrt.Interpreter(model_content=model, kernels="reference")
    released = pyrt.Interpreter(model_content=model, kernels="reference", release_inputs=True)
    kept.allocate_tensors()
    released.allocate_tensors()
    (detail,) = released.get_input_details()
    rng = np.random.default_rng(5)
    overwritten = 0
    for _ in range(4):
        x = random_input(detail, rng)
        np.testing.assert_array_equal(kept.run(x)[0], released.run(x)[0])
        overwritten += not np.array_equal(released.get_tensor(detail["index"]), x)
        np.testing.assert_array_equal(kept.get_tensor(detail["index"]), x)  # the default keeps it
    assert overwritten == 4
