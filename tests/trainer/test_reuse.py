"""Reuse without the model's code: meta graphs, partial restores, init_from_checkpoint, frozen layers.

The acceptance test saves a small CNN here, then restores, fine-tunes and exports it in a subprocess that
imports only ``trainer`` and has only the checkpoint files; the numbers it reports are checked against this
process continuing the same training (bit-identical: same ops, same order, same Adam slots).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import trainer as tf
from trainer.errors import InvalidArgumentError, NotFoundError

ROOT = Path(__file__).resolve().parents[2]
RNG = np.random.default_rng(7)
XS = RNG.random((6, 8, 8, 1), dtype=np.float32)
YS = RNG.integers(0, 3, 6).astype(np.int32)


def _build_cnn(seed: int = 3) -> dict:
    """conv(4) - maxpool - flatten - dense(3), Adam; train_op and logits in collections (TF1 habit)."""
    tf.set_random_seed(seed)
    x = tf.placeholder(tf.float32, [None, 8, 8, 1], name="x")
    y = tf.placeholder(tf.int32, [None], name="y")
    with tf.variable_scope("features"):
        h = tf.layers.conv2d(x, 4, 3, padding="same", activation=tf.nn.relu, name="conv")
        h = tf.layers.max_pooling2d(h, 2, 2)
        h = tf.layers.flatten(h)
    logits = tf.layers.dense(h, 3, name="head")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    step = tf.train.get_or_create_global_step()
    train_op = tf.train.AdamOptimizer(0.05).minimize(loss, global_step=step)
    tf.add_to_collection(tf.GraphKeys.TRAIN_OP, train_op)
    tf.add_to_collection("logits", logits)
    return {"x": x, "y": y, "features": h, "logits": logits, "loss": loss, "train_op": train_op}


def _save_trained(folder: Path, steps: int = 3, more: int = 0) -> tuple[str, list[float]]:
    """Train ``steps`` Adam steps, save; then ``more`` steps whose losses are the oracle for a restore."""
    with tf.Graph().as_default():
        m = _build_cnn()
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            feed = {m["x"]: XS, m["y"]: YS}
            for _ in range(steps):
                sess.run(m["train_op"], feed)
            prefix = saver.save(sess, str(folder / "model"), global_step=tf.train.get_global_step())
            later = []
            for _ in range(more):
                later.append(float(sess.run([m["loss"], m["train_op"]], feed)[0]))
    return prefix, later


SECOND_PROCESS = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import trainer as tf

    folder, out = sys.argv[1], sys.argv[2]
    data = np.load(folder + "/data.npz")
    prefix = tf.train.latest_checkpoint(folder)
    saver = tf.train.import_meta_graph(prefix + ".meta")
    g = tf.get_default_graph()
    x, y = g.get_tensor_by_name("x:0"), g.get_tensor_by_name("y:0")
    loss = g.get_tensor_by_name("Mean:0")
    train_op = tf.get_collection(tf.GraphKeys.TRAIN_OP)[0]
    logits = tf.get_collection("logits")[0]
    feed = {x: data["x"], y: data["y"]}
    with tf.Session() as sess:
        saver.restore(sess, prefix)
        losses = [float(sess.run([loss, train_op], feed)[0]) for _ in range(2)]
        new_prefix = saver.save(sess, folder + "/tuned/model", global_step=tf.train.get_global_step())
        probe = sess.run(logits, {x: data["x"]})
        model = tf.lite.Converter.from_session(sess, [x], [logits]).convert()
    open(folder + "/tuned.tlm", "wb").write(model)
    json.dump({"losses": losses, "prefix": new_prefix, "probe": probe.tolist(),
               "modules": sorted(m for m in sys.modules if m.split(".")[0] in ("tests", "examples"))},
              open(out, "w"))
    """
)


def test_saved_model_is_restored_fine_tuned_and_exported_in_another_process(tmp_path):
    prefix, oracle = _save_trained(tmp_path, steps=3, more=2)
    assert os.path.isfile(prefix + ".meta")
    np.savez(tmp_path / "data.npz", x=XS, y=YS)
    script = tmp_path / "second.py"
    script.write_text(SECOND_PROCESS)
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1")
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [sys.executable, str(script), str(tmp_path), str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads(out.read_text())
    assert r["modules"] == []  # the second process saw no model code
    assert r["losses"] == oracle  # restored weights and Adam slots: training continues exactly
    assert r["prefix"].endswith("tuned/model-5")
    # The exported model computes what the fine-tuned session computed.
    from trainer.lite.reference import ReferenceInterpreter

    interp = ReferenceInterpreter(model_content=(tmp_path / "tuned.tlm").read_bytes())
    got = np.concatenate([interp.run(XS[i : i + 1])[0] for i in range(len(XS))])
    np.testing.assert_allclose(got, np.array(r["probe"], np.float32), rtol=1e-5, atol=1e-5)
    # ... and its checkpoint holds what the second process trained.
    assert tf.train.load_variable(r["prefix"], "global_step") == 5
    changed = tf.train.load_variable(r["prefix"], "head/kernel") - tf.train.load_variable(
        prefix, "head/kernel"
    )
    assert np.abs(changed).max() > 0


def test_imported_graph_has_ops_collections_and_variables(tmp_path):
    prefix, _ = _save_trained(tmp_path)
    with tf.Graph().as_default() as ref_graph:
        m = _build_cnn()
        tf.global_variables_initializer()
    with tf.Graph().as_default() as g:
        saver = tf.train.import_meta_graph(prefix)  # the prefix is accepted as well as the .meta file
        assert [(o.name, o.type) for o in g.get_operations()] == [
            (o.name, o.type) for o in ref_graph.get_operations()
        ]
        for o in g.get_operations():
            ref = ref_graph.get_operation_by_name(o.name)
            assert [t.shape.as_list() if t.shape.dims is not None else None for t in o.outputs] == [
                t.shape.as_list() if t.shape.dims is not None else None for t in ref.outputs
            ]
            assert [c.name for c in o.control_inputs] == [c.name for c in ref.control_inputs]
        assert [v.op.name for v in tf.trainable_variables()] == [
            v.op.name for v in ref_graph.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)
        ]
        assert [v.op.name for v in tf.global_variables()] == [
            v.op.name for v in ref_graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)
        ]
        assert tf.get_collection("logits")[0].name == m["logits"].name
        assert g.get_operation_by_name("head/kernel").type == "VariableV2"
        assert sorted(saver.var_list) == sorted(v.op.name for v in ref_graph.get_collection("variables"))
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            np.testing.assert_array_equal(
                sess.run("features/conv/kernel:0"), tf.train.load_variable(prefix, "features/conv/kernel")
            )
        # new ops take fresh names next to the imported ones
        with tf.name_scope("head"):
            assert tf.constant(1.0).name == "head_1/Const:0"


def test_new_head_on_imported_features_trains_only_the_head(tmp_path):
    prefix, _ = _save_trained(tmp_path)
    with tf.Graph().as_default() as g:
        saver = tf.train.import_meta_graph(prefix + ".meta")
        x = g.get_tensor_by_name("x:0")
        feats = tf.stop_gradient(g.get_tensor_by_name("features/flatten/Reshape:0"))
        labels = tf.placeholder(tf.int32, [None])
        logits = tf.layers.dense(feats, 2, name="new_head")
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        head_vars = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope="new_head")
        assert [v.op.name for v in head_vars] == ["new_head/kernel", "new_head/bias"]
        train = tf.train.GradientDescentOptimizer(0.5).minimize(loss, var_list=head_vars)
        new_vars = [v for v in tf.global_variables() if v.op.name.startswith("new_head")]
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            sess.run(tf.variables_initializer(new_vars))
            conv_before = sess.run("features/conv/kernel:0")
            feed = {x: XS, labels: YS % 2}
            losses = [sess.run([loss, train], feed)[0] for _ in range(20)]
            np.testing.assert_array_equal(sess.run("features/conv/kernel:0"), conv_before)
    assert losses[-1] < 0.8 * losses[0]


def test_freezing_by_trainable_false_var_list_and_scope():
    with tf.Graph().as_default():
        x = tf.constant(RNG.random((4, 3), dtype=np.float32))
        frozen = tf.Variable(tf.ones([3, 3]), trainable=False, name="frozen")
        with tf.variable_scope("body"):
            body = tf.get_variable("w", [3, 3], initializer=tf.ones_initializer())
        with tf.variable_scope("head"):
            head = tf.get_variable("w", [3, 1], initializer=tf.ones_initializer())
        loss = tf.reduce_sum(tf.matmul(tf.matmul(tf.matmul(x, frozen), body), head) ** 2)
        assert [v.op.name for v in tf.trainable_variables()] == ["body/w", "head/w"]
        scoped = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope="head")
        assert scoped == [head]
        all_step = tf.train.GradientDescentOptimizer(1e-3).minimize(loss)
        head_step = tf.train.GradientDescentOptimizer(1e-3).minimize(loss, var_list=scoped)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(head_step)
            f, b, h = sess.run([frozen, body, head])
            assert np.all(f == 1) and np.all(b == 1) and np.all(h < 1)
            sess.run(all_step)
            f2, b2, h2 = sess.run([frozen, body, head])
            assert np.all(f2 == 1) and np.all(b2 < 1) and np.all(h2 < h)


def _two_scope_checkpoint(folder: Path) -> str:
    with tf.Graph().as_default():
        with tf.variable_scope("old"):
            tf.get_variable("w", initializer=np.arange(6, dtype=np.float32).reshape(2, 3))
            tf.get_variable("b", initializer=np.array([5.0, 6.0, 7.0], np.float32))
        tf.get_variable("top", initializer=np.float32(9.0))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return tf.train.Saver().save(sess, str(folder / "ck"), write_meta_graph=False)


def test_init_from_checkpoint_assignment_maps(tmp_path):
    ck = _two_scope_checkpoint(tmp_path)
    assert tf.train.list_variables(ck) == [("old/w", [2, 3]), ("old/b", [3]), ("top", [])]
    reader = tf.train.NewCheckpointReader(str(tmp_path))  # a folder: its latest checkpoint
    assert reader.has_tensor("old/b") and not reader.has_tensor("nope")
    assert reader.get_variable_to_shape_map() == {"old/w": [2, 3], "old/b": [3], "top": []}
    np.testing.assert_array_equal(reader.get_tensor("old/b"), [5.0, 6.0, 7.0])
    with tf.Graph().as_default():
        with tf.variable_scope("new"):
            w = tf.get_variable("w", [2, 3], initializer=tf.zeros_initializer())
            b = tf.get_variable("b", [3], initializer=tf.zeros_initializer())
        one = tf.get_variable("one", [], initializer=tf.zeros_initializer())
        other = tf.Variable(tf.zeros([3]), name="other")
        untouched = tf.get_variable("untouched", [2], initializer=tf.ones_initializer())
        tf.train.init_from_checkpoint(ck, {"old/": "new/", "top": "one", "old/b": other})
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_array_equal(sess.run(w), np.arange(6).reshape(2, 3))
            np.testing.assert_array_equal(sess.run(b), [5.0, 6.0, 7.0])
            np.testing.assert_array_equal(sess.run(other), [5.0, 6.0, 7.0])
            assert sess.run(one) == 9.0
            np.testing.assert_array_equal(sess.run(untouched), [1.0, 1.0])
    with tf.Graph().as_default():  # "/" forms: checkpoint top level into a scope, and a scope into the top
        with tf.variable_scope("s"):
            top = tf.get_variable("top", [], initializer=tf.zeros_initializer())
        tf.train.init_from_checkpoint(ck, {"/": "s/"})
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            assert sess.run(top) == 9.0
    with tf.Graph().as_default():
        b = tf.get_variable("b", [3], initializer=tf.zeros_initializer())
        tf.train.init_from_checkpoint(ck, {"old/": "/"})
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_array_equal(sess.run(b), [5.0, 6.0, 7.0])


def test_partial_restore_errors_name_the_variable_and_both_shapes(tmp_path):
    ck = _two_scope_checkpoint(tmp_path)
    with tf.Graph().as_default():
        with tf.variable_scope("new"):
            w = tf.get_variable("w", [3, 3], initializer=tf.zeros_initializer())
        with pytest.raises(InvalidArgumentError) as e:
            tf.train.init_from_checkpoint(ck, {"old/w": "new/w"})
        msg = str(e.value)
        assert "'new/w'" in msg and "[3, 3]" in msg and "[2, 3]" in msg and "\n" not in msg
        with pytest.raises(NotFoundError, match="'old/missing'"):
            tf.train.init_from_checkpoint(ck, {"old/missing": "new/w"})
        with pytest.raises(NotFoundError, match="no variable 'nope/w'"):
            tf.train.init_from_checkpoint(ck, {"old/w": "nope/w"})
        with tf.Session() as sess:
            with pytest.raises(InvalidArgumentError) as e:
                tf.train.Saver({"old/w": w}).restore(sess, ck)
            msg = str(e.value)
            assert "'old/w'" in msg and "[3, 3]" in msg and "[2, 3]" in msg and "\n" not in msg
            with pytest.raises(NotFoundError, match="'new/w' not found"):
                tf.train.Saver([w]).restore(sess, ck)


def test_import_scope_twice_and_clear_devices(tmp_path):
    with tf.Graph().as_default():
        with tf.device("/cpu:0"):
            v = tf.Variable([1.0, 2.0], name="v")
            out = tf.multiply(v, 3.0, name="out")
        tf.train.AdamOptimizer(0.1).minimize(tf.reduce_sum(out))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(v.assign([4.0, 5.0]))
            prefix = tf.train.Saver().save(sess, str(tmp_path / "m"))
    with tf.Graph().as_default() as g:
        a = tf.train.import_meta_graph(prefix + ".meta", import_scope="a")
        b = tf.train.import_meta_graph(prefix + ".meta", import_scope="b", clear_devices=True)
        assert g.get_operation_by_name("a/out").device == "/cpu:0"
        assert g.get_operation_by_name("b/out").device == ""
        # Adam's kernels name their variables by op name: scoped too
        adam = [o for o in g.get_operations() if o.type == "ApplyAdam"]
        assert sorted(o.attrs["var"] for o in adam) == ["a/v", "b/v"]
        with tf.Session() as sess:
            a.restore(sess, prefix)  # checkpoint names stay the saved ones
            b.restore(sess, prefix)
            np.testing.assert_array_equal(sess.run("a/out:0"), [12.0, 15.0])
            np.testing.assert_array_equal(sess.run("b/out:0"), [12.0, 15.0])
            sess.run(tf.get_collection("train_op") or [o for o in adam if o.name.startswith("a/")])
            assert sess.run("a/v:0")[0] < 4.0 and sess.run("b/v:0")[0] == 4.0


def test_control_flow_is_refused_with_the_op_name(tmp_path):
    with tf.Graph().as_default():
        v = tf.Variable(1.0, name="v")
        tf.cond(v > 0.0, lambda: v * 2.0, lambda: v, name="branchy")
        with pytest.raises(InvalidArgumentError, match="branchy"):
            tf.train.export_meta_graph(str(tmp_path / "g.meta"))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            with pytest.warns(UserWarning, match="no meta graph written"):
                prefix = tf.train.Saver().save(sess, str(tmp_path / "m"))
    assert not os.path.exists(prefix + ".meta") and tf.train.load_variable(prefix, "v") == 1.0


def test_corrupt_meta_graph_is_a_data_loss_error(tmp_path):
    from trainer.errors import DataLossError

    (tmp_path / "bad.meta").write_bytes(b"PK\x03\x04 not a zip")
    with tf.Graph().as_default(), pytest.raises(DataLossError):
        tf.train.import_meta_graph(str(tmp_path / "bad.meta"))
    with tf.Graph().as_default(), pytest.raises(NotFoundError):
        tf.train.import_meta_graph(str(tmp_path / "missing.meta"))


def test_export_meta_graph_round_trip_and_malformed_documents(tmp_path):
    import zipfile

    from trainer.errors import DataLossError

    with tf.Graph().as_default():
        v = tf.get_variable("v", initializer=np.array([1.0, 2.0], np.float32))
        tf.add_to_collection("mine", tf.multiply(v, 2.0, name="double"))
        data = tf.train.export_meta_graph(str(tmp_path / "g.meta"))
    assert (tmp_path / "g.meta").read_bytes() == data
    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(data)  # bytes work too; no Saver saved: every variable
        assert list(saver.var_list) == ["v"]
        with tf.variable_scope("", reuse=True):
            assert tf.get_variable("v") is saver.var_list["v"]  # get_variable's store is rebuilt
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())  # the saved initializer
            np.testing.assert_array_equal(sess.run(tf.get_collection("mine")[0]), [2.0, 4.0])
    with zipfile.ZipFile(tmp_path / "g.meta") as zf:
        doc = json.loads(zf.read("meta_graph.json"))
        members = {n: zf.read(n) for n in zf.namelist() if n != "meta_graph.json"}
    del doc["ops"][-1]["type"]
    with zipfile.ZipFile(tmp_path / "bad.meta", "w") as zf:
        zf.writestr("meta_graph.json", json.dumps(doc))
        for n, b in members.items():
            zf.writestr(n, b)
    with tf.Graph().as_default(), pytest.raises(DataLossError, match="malformed"):
        tf.train.import_meta_graph(str(tmp_path / "bad.meta"))
