"""Write tests/fixtures/rnn_tf1.npz: TensorFlow's own RNN outputs and gradients, the oracle for
tests/trainer/test_rnn.py.

Run once with a Python that has TensorFlow (2.x; its TF1 graph-mode API and legacy RNN cells):

    python scripts/make_rnn_fixtures.py

For each case it builds the graph with TF1's cells and functions, sets every variable to seeded random
values, feeds seeded inputs and saves, under ``<case>/...`` keys: the inputs, each variable by its TF name
(``<case>/var/rnn/basic_lstm_cell/kernel:0``), the outputs, the final state and the gradients of a fixed
weighted sum of outputs and state w.r.t. the inputs and every variable. The test rebuilds the same cases
with ``import trainer as tf`` (same variable names, so it also checks TF1's naming) and compares at 1e-5.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "rnn_tf1.npz"

# Case name -> (builder name, batch, time, depth, sequence lengths or None). The builders are written out
# twice, here for TensorFlow and in the test for tensorlet, with the same arguments.
CASES = {
    "basic_lstm_seq": ("basic_lstm", 3, 4, 3, [4, 2, 1]),
    "lstm_peep_proj": ("lstm_peep_proj", 2, 3, 3, None),
    "gru": ("gru", 2, 4, 3, None),
    "basic_rnn_static": ("basic_rnn_static", 2, 3, 4, [3, 1]),
    "multi_lstm": ("multi_lstm", 2, 3, 3, None),
    "bidi_gru_seq": ("bidi_gru", 3, 4, 2, [4, 3, 1]),
}


def build(tf, rnn, cells, kind: str, x, seq):
    """Outputs and final state (flat lists) of case ``kind`` on input placeholder ``x``."""
    f32 = tf.float32
    if kind == "basic_lstm":
        out, st = rnn.dynamic_rnn(cells.BasicLSTMCell(5), x, sequence_length=seq, dtype=f32)
        return [out], list(st)
    if kind == "lstm_peep_proj":
        cell = cells.LSTMCell(5, use_peepholes=True, num_proj=3, cell_clip=1.5, forget_bias=0.5)
        out, st = rnn.dynamic_rnn(cell, x, dtype=f32)
        return [out], list(st)
    if kind == "gru":
        out, st = rnn.dynamic_rnn(cells.GRUCell(4), x, dtype=f32)
        return [out], [st]
    if kind == "basic_rnn_static":
        outs, st = rnn.static_rnn(
            cells.BasicRNNCell(3), tf.unstack(x, axis=1), sequence_length=seq, dtype=f32
        )
        return outs, [st]
    if kind == "multi_lstm":
        cell = cells.MultiRNNCell([cells.BasicLSTMCell(4), cells.BasicLSTMCell(3)])
        out, st = rnn.dynamic_rnn(cell, x, dtype=f32)
        return [out], [s for layer in st for s in layer]
    if kind == "bidi_gru":
        (fw, bw), (sf, sb) = rnn.bidirectional_dynamic_rnn(
            cells.GRUCell(3), cells.GRUCell(2), x, sequence_length=seq, dtype=f32
        )
        return [fw, bw], [sf, sb]
    raise ValueError(kind)


def main() -> None:
    import tensorflow as tf2
    from tensorflow.python.ops import rnn, rnn_cell_impl

    tf = tf2.compat.v1
    tf.disable_eager_execution()
    data: dict[str, np.ndarray] = {}
    for case, (kind, b, t, d, seq) in CASES.items():
        rng = np.random.default_rng(sum(map(ord, case)))
        g = tf.Graph()
        with g.as_default():
            x = tf.placeholder(tf.float32, [b, t, d], name="x")
            outs, states = build(tf, rnn, rnn_cell_impl, kind, x, None if seq is None else np.array(seq))
            loss = 0.0
            for k, y in enumerate(outs + states):
                w = rng.uniform(-1, 1, size=y.shape.as_list()).astype(np.float32)
                data[f"{case}/w{k}"] = w
                loss = loss + tf.reduce_sum(y * w)
            variables = tf.global_variables()
            grads = tf.gradients(loss, [x, *variables])
            xv = rng.uniform(-1, 1, size=(b, t, d)).astype(np.float32)
            data[f"{case}/x"] = xv
            with tf.Session() as sess:
                for v in variables:
                    val = rng.uniform(-0.5, 0.5, size=v.shape.as_list()).astype(np.float32)
                    v.load(val, sess)
                    data[f"{case}/var/{v.name}"] = val
                res = sess.run(outs + states + grads, {x: xv})
            n_o, n_s = len(outs), len(states)
            for k in range(n_o):
                data[f"{case}/out{k}"] = res[k]
            for k in range(n_s):
                data[f"{case}/state{k}"] = res[n_o + k]
            data[f"{case}/grad/x"] = res[n_o + n_s]
            for v, gv in zip(variables, res[n_o + n_s + 1 :], strict=True):
                data[f"{case}/grad/{v.name}"] = gv
        print(case, [v.name for v in variables], file=sys.stderr)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **data)
    print(f"wrote {OUT} ({len(data)} arrays)")


if __name__ == "__main__":
    main()
