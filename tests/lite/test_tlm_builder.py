"""ModelBuilder, reader and arena planner (trainer.tlm)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from trainer.tlm import ModelBuilder, Quantization, plan, plan_model, read_model
from trainer.tlm.schema.Model import Model


def _conv_model(**kw) -> bytes:
    rng = np.random.default_rng(0)
    b = ModelBuilder(description="conv net", **kw)
    x = b.add_input("x", np.float32, [1, 5, 5, 2])
    w = b.add_constant("w", rng.standard_normal((3, 3, 3, 2)).astype(np.float32))
    bias = b.add_constant("bias", rng.standard_normal(3).astype(np.float32))
    y = b.add_tensor("y", np.float32, [1, 3, 3, 3])
    b.add_op("Conv2D", [x, w, bias], [y], padding="SAME", stride_h=2, stride_w=2, activation="RELU6")
    z = b.add_tensor("z", np.float32, [1, 27])
    b.add_op("Reshape", [y], [z], new_shape=[1, -1])
    p = b.add_tensor("p", np.float32, [1, 27])
    b.add_op("Softmax", [z], [p], beta=0.5)
    b.mark_output(p)
    b.add_metadata("dataset", "none")
    return b.finish()


def test_deterministic() -> None:
    assert _conv_model() == _conv_model()
    b = ModelBuilder()
    x = b.add_input("x", np.float32, [4])
    b.mark_output(x)
    assert b.finish() == b.finish()


def test_file_identifier_alignment_and_version() -> None:
    data = _conv_model()
    assert data[4:8] == b"TLM1"
    assert len(data) % 16 == 0
    m = Model.GetRootAs(data, 0)
    assert m.Version() == 1
    checked = 0
    for i in range(m.BuffersLength()):
        buf = m.Buffers(i)
        if i == 0:
            assert buf.DataIsNone()
            continue
        start = buf._tab.Vector(buf._tab.Offset(4))
        assert start % 16 == 0, f"buffer {i} data at {start}"
        checked += 1
    assert checked == 2


def test_reader_round_trip_every_field() -> None:
    rng = np.random.default_rng(1)
    b = ModelBuilder(producer="unit", description="every field")
    qx = Quantization(0.5, -3)
    x = b.add_input("x", np.int8, [1, 4, 4, 2], qx)
    f = b.add_input("f", np.float32, [2, 3])
    consts = {
        dt: b.add_constant(f"c_{np.dtype(dt).name}", (rng.standard_normal((2, 3)) * 10).astype(dt))
        for dt in (np.float32, np.float16, np.int8, np.uint8, np.int16, np.int32, np.int64, np.bool_)
    }
    wq = Quantization([0.1, 0.2, 0.3], [0, 0, 0], axis=0)
    w = b.add_constant("w", rng.integers(-127, 128, (3, 2)).astype(np.int8), wq)
    y = b.add_tensor("y", np.float32, [1, 2, 2, 2])
    b.add_op("MaxPool2D", [x], [y], padding="VALID", stride_h=2, stride_w=2, filter_h=2, filter_w=2)
    m_ = b.add_tensor("m", np.float32, [1, 2])
    b.add_op("Mean", [y], [m_], axes=[1, -2], keep_dims=True)
    t = b.add_tensor("t", np.float32, [3, 2])
    b.add_op("Transpose", [f], [t], perm=[1, 0])
    s = b.add_tensor("s", np.float32, [2, 3])
    b.add_op("Add", [f, consts[np.float32]], [s], activation=2)
    b.mark_output(t)
    b.mark_output(s)
    b.add_metadata("a", "1")
    b.add_metadata("b", "two")
    info = read_model(b.finish())

    assert info.version == 1
    assert info.inputs == [x, f] and info.outputs == [t, s]
    assert info.metadata.producer == "unit"
    assert info.metadata.description == "every field"
    assert info.metadata.entries == {"a": "1", "b": "two"}
    assert info.metadata.arena_bytes == b.plan().arena_bytes > 0
    assert [tt.name for tt in info.tensors] == [e.name for e in b.tensors]
    assert info.tensors[x].dtype == np.int8 and info.tensors[x].shape == (1, 4, 4, 2)
    assert info.tensors[x].quantization == qx and info.tensors[x].data is None
    assert info.tensors[w].quantization == wq
    np.testing.assert_array_equal(info.tensors[w].data.shape, (3, 2))
    for dt, idx in consts.items():
        ti = info.tensors[idx]
        assert ti.dtype == np.dtype(dt) and ti.buffer != 0 and ti.quantization is None
    # Constant data round-trips bit-exactly for every dtype.
    rng = np.random.default_rng(1)
    for dt in consts:
        expected = (rng.standard_normal((2, 3)) * 10).astype(dt)
        np.testing.assert_array_equal(info.tensors[consts[dt]].data, expected)
    ops = info.ops
    assert [o.opcode for o in ops] == ["MaxPool2D", "Mean", "Transpose", "Add"]
    assert ops[0].options_type == "Pool2DOptions"
    assert ops[0].options == {
        "padding": "VALID",
        "stride_h": 2,
        "stride_w": 2,
        "filter_h": 2,
        "filter_w": 2,
        "activation": "NONE",
    }
    assert ops[1].options == {"axes": [1, -2], "keep_dims": True}
    assert ops[2].options == {"perm": [1, 0]}
    assert ops[3].options == {"activation": "RELU6"}
    assert ops[3].inputs == [f, consts[np.float32]] and ops[3].outputs == [s]


def test_option_defaults_and_optional_reshape_options() -> None:
    b = ModelBuilder()
    x = b.add_input("x", np.float32, [1, 4, 4, 1])
    y = b.add_tensor("y", np.float32, [1, 4, 4, 1])
    b.add_op("AveragePool2D", [x], [y])
    z = b.add_tensor("z", np.float32, [16])
    b.add_op("Reshape", [y], [z])
    b.mark_output(z)
    info = read_model(b.finish())
    assert info.ops[0].options["padding"] == "VALID" and info.ops[0].options["filter_h"] == 1
    assert info.ops[1].options_type is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda b, x: b.add_op("Conv3D", [x], [x]), "unknown op code"),
        (lambda b, x: b.add_op("Relu", [x], [5]), "out of range"),
        (lambda b, x: b.add_op("Relu", [-1], [x]), "out of range"),
        (lambda b, x: b.add_op("Conv2D", [x], [x], strides=2), "no field 'strides'"),
        (lambda b, x: b.add_op("Conv2D", [x], [x], padding="FULL"), "not a Padding"),
        (lambda b, x: b.add_op("Add", [x], [x], activation=7), "not a Activation"),
        (lambda b, x: b.add_op("Relu", [x], [x], activation="RELU"), "takes no options"),
        (lambda b, x: b.add_op("Relu", [x], [x], options_type="Conv2DOptions"), "check=False"),
        (lambda b, x: b.add_tensor("t", np.float32, [2, 0]), ">= 1"),
        (lambda b, x: b.add_tensor("t", np.float32, [1] * 7), "rank 7"),
        (lambda b, x: b.add_tensor("t", np.float64, [1]), "float64"),
        (lambda b, x: b.add_tensor("t", 42, [1]), "unknown DType"),
        (lambda b, x: b.add_tensor("t", np.int8, [3], Quantization([1.0, 2.0], [0])), "as many scales"),
        (lambda b, x: b.add_tensor("t", np.int8, [3], Quantization([1.0, 2.0], [0, 0])), "per-axis"),
        (lambda b, x: b.add_tensor("t", np.int8, [3], Quantization(0.0, 0)), "positive"),
        (lambda b, x: b.add_constant("c", np.zeros((0, 2), np.float32)), ">= 1"),
        (lambda b, x: b.mark_output(3), "out of range"),
        (lambda b, x: b.add_metadata("k", "v") or b.add_metadata("k", "w"), "duplicate"),
    ],
)
def test_check_rejects(call, message) -> None:
    b = ModelBuilder()
    x = b.add_input("x", np.float32, [2])
    with pytest.raises(ValueError, match=message):
        call(b, x)


def test_unchecked_writes_anything() -> None:
    b = ModelBuilder(check=False, version=7)
    x = b.add_input("x", 99, [-1, 2**31 - 1])
    b.add_tensor(None, np.float32, None, buffer=42)
    b.add_op(77, [x, -5, 2**31 - 1], None)
    b.add_op("Relu", [x], [x], options_type="Conv2DOptions", stride_h=0, padding=9)
    b.add_op("Add", [x, x], [x], options_type=200)
    b.add_op("Mul", [x, x], [x], write_options_value=False)
    b.add_op("Sub", [x, x], [x], options_type=None, options_table="PadOptions", paddings=[-1])
    b.mark_output(-3)
    data = b.finish(arena_bytes=2**40, omit=["buffers"])
    m = Model.GetRootAs(data, 0)
    assert m.Version() == 7 and m.BuffersIsNone() and m.Metadata().ArenaBytes() == 2**40
    assert m.Tensors(0).Dtype() == 99
    assert list(m.Tensors(0).ShapeAsNumpy()) == [-1, 2**31 - 1]
    t1 = m.Tensors(1)
    assert t1.Name() is None and t1.ShapeIsNone() and t1.Buffer() == 42
    op0 = m.Operators(0)
    assert op0.Opcode() == 77 and list(op0.InputsAsNumpy()) == [0, -5, 2**31 - 1] and op0.OutputsIsNone()
    op1 = m.Operators(1)
    assert op1.OptionsType() == 3  # Conv2DOptions on a Relu
    from trainer.tlm.schema.Conv2DOptions import Conv2DOptions

    conv = Conv2DOptions()
    conv.Init(op1.Options().Bytes, op1.Options().Pos)
    assert conv.StrideH() == 0 and conv.Padding() == 9
    assert m.Operators(2).OptionsType() == 200 and m.Operators(2).Options() is not None
    assert m.Operators(3).OptionsType() == 1 and m.Operators(3).Options() is None
    assert m.Operators(4).OptionsType() == 0 and m.Operators(4).Options() is not None
    assert list(m.OutputsAsNumpy()) == [-3]


def test_omit_requires_unchecked() -> None:
    with pytest.raises(ValueError, match="check=False"):
        ModelBuilder().finish(omit=["tensors"])


# ---- planner ----


def test_planner_hand_computed_chain() -> None:
    # x(64B) -> op0 -> a(128B) -> op1 -> b(32B) -> op2 -> y(64B); w is a constant (never planned).
    sizes = [64, 128, 32, 64, 400]
    const = [False, False, False, False, True]
    ops = [([0, 4], [1]), ([1], [2]), ([2], [3])]
    p = plan(sizes, const, ops, inputs=[0], outputs=[3])
    # The graph input x lives to the last op, like the output y.
    assert p.first == {0: 0, 1: 0, 2: 1, 3: 2} and p.last == {0: 2, 1: 1, 2: 2, 3: 2}
    # Order: a(128) first at 0; x(64) alive with a -> 128; y(64) alive with x and b (b unplaced): the gap
    # below x fits -> 0; b(32) alive with a (0..128), y (0..64) and x (128..192) -> 192.
    assert p.offsets == {1: 0, 0: 128, 3: 0, 2: 192}
    assert p.arena_bytes == 224 and p.lower_bound() == 224
    assert 4 not in p.offsets


def test_planner_first_gap_and_rounding() -> None:
    # Sizes 48, 17 (-> 32), 16, 40 (-> 48), 16; the graph input 0 lives to the end.
    sizes = [48, 17, 16, 40, 16]
    ops = [([0], [1]), ([0, 1], [2]), ([2], [3]), ([3], [4])]
    p = plan(sizes, [False] * 5, ops, inputs=[0], outputs=[4])
    assert p.sizes == {0: 48, 1: 32, 2: 16, 3: 48, 4: 16}
    # 0: [0,3] @0; 3: [2,3] overlaps 0 -> @48; 1: [0,1] overlaps only 0 -> @48 (3 is not alive yet);
    # 2: [1,2] overlaps 0, 1, 3 -> @96; 4: [3,3] overlaps 0 and 3 -> @96.
    assert p.offsets == {0: 0, 3: 48, 1: 48, 2: 96, 4: 96}
    assert p.arena_bytes == 112 and not p.overlaps()


def test_planner_edge_cases() -> None:
    assert plan([], [], [], [], []).arena_bytes == 0
    p = plan([10, 20], [False, False], [], inputs=[0], outputs=[1])
    assert p.first == {0: 0, 1: 0} and p.last == {0: 0, 1: 0}
    assert p.offsets == {1: 0, 0: 32} and p.arena_bytes == 48
    # A graph input lives to the last op even when no op reads it; an unread op output lives at its
    # writer's step.
    p = plan([16, 16, 16, 16], [False] * 4, [([0], [1]), ([0], [2])], inputs=[0, 3], outputs=[2])
    assert p.last[3] == 1 and p.first[1] == p.last[1] == 0 and p.first[2] == 1 and p.last[2] == 1


def test_planner_random_graphs_no_overlap() -> None:
    rng = np.random.default_rng(123)
    for _ in range(200):
        n_ops = int(rng.integers(0, 12))
        n_in = int(rng.integers(1, 4))
        sizes = [int(s) for s in rng.integers(1, 500, n_in + n_ops)]
        ops = []
        for i in range(n_ops):
            avail = n_in + i
            k = int(rng.integers(1, 4))
            ops.append(([int(v) for v in rng.integers(0, avail, k)], [n_in + i]))
        outputs = [n_in + n_ops - 1] if n_ops else [0]
        p = plan(sizes, [False] * len(sizes), ops, list(range(n_in)), outputs)
        assert not p.overlaps()
        assert all(off % 16 == 0 for off in p.offsets.values())
        assert p.lower_bound() <= p.arena_bytes <= sum(p.sizes.values())


def test_builder_arena_matches_plan_of_read_model() -> None:
    data = _conv_model()
    info = read_model(data)
    p = plan_model(info)
    assert info.metadata.arena_bytes == p.arena_bytes
    # The Conv2D's im2col scratch ((9 positions + 2) x 18 taps floats = 792B -> 800, key 6 = tensor_count)
    # lives at op 0 only, with x (200B->208, a graph input living through op 2) and y (108B->112): that is
    # the peak; z, the Reshape's output, is a view of y (step 2b: y's place, y now alive through op 2), and p
    # reuses the scratch's slot at op 2.
    assert p.offsets == {6: 0, 0: 800, 3: 1008, 5: 0} and p.views == {4: 3} and p.offset(4) == 1008
    assert p.arena_bytes == 800 + 208 + 112 == p.lower_bound()
    assert read_model(ModelBuilder().finish(arena_bytes=12345)).metadata.arena_bytes == 12345


def test_deterministic_across_processes() -> None:
    """Byte-identical output in fresh interpreters with different hash seeds."""
    code = (
        "import sys, hashlib; sys.path.insert(0, 'tests/lite'); import test_tlm_builder as t; "
        "print(hashlib.sha256(t._conv_model()).hexdigest())"
    )
    root = Path(__file__).resolve().parents[2]
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert digests == {hashlib.sha256(_conv_model()).hexdigest()}


def test_constants_are_little_endian_c_order() -> None:
    a = np.arange(12, dtype=np.float32).reshape(3, 4)

    def model(arr) -> bytes:
        b = ModelBuilder()
        b.add_constant("c", arr)
        return b.finish()

    ref = model(a)
    assert model(a.astype(">f4")) == ref  # big-endian input is stored little-endian
    assert model(np.asfortranarray(a)) == ref  # Fortran order is stored in C order
    assert a.astype("<f4").tobytes() in ref
    np.testing.assert_array_equal(read_model(model(a.T)).tensors[0].data, a.T)


@pytest.mark.parametrize("module", ["builder", "dtypes", "planner", "reader"])
def test_docstring_examples(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"trainer.tlm.{module}"))
    assert result.attempted > 0 and result.failed == 0
