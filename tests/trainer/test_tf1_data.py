"""``tf.data``: datasets, iterators and the end-of-sequence error, as TF1 programs use them. Expected
values are TensorFlow 2.21's (compat.v1) for the same pipelines where the pipeline is deterministic."""

from __future__ import annotations

import numpy as np
import pytest

import trainer as tf


def _drain(sess: tf.Session, t: object, feed: dict | None = None) -> list:
    out = []
    while True:
        try:
            out.append(sess.run(t, feed))
        except tf.errors.OutOfRangeError:
            return out


def test_one_shot_pipeline_values_shapes_and_end():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(10).filter(lambda x: tf.equal(x % 2, 1)).map(lambda x: x * 2).batch(3)
        nxt = ds.make_one_shot_iterator().get_next()
        assert nxt.dtype == tf.int64 and nxt.shape.as_list() == [None]
        with tf.Session() as sess:
            assert [b.tolist() for b in _drain(sess, nxt)] == [[2, 6, 10], [14, 18]]  # TensorFlow's batches


def test_structures_zip_take_skip_and_drop_remainder():
    with tf.Graph().as_default():
        images = np.arange(24, dtype=np.float32).reshape(6, 2, 2)
        labels = np.arange(6)
        pairs = tf.data.Dataset.from_tensor_slices({"image": images, "label": labels})
        ds = (
            tf.data.Dataset.zip((pairs, tf.data.Dataset.range(100)))
            .skip(1)
            .take(4)
            .batch(3, drop_remainder=True)
        )
        assert ds.output_shapes[0]["image"].as_list() == [3, 2, 2] and ds.output_types[1] == tf.int64
        (elem, idx) = tf.data.make_one_shot_iterator(ds).get_next()
        with tf.Session() as sess:
            got = _drain(sess, [elem["image"], elem["label"], idx])
    assert len(got) == 1
    np.testing.assert_array_equal(got[0][0], images[1:4])
    assert got[0][1].tolist() == [1, 2, 3] and got[0][2].tolist() == [1, 2, 3]


def test_initializable_iterator_over_placeholders_restarts():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        it = (
            tf.data.Dataset.from_tensor_slices(x)
            .map(lambda r: tf.reduce_sum(r))
            .batch(2)
            .make_initializable_iterator()
        )
        total = it.get_next()
        with tf.Session() as sess:
            with pytest.raises(tf.errors.FailedPreconditionError, match="not been initialized"):
                sess.run(total)
            for n in (3, 5):  # re-running the initializer starts over with the new feed
                sess.run(it.initializer, {x: np.ones((n, 3))})
                assert [b.tolist() for b in _drain(sess, total)] == [[3.0, 3.0]] * (n // 2) + [[3.0]] * (
                    n % 2
                )


def test_shuffle_repeat_every_element_once_per_epoch_reproducibly():
    runs = []
    for _ in range(2):
        with tf.Graph().as_default():
            tf.set_random_seed(1)
            ds = tf.data.Dataset.from_tensor_slices(np.arange(8)).shuffle(8, seed=3).repeat(3)
            nxt = ds.make_one_shot_iterator().get_next()
            with tf.Session() as sess:
                runs.append([int(v) for v in _drain(sess, nxt)])
    assert runs[0] == runs[1] and len(runs[0]) == 24
    epochs = [runs[0][k : k + 8] for k in (0, 8, 16)]
    assert all(sorted(e) == list(range(8)) for e in epochs)
    assert epochs[0] != epochs[1] and epochs[0] != list(range(8))  # shuffled, and anew each pass


def test_training_loop_over_epochs_with_out_of_range():
    """The TF1 idiom: re-initialize the iterator each epoch, train until OutOfRangeError."""
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(64, 3)).astype(np.float32)
    ys = xs @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        x_ph, y_ph = tf.placeholder(tf.float32, [None, 3]), tf.placeholder(tf.float32, [None, 1])
        it = (
            tf.data.Dataset.from_tensor_slices((x_ph, y_ph))
            .shuffle(64)
            .batch(16)
            .make_initializable_iterator()
        )
        bx, by = it.get_next()
        w = tf.Variable(tf.zeros([3, 1]))
        loss = tf.reduce_mean(tf.square(tf.matmul(bx, w) - by))
        train = tf.train.GradientDescentOptimizer(0.2).minimize(loss)
        steps = 0
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(20):
                sess.run(it.initializer, {x_ph: xs, y_ph: ys})
                while True:
                    try:
                        sess.run(train)
                        steps += 1
                    except tf.errors.OutOfRangeError:
                        break
            w_val = sess.run(w)
    assert steps == 80
    np.testing.assert_allclose(w_val[:, 0], [1.0, -2.0, 0.5], atol=1e-3)


def test_map_function_errors_name_the_problem():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(3)
        with pytest.raises(tf.errors.InvalidArgumentError, match="one bool scalar"):
            ds.filter(lambda v: v * 2)
        with pytest.raises(tf.errors.InvalidArgumentError, match="one-shot iterator has no initializer"):
            ds.make_one_shot_iterator().initializer  # noqa: B018


@pytest.mark.parametrize(
    "module",
    [
        "trainer.data",
        "trainer.ops.tensor_array",
        "trainer.ops.scan_ops",
        "trainer.ops.einsum_ops",
        "trainer.ops.logging_ops",
        "trainer.ops.lrn_ops",
        "trainer.ops.candidate_sampling",
        "trainer.ops.nn_composites",
        "trainer.ops.unary_math_ops",
        "trainer.ops.math_composites",
        "trainer.ops.functional_ops",
        "trainer.ops.check_ops",
        "trainer.ops.script_ops",
        "trainer.ops.segment_ops",
        "trainer.ops.sampling_ops",
        "trainer.ops.array_extras",
        "trainer.ops.conv1d_ops",
        "trainer.layers.conv1d",
        "trainer.namespaces",
        "trainer.templates",
        "trainer.contrib.seq2seq",
        "trainer.contrib.legacy_seq2seq",
        "trainer.ops.variable_checks",
    ],
)
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    with tf.Graph().as_default():
        result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0
