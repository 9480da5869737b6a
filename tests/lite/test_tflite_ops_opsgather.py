"""GATHER imported from TensorFlow-converted one-op models and compared with LiteRT's reference kernels
(``OpResolverType.BUILTIN_REF``), tensorlet Gather models exported (``to_tflite``) and run on LiteRT, and a
trained-style embedding classifier with int32 token ids converted to int8 by ``trainer.lite``, exported and
run on LiteRT.

The fixtures (tests/fixtures/tflite/ops_gather*.tflite, written by scripts/make_op_fixtures.py with TF 2.21's
converter): params and int32 ids both inputs; axis -2; and an embedding table (a constant) looked up by ids.
Float32 and full-integer int8 (int8 params and output, the ids stay int32): TensorFlow's converter gives
GATHER's output the params' parameters, the rule tensorlet's int8 Gather keeps (``keeps_input_quant``), so
the op moves bytes and the outputs are identical. Ids are drawn in range: LiteRT's Invoke fails on an index
out of range, where tensorlet gives a row of zeros (tests/runtime/test_op_gather.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from tflite_fixtures import compare_with_litert, fixture, litert, litert_reference

import trainer as tf
from trainer.lite import Converter, Optimize
from trainer.lite.tflite import from_tflite, to_tflite
from trainer.tlm import ModelBuilder, Quantization, read_model

pyruntime = pytest.importorskip("pyruntime")

N_INPUTS = 50
# fixture: {input position: ids bound} (scripts/make_op_fixtures.py INT_INPUTS)
FIXTURES = {"gather": {1: 16}, "gather_axis": {1: 6}, "gather_embedding": {0: 32}}


def _inputs(details: list[dict], ids: dict[int, int], rng: np.random.Generator) -> list[np.ndarray]:
    out = []
    for k, d in enumerate(details):
        shape = tuple(int(s) for s in d["shape"])
        if k in ids:
            assert d["dtype"] == np.int32
            out.append(rng.integers(0, ids[k], shape).astype(np.int32))
        elif d["dtype"] == np.int8:
            out.append(rng.integers(-128, 128, shape).astype(np.int8))
        else:
            out.append(rng.uniform(-3.0, 3.0, shape).astype(np.float32))
    return out


def _compare(tflite_model: bytes, tlm_model: bytes, ids: dict[int, int], n: int = N_INPUTS) -> None:
    """Both on ``n`` seeded inputs (ids in range); every output byte-identical."""
    ours = pyruntime.Interpreter(model_content=tlm_model)
    ref = litert_reference(tflite_model)
    assert [d["dtype"] for d in ours.get_input_details()] == [d["dtype"] for d in ref.get_input_details()]
    compare_with_litert(
        tflite_model, tlm_model, n, seed=16, float_rtol=None, inputs=lambda d, rng: _inputs(d, ids, rng)
    )


@pytest.mark.parametrize("int8", [False, True], ids=["float32", "int8"])
@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture_matches_litert_reference(name: str, int8: bool) -> None:
    data = fixture(f"ops_{name}{'_int8' if int8 else ''}")
    tlm = from_tflite(data)
    m = read_model(tlm)
    assert [op.opcode for op in m.ops] == ["Gather"]
    if int8:
        g = m.ops[0]
        assert m.tensors[g.inputs[0]].dtype == np.int8 and m.tensors[g.inputs[1]].dtype == np.int32
    _compare(data, tlm, FIXTURES[name])


def _gather_model(shape, axis, ids_shape, int8: bool, const_ids=None) -> bytes:
    q = Quantization(0.037, -7) if int8 else None
    dtype = np.int8 if int8 else np.float32
    b = ModelBuilder(description="gather")
    x = b.add_input("x", dtype, list(shape), quantization=q)
    if const_ids is None:
        i = b.add_input("ids", np.int32, list(ids_shape))
    else:
        i = b.add_constant("ids", np.asarray(const_ids, np.int32))
    ax = axis % len(shape)
    out = list(shape[:ax]) + list(ids_shape) + list(shape[ax + 1 :])
    y = b.add_tensor("y", dtype, out, quantization=q)
    b.add_op("Gather", [x, i], [y], axis=axis)
    b.mark_output(y)
    return b.finish()


@pytest.mark.parametrize("int8", [False, True], ids=["float32", "int8"])
def test_export_runs_on_litert_like_tensorlet(int8: bool) -> None:
    for shape, axis, ids_shape, const_ids in [
        ((9, 4), 0, (2, 3), None),
        ((2, 5, 3), -1, (4,), [2, 0, 2, 1]),
        ((3, 2, 6, 2), 2, (), 5),
        ((7,), 0, (3, 2), None),
    ]:
        tlm = _gather_model(shape, axis, ids_shape, int8, const_ids)
        bound = {1: shape[axis]} if const_ids is None else {}
        _compare(to_tflite(tlm), tlm, bound, n=10)


def test_int32_ids_classifier_converts_to_int8_and_runs_on_litert() -> None:
    """token ids -> embedding_lookup -> mean -> dense: trainer.lite's int8 model (ids stay int32, int8
    output) gives the numpy reference's bytes on the C runtime, and exported to TFLite the same bytes on
    LiteRT's reference kernels."""
    litert()
    from trainer.quantize import reference_run

    rng = np.random.default_rng(8)
    ids_all = rng.integers(0, 40, (24, 10)).astype(np.int32)
    g = tf.Graph()
    with g.as_default():
        ids = tf.placeholder(tf.int32, [None, 10], name="ids")
        table = tf.constant((rng.standard_normal((40, 6)) * 0.6).astype(np.float32))
        h = tf.reduce_mean(tf.nn.embedding_lookup(table, ids), axis=1)
        logits = tf.layers.dense(h, 3, name="logits")
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
        conv = Converter.from_session(sess, [ids], [logits], batch_size=1)
        conv.optimizations = [Optimize.DEFAULT]
        conv.representative_dataset = lambda: ([ids_all[i : i + 1]] for i in range(16))
        conv.inference_input_type = conv.inference_output_type = tf.int8
        int8_tlm = conv.convert()
        sess.close()
    m = read_model(int8_tlm)
    assert [op.opcode for op in m.ops] == ["Gather", "Mean", "FullyConnected"]
    assert m.tensors[m.inputs[0]].dtype == np.int32 and m.tensors[m.inputs[0]].quantization is None
    ours = pyruntime.Interpreter(model_content=int8_tlm)
    for i in range(16, 24):
        got = ours.run(ids_all[i : i + 1])[0]
        assert got.tobytes() == reference_run(int8_tlm, ids_all[i : i + 1])[0].tobytes()
    _compare(to_tflite(int8_tlm), int8_tlm, {0: 40}, n=20)
