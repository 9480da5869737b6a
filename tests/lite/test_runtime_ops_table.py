"""The op table of trainer/runtime_ops: every runtime op has one stanza with every rule the Python side needs,
and the modules that read the table do not switch on op names again."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from trainer.freeze import FUSED
from trainer.lite import supported_op_types
from trainer.runtime_ops import LOWERINGS, OPS, RuntimeOp, _table
from trainer.tlm.builder import OPCODES

ROOT = Path(__file__).resolve().parents[2]
# The readers of the table: none of them may name a runtime op in a comparison or a table of their own.
READERS = [
    "trainer/runtime_ops/interpreter.py",
    "trainer/quant/ptq.py",
    "trainer/quant/float16.py",
    "trainer/quant/kernels_int8.py",
    "trainer/lite/lowering.py",
]


def test_every_schema_op_has_one_stanza() -> None:
    assert set(OPS) == set(OPCODES)


def test_every_op_has_an_int8_reference_and_every_float_op_a_float_one() -> None:
    assert all(op.int8 is not None for op in OPS.values())
    assert {n for n, op in OPS.items() if op.reference is None} == {"Quantize", "Dequantize"}


def test_quantization_rules_are_consistent() -> None:
    for op in OPS.values():
        assert not (op.fixed_output_quant and op.keeps_input_quant), op.name
    assert {n: op.weight_axis for n, op in OPS.items() if op.weight_axis is not None} == {
        "FullyConnected": 0,
        "Conv2D": 0,
        "DepthwiseConv2D": 3,
        "TransposeConv": 0,
    }


def test_registering_twice_is_an_error() -> None:
    with pytest.raises(ValueError, match="twice"):
        _table.register(RuntimeOp("Relu"))
    with pytest.raises(ValueError, match="two lowerings"):
        _table.lowers("Relu")(lambda ctx, op: None)


def test_lowerings_cover_the_fused_trainer_ops() -> None:
    assert set(FUSED.values()) <= set(LOWERINGS)
    assert supported_op_types() == sorted(LOWERINGS)


@pytest.mark.parametrize("path", READERS)
def test_readers_do_not_switch_on_op_names(path: str) -> None:
    source = (ROOT / path).read_text()
    names = "|".join(sorted(OPS, key=len, reverse=True))
    code = re.sub(r'"""(.*?)"""|#[^\n]*', "", source, flags=re.S)  # docstrings and comments may name ops
    found = re.findall(rf'"({names})"', code)
    if path == "trainer/quant/ptq.py":  # it writes the Quantize / Dequantize ops at the graph edges
        found = [f for f in found if f not in ("Quantize", "Dequantize")]
    assert found == [], f"{path} names runtime ops {found}: read trainer.runtime_ops.OPS instead"
