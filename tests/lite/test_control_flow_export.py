"""Export of control flow decided at freeze time: an ``is_training`` cond folds to its inference branch, a
while loop with a static trip count (a static-length dynamic_rnn) unrolls; the C runtime (pyruntime) then
matches the trainer. Control flow that depends on the input is refused, naming the op."""

from __future__ import annotations

import numpy as np
import pytest

import pyruntime  # the C runtime: part of the package, so required (never skipped)
import trainer as tf
from trainer.errors import InvalidArgumentError
from trainer.freeze import freeze
from trainer.lite import Converter

RNG = np.random.default_rng(7)


def _close(got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= 1e-5 * np.abs(want).max()


def _init(sess: tf.Session) -> None:
    sess.run(tf.global_variables_initializer())


@pytest.mark.parametrize("flag", ["placeholder_with_default", "fed_constant"])
def test_is_training_cond_exports_and_matches_the_runtime(flag: str):
    with tf.Graph().as_default():
        tf.set_random_seed(3)
        x = tf.placeholder(tf.float32, [None, 6], name="x")
        if flag == "placeholder_with_default":
            training = tf.placeholder_with_default(False, [], name="is_training")
            constants = {}
        else:
            training = tf.placeholder(tf.bool, [], name="is_training")
            constants = {training: False}
        h = tf.layers.Dense(8, activation=tf.nn.relu)(x)
        h = tf.cond(training, lambda: tf.nn.dropout(h, keep_prob=0.5), lambda: h)
        y = tf.layers.Dense(3)(h)
        with tf.Session() as sess:
            _init(sess)
            frozen = freeze(sess, [x], [y], batch_size=4, constants=constants)
            assert "If" not in {op.type for op in frozen.graph.get_operations()}
            model = Converter.from_session(sess, [x], [y], batch_size=4, constants=constants).convert()
            xv = RNG.uniform(-1, 1, (4, 6)).astype(np.float32)
            want = sess.run(y, {x: xv, training: False})
    _close(pyruntime.Interpreter(model_content=model).run(xv)[0], want)


def _rnn(kind: str, x: tf.Tensor) -> tf.Tensor:
    if kind == "static_rnn_lstm":
        outs, _ = tf.nn.static_rnn(tf.nn.rnn_cell.BasicLSTMCell(6), tf.unstack(x, axis=1), dtype=tf.float32)
        return outs[-1]
    if kind == "dynamic_rnn_gru":
        return tf.nn.dynamic_rnn(tf.nn.rnn_cell.GRUCell(5), x, dtype=tf.float32)[1]
    cell = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.BasicLSTMCell(6), tf.nn.rnn_cell.BasicLSTMCell(4)])
    return tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)[1][-1].h


@pytest.mark.parametrize("kind", ["dynamic_rnn_stacked_lstm", "dynamic_rnn_gru", "static_rnn_lstm"])
def test_static_length_rnn_unrolls_and_matches_the_runtime(kind: str):
    """5 time steps: the loop unrolls, the time step's Gather becomes a StridedSlice (the runtime has no
    Gather); static_rnn's Unpack and the gates' Split stay runtime ops, and every step reads the one weight
    constant of each layer (no per-step copies)."""
    with tf.Graph().as_default():
        tf.set_random_seed(5)
        x = tf.placeholder(tf.float32, [None, 5, 3], name="x")
        y = tf.layers.Dense(2)(_rnn(kind, x))
        with tf.Session() as sess:
            _init(sess)
            ops = freeze(sess, [x], [y], batch_size=2).graph.get_operations()
            types = {op.type for op in ops}
            assert not types & {"While", "Gather"} and "Split" in types
            assert ("Unpack" in types) == (kind == "static_rnn_lstm")
            weights = {op.inputs[1].name for op in ops if op.type == "_FusedMatMul"}
            kernels = {"dynamic_rnn_stacked_lstm": 2, "dynamic_rnn_gru": 2, "static_rnn_lstm": 1}[kind]
            assert len(weights) == kernels + 1  # the cells' kernels (GRU: gates, candidate) + the Dense
            model = Converter.from_session(sess, [x], [y], batch_size=2).convert()
            xv = RNG.uniform(-1, 1, (2, 5, 3)).astype(np.float32)
            want = sess.run(y, {x: xv})
    _close(pyruntime.Interpreter(model_content=model).run(xv)[0], want)


def test_static_while_loop_unrolls():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        w = tf.Variable(RNG.uniform(-0.5, 0.5, (4, 4)).astype(np.float32))
        _, y = tf.while_loop(lambda i, h: i < 3, lambda i, h: (i + 1, tf.tanh(tf.matmul(h, w))), [0, x])
        with tf.Session() as sess:
            _init(sess)
            frozen = freeze(sess, [x], [y], batch_size=2)
            assert sum(op.type == "_FusedMatMul" for op in frozen.graph.get_operations()) == 3
            model = Converter.from_session(sess, [x], [y], batch_size=2).convert()
            xv = RNG.uniform(-1, 1, (2, 4)).astype(np.float32)
            want = sess.run(y, {x: xv})
    _close(pyruntime.Interpreter(model_content=model).run(xv)[0], want)


def test_control_flow_decided_by_the_input_is_refused_naming_the_op():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        y = tf.cond(tf.reduce_sum(x) > 0, lambda: x * 2.0, lambda: x, name="sign")
        n = tf.placeholder(tf.int32, [], name="n")
        z = tf.while_loop(lambda h: tf.reduce_sum(h) < 100.0, lambda h: h * 2.0 + 1.0, [x], name="grow")
        capped = tf.while_loop(lambda h: True, lambda h: h + 1.0, [x], maximum_iterations=n, name="capped")
        with tf.Session() as sess:
            with pytest.raises(InvalidArgumentError, match=r"sign/If \(If\): its predicate"):
                freeze(sess, [x], [y], batch_size=1)
            with pytest.raises(InvalidArgumentError, match=r"grow/While \(While\): its trip count"):
                freeze(sess, [x], [z], batch_size=1)
            with pytest.raises(InvalidArgumentError, match=r"capped/While \(While\): maximum_iterations"):
                freeze(sess, [x, n], [capped], batch_size=1)


def test_static_rnn_longer_than_the_runtime_unpack_slices_each_step():
    """static_rnn over 20 steps: more pieces than the runtime's Unpack gives, so freezing takes each step
    with a StridedSlice; the model matches the session."""
    from trainer.freeze import UNPACK_MAX
    from trainer.runtime_ops.pack import MAX_TENSORS

    assert UNPACK_MAX == MAX_TENSORS
    with tf.Graph().as_default():
        tf.set_random_seed(6)
        x = tf.placeholder(tf.float32, [None, 20, 3], name="x")
        y = tf.layers.Dense(2)(_rnn("static_rnn_lstm", x))
        with tf.Session() as sess:
            _init(sess)
            types = [op.type for op in freeze(sess, [x], [y], batch_size=2).graph.get_operations()]
            assert "Unpack" not in types and types.count("StridedSlice") == 20
            model = Converter.from_session(sess, [x], [y], batch_size=2).convert()
            xv = RNG.uniform(-1, 1, (2, 20, 3)).astype(np.float32)
            want = sess.run(y, {x: xv})
    _close(pyruntime.Interpreter(model_content=model).run(xv)[0], want)


@pytest.mark.parametrize("what", ["outputs", "last_output", "bidirectional"])
def test_dynamic_rnn_outputs_and_bidirectional_export_over_20_steps(what: str):
    """20 steps: dynamic_rnn's stacked outputs (a Pack of 20 > the runtime's 16: Packs joined by a
    Concatenation), outputs[:, -1] (the slice of the transposed Pack is the last step itself) and
    bidirectional_dynamic_rnn (ReverseSequence of whole sequences: a stride -1 StridedSlice) match the
    session."""
    with tf.Graph().as_default():
        tf.set_random_seed(7)
        x = tf.placeholder(tf.float32, [None, 20, 3], name="x")
        if what == "bidirectional":
            cells = (tf.nn.rnn_cell.GRUCell(4), tf.nn.rnn_cell.GRUCell(4))
            (fw, bw), _ = tf.nn.bidirectional_dynamic_rnn(*cells, x, dtype=tf.float32)
            y = tf.concat([fw[:, -1], bw[:, 0]], 1)
        else:
            outs, _ = tf.nn.dynamic_rnn(tf.nn.rnn_cell.GRUCell(4), x, dtype=tf.float32)
            y = outs if what == "outputs" else outs[:, -1]
        with tf.Session() as sess:
            _init(sess)
            types = [op.type for op in freeze(sess, [x], [y], batch_size=2).graph.get_operations()]
            assert "ReverseSequence" not in types
            if what != "bidirectional":  # (its backward outputs are read reversed: their stack stays)
                assert ("Pack" in types) == (what == "outputs")
            model = Converter.from_session(sess, [x], [y], batch_size=2).convert()
            xv = RNG.uniform(-1, 1, (2, 20, 3)).astype(np.float32)
            want = sess.run(y, {x: xv})
    _close(pyruntime.Interpreter(model_content=model).run(xv)[0], want)
