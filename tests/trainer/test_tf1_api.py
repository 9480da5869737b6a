"""The TF1 API surface classic programs use: tf.layers functions (naming, reuse, numbers), tf.contrib.layers,
initializer aliases, tf.flags / tf.app.run, deprecated aliases, and Tensor/Variable methods."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import trainer as tf
from trainer.errors import InvalidArgumentError


def _names(vs: list) -> list[str]:
    return [v.name for v in vs]


# ---- tf.layers functions -------------------------------------------------------------------------------
def test_layer_functions_name_variables_like_tf1_and_reuse() -> None:
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 6])
        tf.layers.dense(x, 4)
        tf.layers.dense(x, 4)
        with tf.variable_scope("net"):
            h = tf.layers.dense(x, 3, activation=tf.nn.relu, name="fc")
        with tf.variable_scope("net", reuse=True):
            h2 = tf.layers.dense(x, 3, activation=tf.nn.relu, name="fc")
        with tf.variable_scope("net", reuse=tf.AUTO_REUSE):
            tf.layers.dense(x, 3, name="fc")
            tf.layers.dense(x, 2, name="new")  # AUTO_REUSE creates what does not exist
        assert _names(tf.trainable_variables()) == [
            "dense/kernel:0",
            "dense/bias:0",
            "dense_1/kernel:0",
            "dense_1/bias:0",
            "net/fc/kernel:0",
            "net/fc/bias:0",
            "net/new/kernel:0",
            "net/new/bias:0",
        ]
        assert h.name != h2.name  # new ops, same variables
        with pytest.raises(InvalidArgumentError, match="already exists"):
            with tf.variable_scope("net"):
                tf.layers.dense(x, 3, name="fc")
        with pytest.raises(InvalidArgumentError, match="does not exist"):
            tf.layers.dense(x, 3, name="nothing_here", reuse=True)
        xv = np.random.default_rng(0).normal(size=(2, 6)).astype(np.float32)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            a, b = sess.run([h, h2], {x: xv})
            k, bias = sess.run(["net/fc/kernel:0", "net/fc/bias:0"])
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, np.maximum(xv @ k + bias, 0), rtol=1e-6)


def test_conv_pool_flatten_dropout_batchnorm_functions() -> None:
    rng = np.random.default_rng(1)
    xv = rng.normal(size=(2, 6, 6, 2)).astype(np.float32)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 6, 6, 2])
        training = tf.placeholder_with_default(False, [])
        c = tf.layers.conv2d(x, 3, 3, padding="same", name="c1")
        mp = tf.layers.max_pooling2d(c, 2, 2)
        ap = tf.layers.average_pooling2d(c, 3, 1, padding="valid")
        sep = tf.layers.separable_conv2d(x, 4, 3, depth_multiplier=2)
        fl = tf.layers.flatten(mp)
        dr = tf.layers.dropout(fl, rate=0.5, training=training)
        bn = tf.layers.batch_normalization(c, training=True, momentum=0.9)
        assert _names(tf.global_variables()) == [
            "c1/kernel:0",
            "c1/bias:0",
            "separable_conv2d/depthwise_kernel:0",
            "separable_conv2d/pointwise_kernel:0",
            "separable_conv2d/bias:0",
            "batch_normalization/gamma:0",
            "batch_normalization/beta:0",
            "batch_normalization/moving_mean:0",
            "batch_normalization/moving_variance:0",
        ]
        assert [mp.shape.as_list(), ap.shape.as_list(), sep.shape.as_list(), fl.shape.as_list()] == [
            [None, 3, 3, 3],
            [None, 4, 4, 3],
            [None, 4, 4, 4],
            [None, 27],
        ]
        updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        assert len(updates) == 2
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            k, b, dw, pw = sess.run(
                [
                    "c1/kernel:0",
                    "c1/bias:0",
                    "separable_conv2d/depthwise_kernel:0",
                    "separable_conv2d/pointwise_kernel:0",
                ]
            )
            cv, mpv, apv, sepv, flv, d_eval, d_train, bnv = sess.run(
                [c, mp, ap, sep, fl, dr, dr, bn], {x: xv}
            )
            d_train = sess.run(dr, {x: xv, training: True})
            sess.run(updates, {x: xv})
            mm = sess.run("batch_normalization/moving_mean:0")
        want_c = tf.nn.conv2d(xv, k, [1, 1, 1, 1], "SAME")
        want_sep = tf.nn.conv2d(
            tf.nn.depthwise_conv2d(xv, dw, [1, 1, 1, 1], "VALID"), pw, [1, 1, 1, 1], "VALID"
        )
        with tf.Session() as sess:
            np.testing.assert_allclose(cv, sess.run(want_c) + b, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(sepv, sess.run(want_sep), rtol=1e-5, atol=1e-6)  # bias starts at 0
    np.testing.assert_allclose(mpv, cv.reshape(2, 3, 2, 3, 2, 3).max(axis=(2, 4)), rtol=1e-6)
    np.testing.assert_allclose(apv[:, 0, 0], cv[:, :3, :3].mean(axis=(1, 2)), rtol=1e-5)
    np.testing.assert_array_equal(flv, mpv.reshape(2, -1))
    np.testing.assert_array_equal(d_eval, flv)  # training=False: the identity
    kept = d_train != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(d_train[kept], 2 * flv[kept], rtol=1e-6)
    mu, var = cv.mean(axis=(0, 1, 2)), cv.var(axis=(0, 1, 2))
    np.testing.assert_allclose(bnv, (cv - mu) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(mm, 0.1 * mu, rtol=1e-4, atol=1e-6)


# ---- tf.contrib.layers and initializers ----------------------------------------------------------------
def test_contrib_layers() -> None:
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(3)
        x = tf.placeholder(tf.float32, [None, 2, 2, 3])
        flat = tf.contrib.layers.flatten(x)
        h = tf.contrib.layers.fully_connected(
            flat, 5, weights_regularizer=tf.contrib.layers.l2_regularizer(0.1)
        )
        out = tf.contrib.layers.fully_connected(h, 2, activation_fn=None, scope="logits")
        big = tf.get_variable(
            "big", [400, 600], initializer=tf.contrib.layers.xavier_initializer(), dtype=tf.float32
        )
        he = tf.get_variable("he", [500, 300], initializer=tf.contrib.layers.variance_scaling_initializer())
        l1 = tf.contrib.layers.l1_regularizer(0.5)(tf.constant([1.0, -2.0]))
        assert _names(tf.trainable_variables()) == [
            "fully_connected/weights:0",
            "fully_connected/biases:0",
            "logits/weights:0",
            "logits/biases:0",
            "big:0",
            "he:0",
        ]
        assert flat.shape.as_list() == [None, 12] and out.shape.as_list() == [None, 2]
        (reg,) = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
        xv = np.random.default_rng(2).normal(size=(4, 2, 2, 3))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            hv, w, bv, wv, hev, regv, l1v = sess.run(
                [h, "fully_connected/weights:0", "fully_connected/biases:0", big, he, reg, l1], {x: xv}
            )
    np.testing.assert_allclose(hv, np.maximum(xv.reshape(4, 12) @ w + bv, 0), rtol=1e-5)  # ReLU by default
    limit = np.sqrt(6.0 / 1000)
    assert np.abs(wv).max() <= limit and np.abs(wv).max() > 0.95 * limit
    assert abs(wv.std() - limit / np.sqrt(3)) < 0.01 * limit
    assert abs(hev.std() - np.sqrt(2.0 / 500)) < 0.06 * np.sqrt(2.0 / 500)  # truncated normal, stddev 1.3*2/n
    np.testing.assert_allclose(regv, 0.1 * (w**2).sum() / 2, rtol=1e-5)
    assert l1v == pytest.approx(1.5)
    with pytest.raises(AttributeError, match="no module 'slim'"):
        tf.contrib.slim  # noqa: B018


def test_initializer_aliases() -> None:
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(0)
        rn = tf.get_variable("rn", [200, 100], initializer=tf.random_normal_initializer(1.0, 0.5))
        tn = tf.get_variable("tn", [200, 100], initializer=tf.truncated_normal_initializer(stddev=0.1))
        cst = tf.get_variable("c", [2, 2], initializer=tf.constant_initializer(0.5))
        zi = tf.get_variable("z", [3], dtype=tf.int32, initializer=tf.zeros_initializer())
        gu = tf.get_variable(
            "gu", [30, 20], initializer=tf.glorot_uniform_initializer(seed=1, dtype=tf.float32)
        )
        ones = tf.Variable(tf.ones_initializer(dtype=tf.float64)([2]))
        assert zi.dtype is tf.int32 and ones.dtype is tf.float64
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            rnv, tnv, cv, zv, guv = sess.run([rn, tn, cst, zi, gu])
    assert abs(rnv.mean() - 1.0) < 0.02 and abs(rnv.std() - 0.5) < 0.02
    assert np.abs(tnv).max() <= 0.2 and 0.07 < tnv.std() < 0.095
    np.testing.assert_array_equal(cv, np.full((2, 2), 0.5)) and np.testing.assert_array_equal(zv, [0, 0, 0])
    assert np.abs(guv).max() <= np.sqrt(6 / 50)


# ---- tf.flags / tf.app ---------------------------------------------------------------------------------
@pytest.fixture
def flags():
    tf.flags.FLAGS._reset()
    yield tf.flags
    tf.flags.FLAGS._reset()


def test_flags_parse_like_absl(flags, monkeypatch) -> None:
    flags.DEFINE_string("data_dir", "/tmp/data", "where the data is")
    flags.DEFINE_integer("max_steps", 100, "steps")
    flags.DEFINE_float("learning_rate", 0.01, "lr")
    flags.DEFINE_boolean("fake_data", True, "fake")
    flags.DEFINE_bool("verbose", False, "chatty")
    flags.DEFINE_list("layers", "8,4", "sizes")
    flags.DEFINE_enum("mode", "train", ["train", "eval"], "what to do")
    FLAGS = flags.FLAGS
    monkeypatch.setattr(
        sys, "argv", ["prog", "--max_steps=7", "--learning_rate", "0.5", "--nofake_data", "--x"]
    )
    assert FLAGS.max_steps == 7  # the first read parses sys.argv (known flags only), as TF1's wrapper does
    assert (FLAGS.learning_rate, FLAGS.fake_data, FLAGS.data_dir, FLAGS.layers) == (
        0.5,
        False,
        "/tmp/data",
        ["8", "4"],
    )
    rest = FLAGS(["prog", "--verbose", "--mode=eval", "input.txt", "--unknown=1", "--", "--max_steps=1"])
    assert rest == ["prog", "input.txt", "--unknown=1", "--max_steps=1"]
    assert FLAGS.verbose is True and FLAGS.mode == "eval" and FLAGS.max_steps == 7
    FLAGS.max_steps = 3
    assert FLAGS.flag_values_dict()["max_steps"] == 3
    with pytest.raises(flags.Error, match="max_steps"):
        FLAGS(["prog", "--max_steps=many"])
    with pytest.raises(flags.Error, match="not one of"):
        FLAGS(["prog", "--mode=predict"])
    with pytest.raises(AttributeError, match="no flag --nope"):
        FLAGS.nope  # noqa: B018
    flags.DEFINE_integer("max_steps", 5, "redefined in the same module: allowed (scripts re-run)")


def test_duplicate_flag_from_another_module(flags) -> None:
    flags.DEFINE_integer("batch", 5, "here")
    with pytest.raises(flags.DuplicateFlagError, match="batch"):
        exec(
            "import trainer as tf\ntf.flags.DEFINE_integer('batch', 1, 'there')", {"__name__": "other_module"}
        )


def test_app_run_parses_flags_calls_main_and_exits(flags) -> None:
    flags.DEFINE_integer("epochs", 1, "epochs")
    seen = []

    def main(argv):
        seen.append((list(argv), flags.FLAGS.epochs))
        return 3

    with pytest.raises(SystemExit) as e:
        tf.app.run(main, argv=["prog", "--epochs=4", "extra"])
    assert e.value.code == 3 and seen == [(["prog", "extra"], 4)]
    assert tf.app.flags is tf.flags


# ---- deprecated aliases and Tensor / Variable methods ---------------------------------------------------
def test_deprecated_aliases_and_tensor_variable_methods() -> None:
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        v = tf.Variable([1.0, 5.0, 3.0], name="v")
        assert x.get_shape().as_list() == [None, 3] and x.get_shape()[1].value == 3
        assert (v.op.name, v.name, v.initializer.type, v.read_value().name) == (
            "v",
            "v:0",
            "Assign",
            "v/read:0",
        )
        assert tf.initialize_all_variables().type == tf.global_variables_initializer().type
        assert tf.all_variables() == [v]
        am, an = tf.arg_max(v, 0), tf.arg_min(v, 0)
        with tf.Session() as sess:
            sess.run(tf.initialize_all_variables())
            sess.run(tf.initialize_local_variables())
            with sess.as_default():
                assert (am.eval(), an.eval()) == (1, 0)
                np.testing.assert_array_equal((x * 2).eval(feed_dict={x: [[1, 2, 3]]}), [[2, 4, 6]])
                np.testing.assert_array_equal(v.assign_add([1.0, 1.0, 1.0]).eval(), [2, 6, 4])
                np.testing.assert_array_equal(tf.assign_add(v, [1.0, 0.0, 0.0]).eval(), [3, 6, 4])
                with tf.control_dependencies([v.assign([0.0, 0.0, 9.0])]):
                    after = tf.identity(v)
                np.testing.assert_array_equal(after.eval(), [0, 0, 9])
                np.testing.assert_array_equal(v.eval(), [0, 0, 9])


@pytest.mark.parametrize(
    "module",
    [
        "trainer.app",
        "trainer.contrib",
        "trainer.contrib.layers",
        "trainer.flags",
        "trainer.gfile",
        "trainer.layers.functional",
        "trainer.metrics",
        "trainer.ops.index_ops",
        "trainer.ops.linalg_ops",
        "trainer.summary",
        "trainer.summary.summary_ops",
        "trainer.summary.writer",
        "trainer.tf_logging",
    ],
)
def test_module_examples_run(module: str) -> None:
    import doctest
    import importlib

    tf.flags.FLAGS._reset()
    try:
        with tf.Graph().as_default():
            result = doctest.testmod(importlib.import_module(module))
    finally:
        tf.flags.FLAGS._reset()
    assert result.attempted > 0 and result.failed == 0, result


def test_gfile_and_logging(tmp_path, caplog) -> None:
    from trainer.errors import NotFoundError

    d = tmp_path / "logs" / "train"
    tf.gfile.MakeDirs(str(d))
    tf.gfile.MakeDirs(str(d))  # existing: fine
    with tf.gfile.GFile(str(d / "a.txt"), "w") as f:
        f.write("x")
    assert tf.gfile.ListDirectory(str(d)) == ["a.txt"]
    assert tf.gfile.Glob(str(d / "*.txt")) == [str(d / "a.txt")]
    tf.gfile.DeleteRecursively(str(tmp_path / "logs"))
    assert not tf.gfile.Exists(str(d))
    with pytest.raises(NotFoundError):
        tf.gfile.DeleteRecursively(str(tmp_path / "logs"))
    old = tf.logging.get_verbosity()
    try:
        tf.logging.set_verbosity(tf.logging.INFO)
        with caplog.at_level(tf.logging.INFO, logger="tensorlet"):
            tf.logging.info("step %d", 3)
            tf.logging.debug("hidden")
            for _ in range(5):
                tf.logging.log_first_n(tf.logging.WARN, "only twice", 2)
        assert [r.getMessage() for r in caplog.records] == ["step 3", "only twice", "only twice"]
    finally:
        tf.logging.set_verbosity(old)


def test_learning_rate_schedules_match_their_formulas() -> None:
    """Each schedule against its formula in numpy (TensorFlow 2.21's compat.v1 gives the same numbers at
    these steps; checked once by hand, not needed here)."""
    steps = [0, 10, 11, 20, 50, 150]

    def poly(s: int, cycle: bool, power: float) -> float:
        n = 100.0
        if cycle:
            n *= max(np.ceil(s / 100.0), 1.0)
        else:
            s = min(s, 100)
        return (0.1 - 0.01) * (1 - s / n) ** power + 0.01

    want = [
        [1.0 if s <= 10 else 0.5 if s <= 20 else 0.1 for s in steps],
        [poly(s, False, 2.0) for s in steps],
        [poly(s, True, 1.0) for s in steps],
        [0.1 / (1 + 0.5 * s / 10) for s in steps],
        [0.1 * np.exp(-0.5 * np.floor(s / 10)) for s in steps],
    ]
    g = tf.Graph()
    with g.as_default():
        st = tf.placeholder(tf.int64, [])
        lrs = [
            tf.train.piecewise_constant(st, [10, 20], [1.0, 0.5, 0.1]),
            tf.train.polynomial_decay(0.1, st, 100, 0.01, power=2.0),
            tf.train.polynomial_decay(0.1, st, 100, 0.01, cycle=True),
            tf.train.inverse_time_decay(0.1, st, 10, 0.5),
            tf.train.natural_exp_decay(0.1, st, 10, 0.5, staircase=True),
        ]
        with tf.Session() as sess:
            got = [[float(v) for v in sess.run(lrs, {st: s})] for s in steps]
    np.testing.assert_allclose(np.array(got).T, want, rtol=1e-6)
    with pytest.raises(InvalidArgumentError, match="len"):
        tf.train.piecewise_constant(tf.constant(1), [1, 2], [1.0])


def test_contrib_conv2d_and_pools() -> None:
    rng = np.random.default_rng(5)
    xv = rng.normal(size=(2, 6, 6, 3)).astype(np.float32)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 6, 6, 3])
        c = tf.contrib.layers.conv2d(x, 4, 3)
        c2 = tf.contrib.layers.conv2d(c, 2, [3, 3], stride=2, padding="VALID", activation_fn=None)
        mp = tf.contrib.layers.max_pool2d(c, [2, 2])
        ap = tf.contrib.layers.avg_pool2d(c, 3, stride=3)
        assert _names(tf.trainable_variables()) == [
            "Conv/weights:0",
            "Conv/biases:0",
            "Conv_1/weights:0",
            "Conv_1/biases:0",
        ]
        assert [t.shape.as_list() for t in (c, c2, mp, ap)] == [
            [None, 6, 6, 4],
            [None, 2, 2, 2],
            [None, 3, 3, 4],
            [None, 2, 2, 4],
        ]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            cv, mpv, apv, w = sess.run([c, mp, ap, "Conv/weights:0"], {x: xv})
            want = sess.run(tf.nn.relu(tf.nn.conv2d(xv, w, [1, 1, 1, 1], "SAME")))
    np.testing.assert_allclose(cv, want, rtol=1e-5, atol=1e-6)  # ReLU by default, biases start at 0
    np.testing.assert_allclose(mpv, cv.reshape(2, 3, 2, 3, 2, 4).max(axis=(2, 4)), rtol=1e-6)
    np.testing.assert_allclose(apv, cv.reshape(2, 2, 3, 2, 3, 4).mean(axis=(2, 4)), rtol=1e-5)


def test_adagrad_follows_its_update_rule() -> None:
    w0, x = np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.1, -0.4])
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(w0, name="w")
        loss = tf.reduce_sum(tf.square(w - x))
        opt = tf.train.AdagradOptimizer(0.5)
        train = opt.minimize(loss)
        assert opt.get_slot(w, "accumulator").op.name == "w/Adagrad"
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(3):
                sess.run(train)
            got = sess.run(w)
    want, accum = w0.copy(), np.full(3, 0.1)
    for _ in range(3):
        grad = 2 * (want - x)
        accum += grad**2
        want -= 0.5 * grad / np.sqrt(accum)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_contrib_batch_norm_updates_where_told() -> None:
    xv = np.random.default_rng(6).normal(2.0, 3.0, size=(16, 4)).astype(np.float32)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 4])
        training = tf.placeholder(tf.bool, [])
        y = tf.contrib.layers.batch_norm(x, is_training=training, decay=0.9)
        y_inline = tf.contrib.layers.batch_norm(x, decay=0.5, scale=True, updates_collections=None)
        assert _names(tf.global_variables()) == [
            "BatchNorm/beta:0",
            "BatchNorm/moving_mean:0",
            "BatchNorm/moving_variance:0",
            "BatchNorm_1/gamma:0",
            "BatchNorm_1/beta:0",
            "BatchNorm_1/moving_mean:0",
            "BatchNorm_1/moving_variance:0",
        ]
        updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        assert len(updates) == 2  # only the first layer's: the second updates with its output
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            yv = sess.run(y, {x: xv, training: True})
            sess.run(updates, {x: xv, training: True})
            sess.run(y_inline, {x: xv})
            mm, mm_inline = sess.run(["BatchNorm/moving_mean:0", "BatchNorm_1/moving_mean:0"])
            y_eval = sess.run(y, {x: xv, training: False})
    mu, var = xv.mean(0), xv.var(0)
    np.testing.assert_allclose(yv, (xv - mu) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(mm, 0.1 * mu, rtol=1e-5)
    np.testing.assert_allclose(mm_inline, 0.5 * mu, rtol=1e-5)
    mv = 0.9 + 0.1 * var  # moving variance after one update from its start at 1
    np.testing.assert_allclose(y_eval, (xv - mm) / np.sqrt(mv + 1e-3), rtol=1e-4, atol=1e-4)


def test_metrics_stream_over_update_runs_and_reset() -> None:
    g = tf.Graph()
    with g.as_default():
        labels = tf.placeholder(tf.int32, [None])
        logits = tf.placeholder(tf.float32, [None, 3])
        acc, acc_op = tf.metrics.accuracy(labels=labels, predictions=tf.argmax(logits, 1))
        m, m_op = tf.metrics.mean(tf.reduce_max(logits, 1), weights=tf.cast(labels, tf.float32))
        assert _names(tf.local_variables()) == [
            "accuracy/total:0",
            "accuracy/count:0",
            "mean/total:0",
            "mean/count:0",
        ]
        assert tf.trainable_variables() == [] and tf.global_variables() == []
        batches = [
            (np.array([0, 2]), np.array([[3.0, 1, 0], [0, 1, 2]])),
            (np.array([1, 1, 0]), np.array([[0.0, 1, 5], [0, 4, 1], [2, 0, 1]])),
        ]
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            assert sess.run(acc) == 0.0
            for lb, lg in batches:
                sess.run([acc_op, m_op], {labels: lb, logits: lg})
            got = sess.run([acc, m])
            sess.run(tf.local_variables_initializer())  # reset
            after_reset = sess.run(acc)
    lb = np.concatenate([b[0] for b in batches])
    lg = np.concatenate([b[1] for b in batches])
    want_acc = np.mean(lg.argmax(1) == lb)
    want_mean = (lg.max(1) * lb).sum() / lb.sum()
    np.testing.assert_allclose(got, [want_acc, want_mean], rtol=1e-6)
    assert after_reset == 0.0
