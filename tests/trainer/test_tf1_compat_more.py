"""The second round of TF1 names beyond the op cases (compat_op_cases.py): TensorArray in while loops
(a hand-written RNN equals ``dynamic_rnn``), ``tf.train.load_checkpoint``'s reader, variational
recurrent dropout, einsum's errors, partitioned embedding lookups' errors, and second derivatives
through control flow refused by name.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import trainer as tf
from trainer.errors import InvalidArgumentError, UnimplementedError


def test_hand_written_lstm_loop_equals_dynamic_rnn():
    """The TensorArray idiom of hand-written RNN loops gives dynamic_rnn's outputs and gradients."""
    rng = np.random.default_rng(3)
    xv = rng.normal(size=(3, 5, 4)).astype(np.float32)
    weights = [rng.normal(size=(10, 24)).astype(np.float32) * 0.4, rng.normal(size=24).astype(np.float32)]
    results = []
    for manual in (False, True):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, [None, 5, 4])
            cell = tf.nn.rnn_cell.BasicLSTMCell(6)
            if manual:
                inputs = tf.TensorArray(tf.float32, size=5).unstack(tf.transpose(x, [1, 0, 2]))
                outputs = tf.TensorArray(tf.float32, size=5)
                state0 = cell.zero_state(tf.shape(x)[0], tf.float32)

                def body(t, state, outputs, cell=cell, inputs=inputs):
                    with tf.variable_scope("rnn"):
                        out, state = cell(inputs.read(t), state)
                    return t + 1, state, outputs.write(t, out)

                _, _, outputs = tf.while_loop(lambda t, *_: t < 5, body, [0, state0, outputs])
                out = tf.transpose(outputs.stack(), [1, 0, 2])
            else:
                out, _ = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
            assert out.shape.as_list() == [None, 5, 6]
            loss = tf.reduce_sum(tf.square(out))
            grads = tf.gradients(loss, [x, *tf.trainable_variables()])
            assert [v.name for v in tf.trainable_variables()] == [
                "rnn/basic_lstm_cell/kernel:0",
                "rnn/basic_lstm_cell/bias:0",
            ]
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                for v, value in zip(tf.trainable_variables(), weights, strict=True):
                    v.load(value, sess)
                results.append(sess.run([out, *grads], {x: xv}))
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_tensor_array_in_cond_and_after_zero_iterations():
    with tf.Graph().as_default():
        flag = tf.placeholder(tf.bool, [])
        ta = tf.TensorArray(tf.float32, size=2, element_shape=[2])
        ta = tf.cond(flag, lambda: ta.write(0, [1.0, 2.0]), lambda: ta.write(1, [3.0, 4.0]))
        assert isinstance(ta, tf.TensorArray)
        n = tf.placeholder(tf.int32, [])
        _, tb = tf.while_loop(lambda i, tb: i < n, lambda i, tb: (i + 1, tb.write(i, [5.0, 6.0])), [0, ta])
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(ta.stack(), {flag: True}), [[1, 2], [0, 0]])
            np.testing.assert_array_equal(sess.run(ta.stack(), {flag: False}), [[0, 0], [3, 4]])
            np.testing.assert_array_equal(sess.run(ta.read(1), {flag: False}), [3, 4])
            np.testing.assert_array_equal(sess.run(tb.stack(), {flag: True, n: 0}), [[1, 2], [0, 0]])
            np.testing.assert_array_equal(sess.run(tb.stack(), {flag: True, n: 1}), [[5, 6], [0, 0]])


def test_load_checkpoint_reader_and_the_old_pair(tmp_path: Path):
    with tf.Graph().as_default():
        w = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="dense/kernel")
        b = tf.Variable(np.ones(3, np.float64), name="dense/bias")
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            path = saver.save(sess, str(tmp_path / "model"), global_step=7)
    for where in (path, str(tmp_path)):  # a prefix or its folder, as TF1 accepts
        reader = tf.train.load_checkpoint(where)
        assert reader.get_variable_to_shape_map() == {"dense/kernel": [2, 3], "dense/bias": [3]}
        assert reader.get_variable_to_dtype_map()["dense/bias"] == np.float64
        assert reader.has_tensor("dense/kernel") and not reader.has_tensor("dense/other")
        np.testing.assert_array_equal(reader.get_tensor("dense/kernel"), np.arange(6).reshape(2, 3))
        with pytest.raises(tf.errors.NotFoundError):
            reader.get_tensor("dense/other")
    index, arrays = tf.train.load_checkpoint(path)  # what earlier tensorlet versions returned
    assert sorted(arrays) == ["dense/bias", "dense/kernel"] and "variables" in index
    _, some = tf.train.load_checkpoint(path, names=["dense/bias"])
    assert list(some) == ["dense/bias"]
    with pytest.raises(InvalidArgumentError):
        tf.train.load_checkpoint(path, max_bytes=8)
    assert b.dtype == tf.float64 and w.shape.as_list() == [2, 3]


def test_variational_dropout_keeps_one_mask_per_run():
    with tf.Graph().as_default():
        tf.set_random_seed(5)
        x = tf.placeholder(tf.float32, [None, 6, 3])
        identity_cell = tf.nn.rnn_cell.BasicRNNCell(8, activation=tf.identity)
        cell = tf.nn.rnn_cell.DropoutWrapper(
            identity_cell,
            input_keep_prob=0.5,
            output_keep_prob=0.5,
            variational_recurrent=True,
            input_size=3,
            dtype=tf.float32,
        )
        out, _ = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            o1 = sess.run(out, {x: np.ones((4, 6, 3))})
            o2 = sess.run(out, {x: np.ones((4, 6, 3))})
    dropped = o1 == 0
    # the same output units are dropped at every step and for every row of the batch
    assert np.all(dropped == dropped[:1, :1]) and 0 < dropped[0, 0].sum() < 8
    kept = ~dropped[0, 0]
    assert not np.array_equal(dropped, o2 == 0) or not np.allclose(o1, o2)  # a new mask per run
    assert np.all(np.abs(o1[..., kept]) > 0)
    with pytest.raises(InvalidArgumentError, match="needs dtype"):
        tf.nn.rnn_cell.DropoutWrapper(identity_cell, state_keep_prob=0.5, variational_recurrent=True)
    with pytest.raises(InvalidArgumentError, match="needs input_size"):
        tf.nn.rnn_cell.DropoutWrapper(
            identity_cell, input_keep_prob=0.5, variational_recurrent=True, dtype=tf.float32
        )


def test_einsum_and_embedding_lookup_errors():
    a, b = tf.ones([2, 3]), tf.ones([3, 4])
    with pytest.raises(UnimplementedError, match="diagonal or trace"):
        tf.einsum("ii->i", tf.ones([3, 3]))
    with pytest.raises(UnimplementedError, match="only one or two"):
        tf.einsum("ij,jk,kl->il", a, b, tf.ones([4, 2]))
    with pytest.raises(InvalidArgumentError, match="rank 2 but 'ijk'"):
        tf.einsum("ijk,jk->i", a, b)
    with pytest.raises(InvalidArgumentError, match="axis 'j' is 3 in one operand and 4"):
        tf.einsum("ij,kj->ik", a, b)
    with pytest.raises(InvalidArgumentError, match="'mod' or 'div'"):
        tf.nn.embedding_lookup([a, a], [0], partition_strategy="hash")


def test_second_derivatives_through_cond_and_while_loop_are_refused_by_name():
    """First derivatives are right; a second derivative through a cond or loop raises a clear error
    (it used to come back None for a cond: the replayed forward values carried no gradient path)."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [])
        y = tf.cond(x > 0, lambda: tf.square(tf.identity(x)) * x, lambda: -x)  # x^3 for x > 0
        _, z = tf.while_loop(lambda i, z: i < 2, lambda i, z: (i + 1, z * x), [0, x])  # x^3
        (dy,) = tf.gradients(y, x)
        (dz,) = tf.gradients(z, x)
        with tf.Session() as sess:
            assert sess.run([dy, dz], {x: 2.0}) == [12.0, 12.0]
        for d, op_type in ((dy, "IfGrad"), (dz, "WhileGrad")):
            with pytest.raises(tf.errors.GradientLookupError, match=f"{op_type}.*second derivatives"):
                tf.gradients(d, x)


FIXTURE = Path(__file__).parent / "tf1_fixtures" / "sampled_losses.npz"


@pytest.mark.parametrize("num_true", [1, 2])
@pytest.mark.parametrize("fn", ["nce", "ssm"])
@pytest.mark.parametrize("hits", [False, True])
def test_sampled_losses_match_tensorflow(fn: str, num_true: int, hits: bool):
    """With the same sample (sampled_values=), nce_loss and sampled_softmax_loss and their gradients
    equal TensorFlow's (scripts/make_sampled_loss_fixtures.py)."""
    d = np.load(FIXTURE)
    key = f"{fn}_t{num_true}_{'hits' if hits else 'nohits'}"
    loss_fn = tf.nn.nce_loss if fn == "nce" else tf.nn.sampled_softmax_loss
    with tf.Graph().as_default():
        w, b, x = tf.constant(d["weights"]), tf.constant(d["biases"]), tf.constant(d["inputs"])
        sv = (tf.constant(d["sampled"]), tf.constant(d[f"true_exp{num_true}"]), tf.constant(d["sampled_exp"]))
        loss = loss_fn(
            w,
            b,
            tf.constant(d[f"labels{num_true}"]),
            x,
            5,
            20,
            num_true=num_true,
            sampled_values=sv,
            remove_accidental_hits=hits,
        )
        gw, gx = tf.gradients(tf.reduce_sum(loss * np.arange(1, 4, dtype=np.float32)), [w, x])
        with tf.Session() as sess:
            got = sess.run([loss, gw, gx])
    for a, k in zip(got, [key, key + "_dw", key + "_dx"], strict=True):
        np.testing.assert_allclose(a, d[k], rtol=1e-5, atol=1e-5)


def test_candidate_samplers_draw_distinct_classes_with_tf1_expected_counts():
    d = np.load(FIXTURE)
    with tf.Graph().as_default():
        labels = tf.constant(d["labels2"])
        for kind in ("log_uniform", "uniform"):
            fn = getattr(tf.nn, f"{kind}_candidate_sampler")
            _, true_exp, _ = fn(labels, 2, 6, False, 20, seed=1)  # independent draws: p * num_sampled
            s, _, s_exp = fn(labels, 2, 6, True, 20, seed=1)
            with tf.Session() as sess:
                np.testing.assert_allclose(sess.run(true_exp), d[f"{kind}_true_exp"], rtol=1e-6)
                for _ in range(3):
                    sv, ev = sess.run([s, s_exp])
                    assert (
                        sv.dtype == np.int64
                        and len(set(sv.tolist())) == 6
                        and sv.min() >= 0
                        and sv.max() < 20
                    )
                    assert np.all((ev > 0) & (ev <= 1))  # distinct draws: 1 - (1 - p)^tries


def test_ema_variables_to_restore_as_tensorflow_maps_them(tmp_path: Path):
    """TF1's mapping (checked against TensorFlow 2.21): each averaged variable under its shadow's name,
    tensors' shadows and other variables under their own; MOVING_AVERAGE_VARIABLES lists variables only."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        mean, _ = tf.nn.moments(x, [0])
        w = tf.Variable(1.0, name="w")
        step = tf.train.get_or_create_global_step()
        ema = tf.train.ExponentialMovingAverage(0.5, step)
        update = ema.apply([w, mean])
        assert tf.get_collection(tf.GraphKeys.MOVING_AVERAGE_VARIABLES) == [w]
        names = ema.variables_to_restore()
        assert names["w/ExponentialMovingAverage"] is w and names["global_step"] is step
        shadow = ema.average(mean)
        assert names[shadow.op.name] is shadow and len(names) == 3
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(w.assign(3.0))
            sess.run(update, {x: np.ones((2, 3))})
            path = tf.train.Saver().save(sess, str(tmp_path / "m"))
            tf.train.Saver(names).restore(sess, path)
            assert sess.run(w) == pytest.approx(1.0 + (3.0 - 1.0) * 0.9)  # decay min(0.5, 1/10) = 0.1


def test_sparse_softmax_cross_entropy_over_time_steps():
    """TF1 accepts labels [batch, time] with logits [batch, time, classes]."""
    rng = np.random.default_rng(2)
    lg, lb = rng.normal(size=(2, 3, 4)), rng.integers(0, 4, size=(2, 3))
    with tf.Graph().as_default():
        logits = tf.placeholder(tf.float64, [None, 3, 4])
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant(lb), logits=logits)
        assert loss.shape.as_list() == [2, 3]
        (g,) = tf.gradients(tf.reduce_sum(loss), logits)
        with tf.Session() as sess:
            got, dg = sess.run([loss, g], {logits: lg})
    p = np.exp(lg) / np.exp(lg).sum(-1, keepdims=True)
    np.testing.assert_allclose(got, -np.log(np.take_along_axis(p, lb[..., None], -1)[..., 0]), rtol=1e-12)
    np.testing.assert_allclose(dg, p - np.eye(4)[lb], rtol=1e-12, atol=1e-12)
    with pytest.raises(InvalidArgumentError, match="must have rank 2"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant([1, 2]), logits=tf.ones([2, 3, 4]))


def test_tf_math_random_debugging_linalg_namespaces():
    assert tf.math.log is tf.log and tf.math.reduce_logsumexp is tf.reduce_logsumexp
    assert tf.math.top_k is tf.nn.top_k and tf.math.floormod is tf.floormod and tf.math.mod is tf.floormod
    assert tf.random.normal is tf.random_normal and tf.random.shuffle is tf.random_shuffle
    assert tf.random.categorical is tf.multinomial and tf.random.set_seed is tf.set_random_seed
    assert tf.debugging.assert_equal is tf.assert_equal and tf.linalg.det is tf.matrix_determinant
    assert tf.linalg.inv is tf.matrix_inverse and tf.linalg.transpose is tf.matrix_transpose
    with pytest.raises(AttributeError, match="no_such_name"):
        tf.math.no_such_name  # noqa: B018


def test_py_func_several_outputs_and_map_fn_structure_error():
    with tf.Graph().as_default():
        a, b = tf.py_func(lambda x: (x + 1, x * 2), [tf.constant([1, 2])], [tf.int64, tf.float32])
        with tf.Session() as sess:
            va, vb = sess.run([a, b])
        assert (
            va.dtype == np.int64
            and va.tolist() == [2, 3]
            and vb.dtype == np.float32
            and vb.tolist() == [2, 4]
        )
        with pytest.raises(InvalidArgumentError, match="give dtype="):
            tf.map_fn(lambda x: (x, x), tf.ones([3, 2]))


def test_more_losses_match_tensorflow():
    """huber/log/hinge/cosine losses and Reduction.NONE: the values TensorFlow 2.21 (compat.v1) gives for
    the same inputs."""
    y = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
    p = np.array([[0.2, 2.5], [1.1, -0.3]], np.float32)
    with tf.Graph().as_default():
        outs = [
            tf.losses.huber_loss(y, p),
            tf.losses.log_loss(y, tf.sigmoid(p)),
            tf.losses.hinge_loss(y, p),
            tf.losses.cosine_distance(tf.nn.l2_normalize(y, 1), tf.nn.l2_normalize(p, 1), axis=1),
            tf.losses.huber_loss(y, p, reduction=tf.losses.Reduction.NONE),
            tf.losses.compute_weighted_loss([1.0, 3.0], [0.0, 2.0], reduction=tf.losses.Reduction.MEAN),
        ]
        assert len(tf.losses.get_losses()) == 6
        with tf.Session() as sess:
            got = sess.run(outs)
    want = [0.26749998, 0.42967963, 0.47500002, 0.019210488, [[0.02, 1.0], [0.005, 0.045]], 3.0]
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)  # 1 - cos: float32 cancellation
    with pytest.raises(InvalidArgumentError, match="unknown reduction"):
        tf.losses.compute_weighted_loss([1.0], reduction="sum_everything")


def test_conv1d_layers_and_cosine_decay():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 20, 8])
        h = tf.layers.conv1d(x, 16, 3, padding="same", activation=tf.nn.relu)
        h = tf.layers.max_pooling1d(tf.layers.conv1d(h, 4, 5, strides=2), 2, 2)
        with tf.variable_scope("tower", reuse=tf.AUTO_REUSE):
            tf.layers.conv1d(x, 2, 3, name="c")
            tf.layers.conv1d(x, 2, 3, name="c")  # reused
        assert h.shape.as_list() == [None, 4, 4]
        assert [v.name for v in tf.trainable_variables()] == [
            "conv1d/kernel:0",
            "conv1d/bias:0",
            "conv1d_1/kernel:0",
            "conv1d_1/bias:0",
            "tower/c/kernel:0",
            "tower/c/bias:0",
        ]
        assert tf.trainable_variables()[2].shape.as_list() == [5, 16, 4]
        lr = [tf.train.cosine_decay(0.1, s, 100, alpha=0.1) for s in (0, 50, 100, 150)]
        with tf.Session() as sess:
            np.testing.assert_allclose(
                sess.run(lr), [0.1, 0.055, 0.01, 0.01], rtol=1e-6
            )  # TF: 0.054999996 at 50


def test_make_template_shares_variables_after_the_first_call():
    with tf.Graph().as_default():

        def dense(x, units=2):
            w = tf.get_variable("w", [3, units], initializer=tf.ones_initializer())
            return tf.matmul(x, w)

        layer = tf.make_template("layer", dense)
        a, b = layer(tf.ones([1, 3])), layer(2 * tf.ones([1, 3]))
        wide = tf.make_template("layer", dense, units=4)  # a second template: its own scope, layer_1
        c = wide(tf.ones([1, 3]))
        assert [v.name for v in tf.trainable_variables()] == ["layer/w:0", "layer_1/w:0"]
        assert [v.name for v in layer.trainable_variables] == ["layer/w:0"] and c.shape.as_list() == [1, 4]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            assert sess.run(b).tolist() == [[6.0, 6.0]] and sess.run(a).tolist() == [[3.0, 3.0]]


def test_freeze_drops_print_and_check_numerics():
    """Debugging pass-throughs vanish when a model is frozen for export, as Identity does."""
    from trainer.freeze import freeze

    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2))
        h = tf.Print(tf.matmul(x, w), [x], "x: ", first_n=1)
        y = tf.check_numerics(tf.nn.relu(h), "relu")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            frozen = freeze(sess, [x], [y])
    types = {op.type for op in frozen.graph.get_operations()}
    assert "Print" not in types and "CheckNumerics" not in types, types


def test_streaming_precision_recall_and_errors():
    """Values by hand; variable names as TF1 makes them."""
    with tf.Graph().as_default():
        lab, pred = tf.placeholder(tf.int64, [None]), tf.placeholder(tf.int64, [None])
        y, q = tf.placeholder(tf.float32, [None]), tf.placeholder(tf.float32, [None])
        pr, pr_up = tf.metrics.precision(lab, pred)
        rc, rc_up = tf.metrics.recall(lab, pred)
        mse, mse_up = tf.metrics.mean_squared_error(y, q)
        rmse, rmse_up = tf.metrics.root_mean_squared_error(y, q)
        mae, mae_up = tf.metrics.mean_absolute_error(y, q)
        assert [v.name for v in tf.local_variables()][:4] == [
            "precision/true_positives/count:0",
            "precision/false_positives/count:0",
            "recall/true_positives/count:0",
            "recall/false_negatives/count:0",
        ]
        assert "root_mean_squared_error/total:0" in [v.name for v in tf.local_variables()]
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            assert sess.run([pr, rc]) == [0.0, 0.0]  # no positives yet
            sess.run([pr_up, rc_up], {lab: [1, 0, 1, 1], pred: [1, 1, 0, 1]})
            sess.run([pr_up, rc_up], {lab: [0, 1, 0], pred: [0, 1, 0]})
            sess.run([mse_up, rmse_up, mae_up], {y: [1.0, 2.0], q: [1.0, 4.0]})
            sess.run([mse_up, rmse_up, mae_up], {y: [0.0], q: [1.0]})
            got = sess.run([pr, rc, mse, rmse, mae])
    np.testing.assert_allclose(got, [0.75, 0.75, 5 / 3, np.sqrt(5 / 3), 1.0], rtol=1e-6)


def test_string_constants_and_feeds_hold_bytes():
    """TensorFlow-Examples' hello world: a string constant runs to bytes; string placeholders take str."""
    with tf.Graph().as_default():
        hello = tf.constant("Hello, TensorFlow!")
        names = tf.constant([["a", "bc"]])
        p = tf.placeholder(tf.string, [None])
        assert hello.dtype == tf.string and names.shape.as_list() == [1, 2]
        with tf.Session() as sess:
            assert sess.run(hello) == b"Hello, TensorFlow!"
            assert sess.run(names).tolist() == [[b"a", b"bc"]]
            assert sess.run(tf.identity(p), {p: ["x", b"yz"]}).tolist() == [b"x", b"yz"]
        with pytest.raises(InvalidArgumentError, match="cannot convert"):
            tf.constant("1.5", dtype=tf.float32)


def test_adadelta_matches_tensorflow():
    """Five Adadelta steps give TensorFlow 2.21's (compat.v1) weights; slots named as TF names them."""
    with tf.Graph().as_default():
        w = tf.Variable(np.array([[1.0, -2.0], [0.5, 3.0]], np.float32), name="w")
        x = tf.constant(np.array([[1.0, 2.0], [-1.0, 0.5]], np.float32))
        loss = tf.reduce_sum(tf.square(tf.matmul(x, w) - 1.0))
        train = tf.train.AdadeltaOptimizer(1.0, rho=0.9, epsilon=1e-6).minimize(loss)
        assert sorted(v.name for v in tf.global_variables()) == ["w/Adadelta:0", "w/Adadelta_1:0", "w:0"]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(5):
                sess.run(train)
            got = sess.run(w)
    np.testing.assert_allclose(got, [[0.98364866, -2.0159733], [0.48389962, 2.9836178]], rtol=1e-6)


def test_contrib_seq2seq_sequence_loss_reductions():
    rng = np.random.default_rng(0)
    lg = rng.normal(size=(2, 3, 4)).astype(np.float32)
    t = np.array([[1, 2, 0], [3, 3, 1]])
    w = np.array([[1, 1, 0], [1, 0.5, 1]], np.float32)
    p = np.exp(lg) / np.exp(lg).sum(-1, keepdims=True)
    xent = -np.log(np.take_along_axis(p, t[..., None], -1)[..., 0]) * w
    want = [
        xent.sum() / w.sum(),
        xent.sum(0) / w.sum(0),
        xent.sum(1) / w.sum(1),
        xent,
        xent.sum() / np.count_nonzero(w),
        xent.sum(1) / np.count_nonzero(w, axis=1),
    ]
    seq_loss = tf.contrib.seq2seq.sequence_loss
    with tf.Graph().as_default():
        outs = [
            seq_loss(lg, t, w),
            seq_loss(lg, t, w, average_across_timesteps=False),
            seq_loss(lg, t, w, average_across_batch=False),
            seq_loss(lg, t, w, False, False),
            seq_loss(lg, t, w, False, False, sum_over_timesteps=True, sum_over_batch=True),
            seq_loss(lg, t, w, False, False, sum_over_timesteps=True),
        ]
        with tf.Session() as sess:
            got = sess.run(outs)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    with pytest.raises(InvalidArgumentError, match="cannot both be set"):
        seq_loss(lg, t, w, sum_over_timesteps=True)


def test_contrib_legacy_seq2seq_losses():
    rng = np.random.default_rng(1)
    lg = rng.normal(size=(3, 2, 4)).astype(np.float32)  # time, batch, classes
    t = np.array([[1, 2], [0, 3], [3, 3]])
    w = np.array([[1, 1], [1, 0], [0.5, 1]], np.float32)
    p = np.exp(lg) / np.exp(lg).sum(-1, keepdims=True)
    xent = -np.log(np.take_along_axis(p, t[..., None], -1)[..., 0]) * w  # [time, batch]
    by_example = xent.sum(0) / (w.sum(0) + 1e-12)
    with tf.Graph().as_default():
        legacy = tf.contrib.legacy_seq2seq
        a = legacy.sequence_loss_by_example(list(lg), list(t), list(w))
        b = legacy.sequence_loss(list(lg), list(t), list(w))
        c = legacy.sequence_loss(list(lg), list(t), list(w), average_across_timesteps=False)
        with tf.Session() as sess:
            got = sess.run([a, b, c])
    np.testing.assert_allclose(got[0], by_example, rtol=1e-5)
    np.testing.assert_allclose(got[1], by_example.sum() / 2, rtol=1e-5)
    np.testing.assert_allclose(got[2], xent.sum() / 2, rtol=1e-5)


def test_report_uninitialized_variables_initializes_only_new_ones(tmp_path: Path):
    """The restore-then-initialize-the-rest idiom."""
    with tf.Graph().as_default():
        old = tf.Variable([1.0, 2.0], name="old")
        with tf.Session() as sess:
            sess.run(old.initializer)
            path = tf.train.Saver([old]).save(sess, str(tmp_path / "m"))
    with tf.Graph().as_default():
        old = tf.Variable([0.0, 0.0], name="old")
        new = tf.Variable(5.0, name="new")
        tf.add_to_collection(tf.GraphKeys.MODEL_VARIABLES, new)
        check = tf.assert_variables_initialized()
        with tf.Session() as sess:
            tf.train.Saver([old]).restore(sess, path)
            names = sess.run(tf.report_uninitialized_variables())
            assert names.tolist() == [b"new"] and not sess.run(tf.is_variable_initialized(new))
            with pytest.raises(tf.errors.FailedPreconditionError, match="not initialized: new"):
                sess.run(check)
            pending = [v for v in tf.global_variables() if v.op.name.encode() in set(names.tolist())]
            sess.run(tf.variables_initializer(pending))
            assert sess.run(old).tolist() == [1.0, 2.0] and sess.run(new) == 5.0
            assert sess.run(tf.report_uninitialized_variables()).tolist() == []
        assert tf.model_variables() == [new] and tf.moving_average_variables() == []
