"""Reshape as a view (planner step 2b, runtime_c/src/planner.h; docs/runtime.md): a Reshape from one
intermediate tensor to another gets no arena place of its own, its output shares its input's bytes and its
eval copies nothing, as in TFLite.

Checked on the C runtime through pyruntime: which tensors share bytes (the C data pointers, read with
experimental_preserve_all_tensors, against the Python mirror's ``Plan.views``), the arena against the mirror
and the metadata, outputs against numpy, and the cases that must keep their own bytes: a reshape of a graph
input, one whose output is a graph output, a chain of reshapes (one place), and a reshaped tensor that other
ops still read after the reshape (its place lives on).
"""

from __future__ import annotations

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

from trainer.tlm import ModelBuilder, plan_model, read_model


@pytest.fixture(scope="module")
def pyrt():
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def _model() -> tuple[bytes, dict[str, int]]:
    """x -> Reshape r0 (of the graph input: own bytes) -> Relu a -> Reshape b -> Reshape c (a chain: a's
    place) -> Add(c, c) d; a is read again by Relu e after the chain; d -> Reshape out (a graph output: own
    bytes); e is the second output."""
    b = ModelBuilder()
    t = {}
    t["x"] = b.add_input("x", np.float32, [2, 12])
    t["r0"] = b.add_tensor("r0", np.float32, [24])
    b.add_op("Reshape", [t["x"]], [t["r0"]], new_shape=[24])
    t["a"] = b.add_tensor("a", np.float32, [24])
    b.add_op("Relu", [t["r0"]], [t["a"]])
    t["b"] = b.add_tensor("b", np.float32, [4, 6])
    b.add_op("Reshape", [t["a"]], [t["b"]], new_shape=[4, 6])
    t["c"] = b.add_tensor("c", np.float32, [2, 2, 6])
    b.add_op("Reshape", [t["b"]], [t["c"]], new_shape=[2, 2, 6])
    t["d"] = b.add_tensor("d", np.float32, [2, 2, 6])
    b.add_op("Add", [t["c"], t["c"]], [t["d"]])
    t["e"] = b.add_tensor("e", np.float32, [24])
    b.add_op("Relu", [t["a"]], [t["e"]])
    t["out"] = b.add_tensor("out", np.float32, [3, 8])
    b.add_op("Reshape", [t["d"]], [t["out"]], new_shape=[3, 8])
    b.mark_output(t["out"])
    b.mark_output(t["e"])
    return b.finish(), t


def test_mirror_names_the_views() -> None:
    data, t = _model()
    p = plan_model(read_model(data))
    assert p.views == {t["b"]: t["a"], t["c"]: t["a"]}  # the chain resolves to its first tensor
    for own in ("x", "r0", "a", "d", "e", "out"):
        assert t[own] in p.offsets, own
    assert p.offset(t["c"]) == p.offset(t["b"]) == p.offsets[t["a"]]
    # a's place lives from its writer (op 1) through the last reader of the chain's end (the Add, op 4) and
    # its own later reader (op 5)
    assert (p.first[t["a"]], p.last[t["a"]]) == (1, 5)
    assert not p.overlaps()


def test_runtime_shares_exactly_the_mirrors_views(pyrt) -> None:
    data, t = _model()
    info = read_model(data)
    p = plan_model(info)
    it = pyrt.Interpreter(model_content=data, experimental_preserve_all_tensors=True)
    it.allocate_tensors()
    assert p.arena_bytes == info.metadata.arena_bytes
    assert it.arena_bytes == sum(p.sizes.values())  # preserve_all: every place its own, the views none
    x = np.linspace(-3, 3, 24, dtype=np.float32).reshape(2, 12)
    it.set_tensor(t["x"], x)
    it.invoke()
    views = {name: it.tensor(i)() for name, i in t.items()}
    base = views["a"]
    for name, v in views.items():
        shares = np.shares_memory(v, base)
        assert shares == (name in ("a", "b", "c")), name
    relu = np.maximum(x, 0).reshape(24)
    np.testing.assert_array_equal(views["c"], relu.reshape(2, 2, 6))
    np.testing.assert_array_equal(it.get_tensor(t["out"]), (2 * relu).reshape(3, 8))
    np.testing.assert_array_equal(it.get_tensor(t["e"]), relu)
    del views, base, v


def test_views_keep_outputs_across_invokes_and_plans(pyrt) -> None:
    """Without preserve_all: fresh inputs, invoke after invoke, and the reference kernels (no optimized
    scratch) all give numpy's answer."""
    data, t = _model()
    rng = np.random.default_rng(0)
    for kernels in ("auto", "reference"):
        it = pyrt.Interpreter(model_content=data, kernels=kernels)
        it.allocate_tensors()
        for _ in range(3):
            x = rng.standard_normal((2, 12)).astype(np.float32)
            it.set_tensor(t["x"], x)
            it.invoke()
            relu = np.maximum(x, 0).reshape(24)
            np.testing.assert_array_equal(it.get_tensor(t["out"]), (2 * relu).reshape(3, 8))
            np.testing.assert_array_equal(it.get_tensor(t["e"]), relu)
            np.testing.assert_array_equal(it.get_tensor(t["x"]), x)  # the reshaped input keeps its bytes


def test_views_make_the_transformer_block_arena_no_larger(pyrt) -> None:
    """Attention's head split (Reshape, Transpose, Reshape) on the runtime: every Reshape between
    intermediates is a view, and the arena is at most the plan without views."""
    from trainer.tlm import planner

    b = ModelBuilder()
    x = b.add_input("x", np.float32, [1, 8, 16])
    h = b.add_tensor("h", np.float32, [1, 8, 16])
    b.add_op("Relu", [x], [h])
    s = b.add_tensor("s", np.float32, [1, 8, 4, 4])
    b.add_op("Reshape", [h], [s], new_shape=[1, 8, 4, 4])
    tr = b.add_tensor("tr", np.float32, [1, 4, 8, 4])
    b.add_op("Transpose", [s], [tr], perm=[0, 2, 1, 3])
    m = b.add_tensor("m", np.float32, [4, 8, 4])
    b.add_op("Reshape", [tr], [m], new_shape=[4, 8, 4])
    y = b.add_tensor("y", np.float32, [4, 8, 4])
    b.add_op("Relu", [m], [y])
    b.mark_output(y)
    data = b.finish()
    info = read_model(data)
    p = plan_model(info)
    assert p.views == {s: h, m: tr}
    no_views = planner.plan(
        [t.nbytes for t in info.tensors],
        [t.buffer != 0 for t in info.tensors],
        [(op.inputs, op.outputs) for op in info.ops],
        info.inputs,
        info.outputs,
    )
    assert not no_views.views and p.arena_bytes <= no_views.arena_bytes
    it = pyrt.Interpreter(model_content=data)
    it.allocate_tensors()
    assert it.arena_bytes == p.arena_bytes
    xv = np.random.default_rng(1).standard_normal((1, 8, 16)).astype(np.float32)
    it.set_tensor(x, xv)
    it.invoke()
    want = np.maximum(xv, 0).reshape(1, 8, 4, 4).transpose(0, 2, 1, 3).reshape(4, 8, 4)
    np.testing.assert_array_equal(it.get_tensor(y), want)


def test_views_hold_in_a_resized_interpreter(pyrt) -> None:
    """tl_interpreter_resize_input: the plan of the new batch still shares the Reshape's bytes (x, h = r, y:
    three places of 3 x 96 bytes) and the outputs are numpy's."""
    b = ModelBuilder()
    x = b.add_input("x", np.float32, [1, 4, 6])
    h = b.add_tensor("h", np.float32, [1, 4, 6])
    b.add_op("Relu", [x], [h])
    r = b.add_tensor("r", np.float32, [1, 24])
    b.add_op("Reshape", [h], [r], new_shape=[1, 24])
    y = b.add_tensor("y", np.float32, [1, 24])
    b.add_op("Relu6", [r], [y])
    b.mark_output(y)
    it = pyrt.Interpreter(model_content=b.finish())
    it.resize_tensor_input(x, [3, 4, 6])
    it.allocate_tensors()
    assert it.arena_bytes == 3 * 3 * 96
    xv = np.random.default_rng(0).standard_normal((3, 4, 6)).astype(np.float32) * 4
    it.set_tensor(x, xv)
    it.invoke()
    np.testing.assert_array_equal(it.get_tensor(y), np.clip(xv, 0, 6).reshape(3, 24))
