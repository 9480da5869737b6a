"""Op cases for the fake-quantization ops (``trainer/ops/fake_quant_ops.py``): forward values against
TensorFlow's own outputs, stored in ``tf1_fixtures/fake_quant.npz`` (``scripts/make_fake_quant_fixtures.py``).

Appended to ``trainer_op_cases.CASES`` by ``fake_quant_cases(OpCase)``. Their gradients are straight-through
estimators, which central differences cannot check (the rounded function is flat almost everywhere):
``grad=False`` here, and tests/trainer/test_fake_quant.py compares the gradients with TensorFlow's instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import trainer as tf

FIXTURES = np.load(Path(__file__).parent / "tf1_fixtures" / "fake_quant.npz")
FAKE_QUANT_MODULES = ("fake_quant_ops",)


def fixture(kind: str, i: int) -> dict[str, np.ndarray]:
    """The arrays of TensorFlow case ``<kind><i>`` (kind: args, vars or channel) by field name."""
    prefix = f"{kind}{i}_"
    return {k[len(prefix) :]: FIXTURES[k] for k in FIXTURES.files if k.startswith(prefix)}


def fixture_count(kind: str) -> int:
    return sum(1 for k in FIXTURES.files if k.startswith(kind) and k.endswith("_x"))


def _bits(f: dict[str, np.ndarray]) -> dict[str, object]:
    return {"num_bits": int(f["num_bits"]), "narrow_range": bool(f["narrow_range"])}


def _args_case(OpCase: Any, i: int) -> list[Any]:  # noqa: N803 - the class
    f = fixture("args", i)
    kw = {"min": float(f["min"]), "max": float(f["max"]), **_bits(f)}
    return [
        OpCase(
            "FakeQuantWithMinMaxArgs",
            lambda x: tf.quantization.fake_quant_with_min_max_args(x, **kw),
            [f["x"]],
            lambda x: f["out"],
            grad=False,
            name=f"FakeQuantWithMinMaxArgs_{i}",
        ),
        OpCase(
            "FakeQuantWithMinMaxArgsGradient",
            lambda g, x: tf.gradients(tf.quantization.fake_quant_with_min_max_args(x, **kw), x, grad_ys=g)[0],
            [f["g"], f["x"]],
            lambda g, x: f["dx"],
            grad=False,
            name=f"FakeQuantWithMinMaxArgsGradient_{i}",
        ),
    ]


def _vars_case(OpCase: Any, kind: str, i: int) -> list[Any]:  # noqa: N803 - the class
    f = fixture(kind, i)
    fn = (
        tf.quantization.fake_quant_with_min_max_vars
        if kind == "vars"
        else tf.quantization.fake_quant_with_min_max_vars_per_channel
    )
    op = "FakeQuantWithMinMaxVars" if kind == "vars" else "FakeQuantWithMinMaxVarsPerChannel"
    bits = _bits(f)
    ins = [f["x"], f["min"], f["max"]]
    return [
        OpCase(
            op,
            lambda x, lo, hi: fn(x, lo, hi, **bits),
            ins,
            lambda *a: f["out"],
            grad=False,
            name=f"{op}_{i}",
        ),
        OpCase(
            f"{op}Gradient",
            lambda g, x, lo, hi: tf.gradients(fn(x, lo, hi, **bits), [x, lo, hi], grad_ys=g),
            [f["g"], *ins],
            lambda *a: [f["dx"], f["dmin"], f["dmax"]],
            grad=False,
            name=f"{op}Gradient_{i}",
        ),
    ]


def fake_quant_cases(OpCase: Any) -> list[Any]:  # noqa: N803 - the class
    """Forward cases (ops and their gradient ops) for trainer_op_cases.CASES."""
    return [
        *(c for i in (0, 3) for c in _args_case(OpCase, i)),
        *(c for i in (1, 5) for c in _vars_case(OpCase, "vars", i)),
        *(c for i in (0, 1) for c in _vars_case(OpCase, "channel", i)),
    ]
