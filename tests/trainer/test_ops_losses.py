"""tf.losses: values against numpy, weights, collections, gradients."""

from __future__ import annotations

import numpy as np

import trainer as tf

LOGITS = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3], [-1.0, 3.0, 0.0]])
LABELS = np.array([0, 2, 1])


def _xent(logits, labels):
    z = logits - logits.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    return -logp[np.arange(len(labels)), labels]


def test_losses_values_weights_and_collection():
    with tf.Graph().as_default():
        lg = tf.constant(LOGITS)
        a = tf.losses.sparse_softmax_cross_entropy(labels=LABELS, logits=lg)
        b = tf.losses.softmax_cross_entropy(np.eye(3)[LABELS], lg)
        c = tf.losses.sparse_softmax_cross_entropy(LABELS, lg, weights=np.array([1.0, 0.0, 2.0]))
        d = tf.losses.softmax_cross_entropy(np.eye(3)[LABELS], lg, label_smoothing=0.3)
        m = tf.losses.mean_squared_error(
            labels=np.ones((2, 2)), predictions=tf.constant(np.array([[1.0, 3.0], [0.0, 1.0]]))
        )
        assert tf.losses.get_losses() == [a, b, c, d, m]
        tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES, tf.constant(0.5, tf.float64))
        total = tf.losses.get_total_loss()
        (g,) = tf.gradients(a, [lg])
        with tf.Session() as sess:
            av, bv, cv, dv, mv, tv, gv = sess.run([a, b, c, d, m, total, g])
    per = _xent(LOGITS, LABELS)
    np.testing.assert_allclose(av, per.mean())
    np.testing.assert_allclose(bv, per.mean())
    np.testing.assert_allclose(cv, (per[0] + 2 * per[2]) / 2)  # mean over nonzero weights
    smooth = np.eye(3)[LABELS] * 0.7 + 0.1
    z = LOGITS - LOGITS.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    np.testing.assert_allclose(dv, -(smooth * logp).sum(1).mean())
    np.testing.assert_allclose(mv, (0 + 4 + 1 + 0) / 4)
    np.testing.assert_allclose(tv, av + bv + cv + dv + mv + 0.5)
    soft = np.exp(logp)
    np.testing.assert_allclose(gv, (soft - np.eye(3)[LABELS]) / 3)
