"""A per-step regression over padded sequences: tf.sequence_mask weights the loss so padding is ignored."""

import numpy as np

import trainer as tf

np.random.seed(18)
tf.set_random_seed(18)
batch, max_len, feat = 16, 6, 3
lengths = np.random.randint(1, max_len + 1, batch).astype(np.int32)
inputs = np.random.randn(batch, max_len, feat).astype(np.float32)
true_w = np.array([1.0, -2.0, 0.5], np.float32)
targets = inputs @ true_w
steps = np.arange(max_len)[None, :]
targets[steps >= lengths[:, None]] = 100.0  # garbage in the padding: must not matter

x = tf.placeholder(tf.float32, [None, max_len, feat])
y = tf.placeholder(tf.float32, [None, max_len])
seq_len = tf.placeholder(tf.int32, [None])
w = tf.Variable(tf.zeros([feat]))
pred = tf.reduce_sum(x * w, axis=2)
mask = tf.sequence_mask(seq_len, max_len, dtype=tf.float32)
loss = tf.reduce_sum(tf.square(pred - y) * mask) / tf.reduce_sum(mask)
train = tf.train.GradientDescentOptimizer(0.3).minimize(loss)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for _ in range(200):
        sess.run(train, {x: inputs, y: targets, seq_len: lengths})
    w_val, final = sess.run([w, loss], {x: inputs, y: targets, seq_len: lengths})

RESULT = {"loss": float(final), "w_error": float(np.abs(w_val - true_w).max())}
