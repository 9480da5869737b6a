"""Checkpoints: exact round trip, files and state, latest_checkpoint, max_to_keep, and every error path."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import trainer as tf
from trainer.errors import DataLossError, InvalidArgumentError, NotFoundError
from trainer.train.saver import parse_checkpoint_state


def _model(shape=(3, 4), dtype=tf.float32):
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(0)
        w = tf.Variable(tf.random_normal(list(shape), dtype=dtype), name="w")
        b = tf.Variable(tf.zeros([shape[-1]], dtype=dtype), name="b")
        loss = tf.reduce_sum(tf.square(tf.matmul(tf.ones([2, shape[0]], dtype=dtype), w) + b))
        step = tf.train.get_or_create_global_step()
        train = tf.train.AdamOptimizer(0.1).minimize(loss, global_step=step)
    return g, w, b, step, train


def test_round_trip_exact_with_slots_and_step(tmp_path):
    g, w, b, step, train = _model()
    with g.as_default():
        saver = tf.train.Saver()
        names = sorted(saver.var_list)
        assert names == sorted(
            [
                "w",
                "b",
                "global_step",
                "beta1_power",
                "beta2_power",
                "w/Adam",
                "w/Adam_1",
                "b/Adam",
                "b/Adam_1",
            ]
        )
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train)
        all_vars = [saver.var_list[n] for n in names]
        saved = sess.run(all_vars)
        path = saver.save(sess, str(tmp_path / "ckpt" / "model"), global_step=step)
        assert path == str(tmp_path / "ckpt" / "model-3")
        for _ in range(2):
            sess.run(train)
        assert not np.array_equal(sess.run(w), saved[names.index("w")])
        saver.restore(sess, path)
        for got, want in zip(sess.run(all_vars), saved, strict=True):
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)
        # a fresh session (nothing initialized) restores everything too
        sess2 = tf.Session()
        saver.restore(sess2, path)
        for got, want in zip(sess2.run(all_vars), saved, strict=True):
            np.testing.assert_array_equal(got, want)
        # training continues identically from the restored state
        sess.run(train)
        sess2.run(train)
        np.testing.assert_array_equal(sess.run(w), sess2.run(w))


def test_files_index_and_latest_checkpoint(tmp_path):
    g, w, b, step, train = _model()
    with g.as_default():
        saver = tf.train.Saver([w, b])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            assert tf.train.latest_checkpoint(tmp_path) is None
            p1 = saver.save(sess, str(tmp_path / "m"), global_step=10)
            p2 = saver.save(sess, str(tmp_path / "m"), global_step=20)
            assert p2 == str(tmp_path / "m-20")
            p3 = saver.save(sess, str(tmp_path / "plain"))
    assert p3 == str(tmp_path / "plain")
    assert tf.train.latest_checkpoint(tmp_path) == p3
    index = json.loads((tmp_path / "m-20.index.json").read_text())
    assert index["step"] == 20 and index["data_file"] == "m-20.npz"
    assert index["variables"] == [
        {"name": "w", "shape": [3, 4], "dtype": "float32"},
        {"name": "b", "shape": [4], "dtype": "float32"},
    ]
    state = parse_checkpoint_state((tmp_path / "checkpoint").read_text())
    assert state["model_checkpoint_path"] == "plain"
    assert state["all_model_checkpoint_paths"] == ["m-10", "m-20", "plain"]
    assert tf.train.list_variables(p1) == [("w", [3, 4]), ("b", [4])]
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


def test_max_to_keep_deletes_oldest(tmp_path):
    g, w, b, step, train = _model()
    with g.as_default():
        saver = tf.train.Saver(max_to_keep=2)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            paths = [saver.save(sess, str(tmp_path / "m"), global_step=i) for i in range(4)]
    assert not os.path.exists(paths[0] + ".npz") and not os.path.exists(paths[1] + ".index.json")
    assert os.path.exists(paths[2] + ".npz") and os.path.exists(paths[3] + ".npz")
    state = parse_checkpoint_state((tmp_path / "checkpoint").read_text())
    assert state["all_model_checkpoint_paths"] == ["m-2", "m-3"]
    assert tf.train.latest_checkpoint(str(tmp_path)) == paths[3]
    assert saver.last_checkpoints == paths[2:]


def _saved(tmp_path):
    g, w, b, step, train = _model()
    with g.as_default():
        saver = tf.train.Saver([w, b])
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "m"))
    return g, saver, sess, path, w


def test_missing_checkpoint_and_variable(tmp_path):
    g, saver, sess, path, w = _saved(tmp_path)
    with pytest.raises(NotFoundError, match="nowhere"):
        saver.restore(sess, str(tmp_path / "nowhere"))
    with pytest.raises(NotFoundError):
        saver.restore(sess, tf.train.latest_checkpoint(tmp_path / "empty"))
    with g.as_default():
        extra = tf.Variable(1.0, name="extra")
        with pytest.raises(NotFoundError, match="'extra' not found"):
            tf.train.Saver([w, extra]).restore(sess, path)
    os.unlink(path + ".npz")
    with pytest.raises(NotFoundError, match="data file"):
        saver.restore(sess, path)


def test_truncated_and_corrupt_files(tmp_path):
    g, saver, sess, path, w = _saved(tmp_path)
    data = (tmp_path / "m.npz").read_bytes()
    before = sess.run(w)
    (tmp_path / "m.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataLossError, match="truncated or corrupt"):
        saver.restore(sess, path)
    corrupt = bytearray(data)
    corrupt[len(corrupt) // 2] ^= 0x55
    (tmp_path / "m.npz").write_bytes(bytes(corrupt))
    with pytest.raises(DataLossError, match="checksum"):
        saver.restore(sess, path)
    (tmp_path / "m.npz").write_bytes(data)
    index = (tmp_path / "m.index.json").read_text()
    (tmp_path / "m.index.json").write_text(index[: len(index) // 2])
    with pytest.raises(DataLossError, match="corrupt or truncated"):
        saver.restore(sess, path)
    (tmp_path / "m.index.json").write_text(json.dumps({"hello": 1}))
    with pytest.raises(DataLossError, match="not a tensorlet checkpoint"):
        saver.restore(sess, path)
    np.testing.assert_array_equal(sess.run(w), before)


def test_mismatched_shape_and_dtype(tmp_path):
    _, _, _, path, _ = _saved(tmp_path)
    for shape, dtype, words in [((4, 3), tf.float32, "shape"), ((3, 4), tf.float64, "dtype")]:
        g, w, b, step, train = _model(shape, dtype)
        with g.as_default():
            sess = tf.Session()
            sess.run(tf.global_variables_initializer())
            before = sess.run(b)
            with pytest.raises(InvalidArgumentError, match=words):
                tf.train.Saver([w, b]).restore(sess, path)
            np.testing.assert_array_equal(sess.run(b), before)  # nothing half-restored


def test_saver_arguments(tmp_path):
    g, w, b, step, train = _model()
    with g.as_default():
        saver = tf.train.Saver({"renamed_w": w})
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            path = saver.save(sess, str(tmp_path / "r"))
            assert tf.train.list_variables(path) == [("renamed_w", [3, 4])]
            with pytest.raises(InvalidArgumentError, match="duplicate"):
                tf.train.Saver([w, w])
    with pytest.raises(InvalidArgumentError, match="no variables"):
        tf.train.Saver([])


def test_failed_write_keeps_previous_checkpoint(tmp_path, monkeypatch):
    """Files are written to a temporary name and renamed: a crash mid-save leaves the old files intact."""
    g, saver, sess, path, w = _saved(tmp_path)
    before = (tmp_path / "m.npz").read_bytes()
    with g.as_default():
        sess.run(w.assign(tf.zeros([3, 4])))

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        saver.save(sess, path)
    monkeypatch.undo()
    assert (tmp_path / "m.npz").read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "m.index.json", "m.meta", "m.npz"]
    saver.restore(sess, path)
    assert np.abs(sess.run(w)).sum() > 0
