"""RNN cells and dynamic/static/bidirectional RNNs against TensorFlow's own numbers.

tests/fixtures/rnn_tf1.npz was written by scripts/make_rnn_fixtures.py with TensorFlow: outputs, final
states and gradients (w.r.t. inputs and every variable) of each case, with seeded weights stored under
TF's variable names. Here the same builder runs with ``import trainer as tf``; the variable names must
match TF's and every number must agree to 1e-5.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import trainer as tf

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = np.load(ROOT / "tests" / "fixtures" / "rnn_tf1.npz")
_spec = importlib.util.spec_from_file_location("make_rnn_fixtures", ROOT / "scripts" / "make_rnn_fixtures.py")
assert _spec is not None and _spec.loader is not None
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)


@pytest.mark.parametrize("case", sorted(fixtures.CASES))
def test_rnn_matches_tensorflow(case: str):
    kind, b, t, d, seq = fixtures.CASES[case]
    f = {k[len(case) + 1 :]: FIXTURE[k] for k in FIXTURE.files if k.startswith(case + "/")}
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [b, t, d], name="x")
        outs, states = fixtures.build(
            tf, tf.nn, tf.nn.rnn_cell, kind, x, None if seq is None else np.array(seq)
        )
        loss = tf.add_n([tf.reduce_sum(y * f[f"w{k}"]) for k, y in enumerate(outs + states)])
        variables = tf.global_variables()
        tf_names = sorted(k[4:] for k in f if k.startswith("var/"))
        assert sorted(v.name for v in variables) == tf_names
        grads = tf.gradients(loss, [x, *variables])
        with tf.Session() as sess:
            for v in variables:
                v.load(f["var/" + v.name], sess)
            res = sess.run(outs + states + grads, {x: f["x"]})
    n_o, n_s = len(outs), len(states)
    for k in range(n_o):
        np.testing.assert_allclose(res[k], f[f"out{k}"], atol=1e-5, err_msg=f"output {k}")
    for k in range(n_s):
        np.testing.assert_allclose(res[n_o + k], f[f"state{k}"], atol=1e-5, err_msg=f"state {k}")
    np.testing.assert_allclose(res[n_o + n_s], f["grad/x"], atol=1e-5, err_msg="d/dx")
    for v, gv in zip(variables, res[n_o + n_s + 1 :], strict=True):
        np.testing.assert_allclose(gv, f["grad/" + v.name], atol=1e-5, err_msg=f"d/d{v.name}")


def test_cells_reuse_their_variables_and_names_are_unique():
    with tf.Graph().as_default():
        x = tf.zeros([2, 3])
        cell = tf.nn.rnn_cell.BasicLSTMCell(4)
        s = cell.zero_state(2, tf.float32)
        _, s = cell(x, s)
        cell(x, s)
        tf.nn.rnn_cell.GRUCell(2)(x, tf.zeros([2, 2]))
        tf.nn.rnn_cell.GRUCell(2)(x, tf.zeros([2, 2]))
        names = [v.name for v in tf.global_variables()]
    assert names == [
        "basic_lstm_cell/kernel:0",
        "basic_lstm_cell/bias:0",
        "gru_cell/gates/kernel:0",
        "gru_cell/gates/bias:0",
        "gru_cell/candidate/kernel:0",
        "gru_cell/candidate/bias:0",
        "gru_cell_1/gates/kernel:0",
        "gru_cell_1/gates/bias:0",
        "gru_cell_1/candidate/kernel:0",
        "gru_cell_1/candidate/bias:0",
    ]


def test_contrib_rnn_and_state_is_tuple_false():
    """tf.contrib.rnn has the cells and static_rnn; a concatenated LSTM state equals the tuple one."""
    xv = np.random.default_rng(0).uniform(-1, 1, (2, 3, 4)).astype(np.float32)
    res = []
    for tup in (True, False):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, [2, 3, 4])
            cell = tf.contrib.rnn.BasicLSTMCell(5, state_is_tuple=tup)
            outs, st = tf.contrib.rnn.static_rnn(cell, tf.unstack(x, axis=1), dtype=tf.float32)
            with tf.Session() as sess:
                for v in tf.global_variables():
                    v.load(np.linspace(-1, 1, v.shape.num_elements()).reshape(v.shape.as_list()), sess)
                o, s = sess.run([outs[-1], st], {x: xv})
            res.append((o, np.concatenate(s, 1) if tup else s))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-6)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-6)


def test_dropout_wrapper_drops_outputs_in_training_only():
    with tf.Graph().as_default():
        keep = tf.placeholder_with_default(1.0, [])
        cell = tf.nn.rnn_cell.DropoutWrapper(tf.nn.rnn_cell.BasicRNNCell(50), output_keep_prob=keep, seed=3)
        x = tf.ones([4, 6, 2])
        out, _ = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            full = sess.run(out)
            dropped = sess.run(out, {keep: 0.5})
    assert np.all(full != 0)
    zero = dropped == 0
    assert 0.3 < zero.mean() < 0.7
    np.testing.assert_allclose(dropped[~zero], 2 * full[~zero], rtol=1e-5)


def _lstm_example():
    spec = importlib.util.spec_from_file_location("example_lstm", ROOT / "examples" / "mnist" / "lstm.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_lstm_example_help():
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "mnist" / "lstm.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert "--epochs" in out.stdout and "LSTM" in out.stdout


def test_lstm_example_learns_mnist_rows_quickly(capsys):
    """60 steps of the dynamic_rnn LSTM on MNIST rows: well above chance (the full run reaches >= 95%)."""
    res = _lstm_example().main(["--epochs", "1", "--max-steps", "60", "--no-progress"])
    assert res["test_accuracy"] > 0.5
    first, last = sum(res["losses"][:5]) / 5, sum(res["losses"][-5:]) / 5
    assert last < 0.6 * first
    assert "test accuracy" in capsys.readouterr().out


def test_a_cell_with_reuse_shares_the_variables_of_an_earlier_rnn():
    """TF1's train/inference pattern: a second dynamic_rnn under the same scope with reuse=True."""
    with tf.Graph().as_default():
        x = tf.ones([2, 3, 4])
        a, _ = tf.nn.dynamic_rnn(tf.nn.rnn_cell.GRUCell(5), x, dtype=tf.float32)
        with tf.variable_scope(tf.get_variable_scope(), reuse=True):
            b, _ = tf.nn.dynamic_rnn(tf.nn.rnn_cell.GRUCell(5), x, dtype=tf.float32)
        c, _ = tf.nn.dynamic_rnn(tf.nn.rnn_cell.GRUCell(5, reuse=True), x, dtype=tf.float32)
        assert len(tf.global_variables()) == 4
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            va, vb, vc = sess.run([a, b, c])
    np.testing.assert_array_equal(va, vb)
    np.testing.assert_array_equal(va, vc)


def test_static_bidirectional_rnn_equals_the_dynamic_one():
    """Same TF1 variable names in both; with the same weights the per-step outputs agree."""
    rng = np.random.default_rng(2)
    xv = rng.uniform(-1, 1, (3, 4, 2)).astype(np.float32)
    lens = np.array([4, 2, 3])
    results, names = [], []
    for static in (True, False):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, [3, 4, 2])
            fw, bw = tf.nn.rnn_cell.BasicLSTMCell(3), tf.nn.rnn_cell.GRUCell(2)
            if static:
                outs, _, _ = tf.nn.static_bidirectional_rnn(
                    fw, bw, tf.unstack(x, axis=1), dtype=tf.float32, sequence_length=lens
                )
                out = tf.stack(outs, axis=1)
            else:
                (o_fw, o_bw), _ = tf.nn.bidirectional_dynamic_rnn(
                    fw, bw, x, sequence_length=lens, dtype=tf.float32
                )
                out = tf.concat([o_fw, o_bw], 2)
            names.append([v.name for v in tf.global_variables()])
            with tf.Session() as sess:
                for v in tf.global_variables():
                    v.load(np.linspace(-0.5, 0.5, v.shape.num_elements()).reshape(v.shape.as_list()), sess)
                results.append(sess.run(out, {x: xv}))
    assert names[0] == names[1] and names[0][0] == "bidirectional_rnn/fw/basic_lstm_cell/kernel:0"
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6, atol=1e-7)
