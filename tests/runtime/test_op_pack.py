"""Pack and Unpack beyond the registry-driven cases (tests/op_cases/pack.py): the bytes they move, the
rejections of their prepares with their statuses, the work charged, and ``tf.stack`` / ``tf.unstack``
exported from a TF1 graph and run on the C runtime against the session (``freeze`` turns an Unpack along a
non-batch axis into selection FullyConnecteds, so the graph unstacks along the batch axis)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

import trainer as tf
from trainer.lite import Converter
from trainer.tlm import ModelBuilder, Quantization, read_model


@pytest.fixture(scope="module")
def pyrt():
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def _model(op: str, ins, outs, axis: int, dtype=np.float32, qs=None) -> bytes:
    """``op`` over input shapes ``ins`` and output shapes ``outs``; qs: one quantization per tensor."""
    b = ModelBuilder(check=False)
    q = iter(qs or [None] * (len(ins) + len(outs)))
    xs = [b.add_input(f"x{k}", dtype, list(s), quantization=next(q)) for k, s in enumerate(ins)]
    ys = [b.add_tensor(f"y{k}", dtype, list(s), quantization=next(q)) for k, s in enumerate(outs)]
    b.add_op(op, xs, ys, axis=axis)
    for y in ys:
        b.mark_output(y)
    return b.finish()


def test_bytes_move_unchanged(pyrt) -> None:
    a = np.array([np.nan, -0.0, np.inf], np.float32)
    a.view(np.uint32)[0] = 0x7FC00321
    b = np.array([1.0, -np.inf, 2.5], np.float32)
    got = pyrt.Interpreter(model_content=_model("Pack", [[3], [3]], [[3, 2]], 1)).run(a, b)[0]
    assert got.tobytes() == np.stack([a, b], 1).tobytes()
    parts = pyrt.Interpreter(model_content=_model("Unpack", [[3, 2]], [[3], [3]], -1)).run(got)
    assert [p.tobytes() for p in parts] == [a.tobytes(), b.tobytes()]


q1, q2 = Quantization(0.1, 0), Quantization(0.2, 3)


@pytest.mark.parametrize(
    "model,status,message",
    [
        (_model("Pack", [[2, 3], [2, 3]], [[3, 2, 2]], 0), "TL_ERROR_BAD_SHAPE", "for 2 inputs"),
        (_model("Pack", [[2, 3], [2, 4]], [[2, 2, 3]], 0), "TL_ERROR_BAD_SHAPE", "input 1 shape [2, 4]"),
        (_model("Pack", [[2, 3]] * 2, [[2, 2, 3]], 3), "TL_ERROR_BAD_OPTIONS", "axis 3 is out of range"),
        (_model("Pack", [[1]] * 17, [[17, 1]], 0), "TL_ERROR_BAD_INPUT_COUNT", "1 to 16 inputs"),
        (_model("Pack", [[2]] * 2, [[2, 2]], 0, np.int8, [q1, q2, None]), "TL_ERROR_BAD_QUANTIZATION", "y0"),
        (_model("Unpack", [[2, 3]], [[3]] * 3, 0), "TL_ERROR_BAD_SHAPE", "2 along axis 0 for 3 outputs"),
        (_model("Unpack", [[2, 3]], [[3], [2]], 0), "TL_ERROR_BAD_SHAPE", "output 1 shape [2]"),
        (_model("Unpack", [[2, 3]], [[2], [2]], -3), "TL_ERROR_BAD_OPTIONS", "axis -3 is out of range"),
        (_model("Unpack", [[2]], [[], []], 0, np.int8, [q1, q1, q2]), "TL_ERROR_BAD_QUANTIZATION", "scale"),
    ],
)
def test_prepare_rejections(pyrt, model: bytes, status: str, message: str) -> None:
    with pytest.raises(pyrt.TensorletRuntimeError, match=re.escape(message)) as e:
        pyrt.Interpreter(model_content=model).allocate_tensors()
    assert e.value.status_name == status


def test_int8_pack_requantizes_inputs_with_other_parameters(pyrt) -> None:
    x = np.array([-128, -1, 0, 5, 127], np.int8)
    model = _model("Pack", [[5], [5]], [[2, 5]], 0, np.int8, [q1, q2, q1])
    got = pyrt.Interpreter(model_content=model).run(x, x)[0]
    assert got[0].tolist() == x.tolist()  # equal parameters: a copy
    # 0.2 (q - 3) / 0.1, rounded, saturated
    assert got[1].tolist() == np.clip(2 * (x.astype(int) - 3), -128, 127).tolist()


def test_work(pyrt) -> None:
    small = pyrt.Interpreter(model_content=_model("Unpack", [[2, 64]], [[64]] * 2, 0))
    large = pyrt.Interpreter(model_content=_model("Unpack", [[2, 128]], [[128]] * 2, 0))
    pack_small = pyrt.Interpreter(model_content=_model("Pack", [[64]] * 2, [[2, 64]], 0))
    pack_large = pyrt.Interpreter(model_content=_model("Pack", [[128]] * 2, [[2, 128]], 0))
    for i in (small, large, pack_small, pack_large):
        i.allocate_tensors()
    assert large.work - small.work == 128 * 96 // 16  # input elements x 96 / 16
    assert pack_large.work - pack_small.work == 128 * 96 // 16  # output elements x 96 / 16 (float32)


def test_tf_stack_and_unstack_export_and_run_like_the_session(pyrt) -> None:
    rng = np.random.default_rng(21)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [3, 4, 5], name="x")
        a, b, c = tf.unstack(x)  # along the batch axis: the runtime's Unpack
        outs = [tf.stack([a, tf.nn.relu(b), c], axis=-1), tf.stack([c, a], axis=1), b]
    xs = rng.standard_normal((3, 4, 5)).astype(np.float32)
    with tf.Session(graph=g) as sess:
        want = sess.run(outs, {x: xs})
    data = Converter.from_frozen_graph(g, [x], outs).convert()
    ops = [op.opcode for op in read_model(data).ops]
    assert ops.count("Unpack") == 1 and ops.count("Pack") == 2
    got = pyrt.Interpreter(model_content=data).run(xs)
    for g_, w in zip(got, want, strict=True):
        assert g_.shape == w.shape and g_.tobytes() == w.tobytes()
