"""Write tests/trainer/tf1_fixtures/sampled_losses.npz: TensorFlow's ``tf.nn.nce_loss`` and
``tf.nn.sampled_softmax_loss`` (values and gradients) for a fixed sample, and the expected counts of its
log-uniform and uniform samplers; the oracle for tests/trainer/test_tf1_compat_more.py.

Run once with a Python that has TensorFlow (2.x, its ``tf.compat.v1`` graph API):

    python scripts/make_sampled_loss_fixtures.py

The sample is given to both frameworks through ``sampled_values=`` (each framework draws its own random
sample otherwise), so the losses must agree to float rounding.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "tests" / "trainer" / "tf1_fixtures" / "sampled_losses.npz"


def main() -> None:
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    rng = np.random.default_rng(7)
    num_classes, dim, batch = 20, 4, 3
    data = {
        "weights": rng.normal(size=(num_classes, dim)).astype(np.float32),
        "biases": rng.normal(size=num_classes).astype(np.float32),
        "inputs": rng.normal(size=(batch, dim)).astype(np.float32),
        "labels1": np.array([[2], [5], [11]], np.int64),
        "labels2": np.array([[2, 9], [5, 0], [11, 3]], np.int64),
        "sampled": np.array([0, 5, 1, 3, 17], np.int64),  # 5 and 3 are accidental hits of some rows
        "true_exp1": rng.uniform(0.1, 1.0, size=(batch, 1)).astype(np.float32),
        "true_exp2": rng.uniform(0.1, 1.0, size=(batch, 2)).astype(np.float32),
        "sampled_exp": rng.uniform(0.1, 1.0, size=5).astype(np.float32),
    }
    with tf.Graph().as_default(), tf.Session() as sess:
        w = tf.constant(data["weights"])
        b = tf.constant(data["biases"])
        x = tf.constant(data["inputs"])
        for nt in (1, 2):
            sv = (
                tf.constant(data["sampled"]),
                tf.constant(data[f"true_exp{nt}"]),
                tf.constant(data["sampled_exp"]),
            )
            lab = tf.constant(data[f"labels{nt}"])
            for fn, name in ((tf.nn.nce_loss, "nce"), (tf.nn.sampled_softmax_loss, "ssm")):
                for hits in (False, True):
                    loss = fn(
                        w,
                        b,
                        lab,
                        x,
                        5,
                        num_classes,
                        num_true=nt,
                        sampled_values=sv,
                        remove_accidental_hits=hits,
                    )
                    gw, gx = tf.gradients(
                        tf.reduce_sum(loss * np.arange(1, batch + 1, dtype=np.float32)), [w, x]
                    )
                    key = f"{name}_t{nt}_{'hits' if hits else 'nohits'}"
                    data[key], data[key + "_dw"], data[key + "_dx"] = sess.run(
                        [loss, tf.convert_to_tensor(gw), gx]
                    )
        for sampler in ("log_uniform", "uniform"):
            fn = getattr(tf.nn, f"{sampler}_candidate_sampler")
            _, te, se = fn(tf.constant(data["labels2"]), 2, 6, False, num_classes, seed=1)
            data[f"{sampler}_true_exp"] = sess.run(te)
    np.savez(OUT, **data)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
