"""tf.summary and FileWriter: event files read back with TensorBoard's own reader (EventAccumulator).

Scalars, histograms (bucket counts checked against numpy), PNG images (decoded here and compared pixel by
pixel with TF1's scaling rule), text, the graph tab (node names, types, inputs), tags in name scopes,
merge/merge_all, and the no-op behaviour (one warning) without the tensorboard package.
"""

from __future__ import annotations

import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import need

import trainer as tf
from trainer.errors import InvalidArgumentError
from trainer.summary import _protos


def _reader(logdir: Path):  # noqa: ANN202 - tensorboard's type
    need(
        _protos.available(), "the tensorboard package is not installed (pip install 'tensorlet[tensorboard]')"
    )
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(
        str(logdir), size_guidance={"images": 0, "histograms": 0, "scalars": 0, "tensors": 0}
    )
    acc.Reload()
    return acc


def _decode_png(data: bytes) -> np.ndarray:
    """A minimal PNG reader for 8-bit images with filter type 0 rows (what encode_png writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, (w, h, c) = 8, b"", (0, 0, 0)
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]
        assert struct.unpack(">I", data[pos + 8 + n : pos + 12 + n])[0] == zlib.crc32(kind + body)
        if kind == b"IHDR":
            w, h, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8
            c = {0: 1, 2: 3, 6: 4}[color]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + w * c)
    assert not rows[:, 0].any()
    return rows[:, 1:].reshape(h, w, c)


def test_scalars_histograms_images_text_and_graph_round_trip(tmp_path: Path) -> None:
    need(_protos.available(), "the tensorboard package is not installed")
    rng = np.random.default_rng(0)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.Variable(tf.ones([3, 2]), name="w")
        loss = tf.reduce_mean(tf.square(tf.matmul(x, w)), name="loss_value")
        with tf.name_scope("train"):
            s_loss = tf.summary.scalar("loss", loss)
        s_hist = tf.summary.histogram("inputs", x)
        imgs = tf.placeholder(tf.float32, [None, 4, 5, 3])
        s_img = tf.summary.image("pictures", imgs, max_outputs=2)
        s_text = tf.summary.text("note", "hello tensorboard")
        assert [s.op.name for s in (s_loss, s_hist, s_img, s_text)] == [
            "train/loss",
            "inputs",
            "pictures",
            "note",
        ]
        merged = tf.summary.merge_all()
        assert merged.dtype is tf.string
        feeds = [rng.normal(size=(6, 3)).astype(np.float32) for _ in range(3)]
        pics = rng.uniform(0, 2, size=(3, 4, 5, 3)).astype(np.float32)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            writer = tf.summary.FileWriter(str(tmp_path), sess.graph)
            losses = []
            for step, f in enumerate(feeds):
                blob, lv = sess.run([merged, loss], {x: f, imgs: pics})
                assert isinstance(blob, bytes)
                writer.add_summary(blob, global_step=10 * step)
                losses.append(lv)
            writer.close()
    acc = _reader(tmp_path)
    tags = acc.Tags()
    assert tags["scalars"] == ["train/loss"] and tags["histograms"] == ["inputs"]
    assert sorted(tags["images"]) == ["pictures/image/0", "pictures/image/1"] and tags["tensors"] == ["note"]
    scalars = acc.Scalars("train/loss")
    assert [e.step for e in scalars] == [0, 10, 20]
    np.testing.assert_allclose([e.value for e in scalars], losses, rtol=1e-6)

    h = acc.Histograms("inputs")[-1].histogram_value
    v = feeds[-1].astype(np.float64).ravel()
    assert (h.num, h.min, h.max) == (18, v.min(), v.max())
    np.testing.assert_allclose([h.sum, h.sum_squares], [v.sum(), (v * v).sum()], rtol=1e-9)
    lower = -np.inf
    for limit, count in zip(h.bucket_limit, h.bucket, strict=True):
        assert count == np.count_nonzero((v > lower) & (v <= limit))
        lower = limit
    assert sum(h.bucket) == 18

    img = acc.Images("pictures/image/1")[0]
    assert (img.width, img.height) == (5, 4)
    want = np.clip(np.rint(pics[1].astype(np.float64) * (255.0 / pics[1].max())), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(_decode_png(img.encoded_image_string), want)

    text = acc.Tensors("note")[0].tensor_proto
    assert text.string_val == [b"hello tensorboard"]

    nodes = {n.name: n for n in acc.Graph().node}
    assert {"x", "w", "loss_value", "MatMul", "train/loss"} <= set(nodes)
    assert nodes["MatMul"].op == "MatMul" and list(nodes["MatMul"].input) == ["x", "w"]
    assert nodes["train/loss"].op == "ScalarSummary"
    shape = nodes["x"].attr["_output_shapes"].list.shape[0]
    assert [d.size for d in shape.dim] == [-1, 3] and nodes["x"].attr["dtype"].type == 1  # DT_FLOAT


def test_signed_float_images_are_centred_at_127() -> None:
    from trainer.summary.summary_ops import to_uint8_image

    img = np.array([[[-2.0], [0.0], [1.5]]])
    np.testing.assert_array_equal(to_uint8_image(img)[..., 0], [[0, 127, 222]])  # 127 + x * 127 / 2
    u8 = np.array([[[3], [200]]], np.uint8)
    assert to_uint8_image(u8) is u8


def test_tags_merge_and_errors() -> None:
    g = tf.Graph()
    with g.as_default():
        a = tf.summary.scalar("acc", tf.constant(0.5))
        b = tf.summary.scalar("acc", tf.constant(0.25))
        assert b.op.name == "acc_1"
        assert tf.summary.merge_all("no_such_collection") is None
        only = tf.summary.scalar("private", tf.constant(1.0), collections=["mine"])
        assert only not in tf.get_collection(tf.GraphKeys.SUMMARIES)
        with pytest.raises(InvalidArgumentError, match="not a summary"):
            tf.summary.merge([tf.constant(1.0)])
        with pytest.raises(InvalidArgumentError, match="single value"):
            tf.summary.scalar("vector", tf.constant([1.0, 2.0]))
        with pytest.raises(InvalidArgumentError, match="batch, h, w"):
            tf.summary.image("bad", tf.zeros([2, 3]))
        if _protos.available():
            from tensorboard.compat.proto import summary_pb2

            dup = tf.summary.merge([a, a])
            with tf.Session() as sess:
                both = summary_pb2.Summary.FromString(sess.run(tf.summary.merge([a, b])))
                assert [(v.tag, v.simple_value) for v in both.value] == [("acc", 0.5), ("acc_1", 0.25)]
                with pytest.raises(InvalidArgumentError, match="duplicate tag"):
                    sess.run(dup)


def test_without_tensorboard_summaries_are_no_ops_with_one_warning(tmp_path: Path) -> None:
    state = _protos._reset_for_tests(missing=True)
    try:
        g = tf.Graph()
        with g.as_default():
            s = tf.summary.scalar("loss", tf.constant(1.0))
            h = tf.summary.histogram("h", tf.constant([1.0, 2.0]))
            merged = tf.summary.merge_all()
            with warnings.catch_warnings(record=True) as caught, tf.Session() as sess:
                warnings.simplefilter("always")
                assert sess.run([s, h, merged]) == [b"", b"", b""]
                with tf.summary.FileWriter(str(tmp_path / "logs"), sess.graph) as writer:
                    writer.add_summary(sess.run(merged), 1)
                    writer.flush()
        assert [str(w.message) for w in caught if "tensorboard" in str(w.message)] == [str(caught[0].message)]
        assert "no event files are written" in str(caught[0].message)
        assert not (tmp_path / "logs").exists()
    finally:
        _protos._restore_for_tests(state)


def test_summary_ops_are_pinned_to_the_host() -> None:
    g = tf.Graph()
    with g.as_default(), tf.device("/gpu:0"):
        x = tf.constant([1.0, 2.0])
        ops = [tf.summary.scalar("s", x[0]), tf.summary.histogram("h", x), tf.summary.text("t", "a")]
        ops.append(tf.summary.merge_all())
    assert x.op.device == "/gpu:0"
    assert [o.op.device for o in ops] == ["/device:CPU:0"] * 4


def test_file_writer_takes_session_graph_def(tmp_path: Path) -> None:
    need(_protos.available(), "the tensorboard package is not installed")
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        y = tf.reduce_sum(tf.square(x), name="y")
        with tf.Session() as sess:
            tf.summary.FileWriter(str(tmp_path), sess.graph_def).close()  # the older TF1 spelling
    nodes = {n.name: n for n in _reader(tmp_path).Graph().node}
    assert set(nodes) == {op.name for op in g.get_operations()}
    assert nodes["y"].op == "Sum" and list(nodes["y"].input) == [y.op.inputs[0].op.name]
