"""Exponential learning-rate decay driven by the global step, with a momentum optimizer, on regression."""

import numpy as np

import trainer as tf

np.random.seed(13)
tf.set_random_seed(13)
true_w = np.array([[2.0], [-3.0], [0.5]], np.float32)
data_x = np.random.randn(256, 3).astype(np.float32)
data_y = data_x @ true_w + 0.1 * np.random.randn(256, 1).astype(np.float32)

x = tf.placeholder(tf.float32, [None, 3])
y = tf.placeholder(tf.float32, [None, 1])
w = tf.Variable(tf.zeros([3, 1]))
b = tf.Variable(0.0)
loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))

global_step = tf.Variable(0, trainable=False)
learning_rate = tf.train.exponential_decay(0.1, global_step, decay_steps=50, decay_rate=0.5, staircase=True)
train = tf.train.MomentumOptimizer(learning_rate, 0.9).minimize(loss, global_step=global_step)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    rates = []
    for step in range(200):
        idx = np.random.choice(256, 32)
        _, lr = sess.run([train, learning_rate], {x: data_x[idx], y: data_y[idx]})
        rates.append(float(lr))
    final_loss, w_val = sess.run([loss, w], {x: data_x, y: data_y})

RESULT = {
    "loss": float(final_loss),
    "rates": sorted(set(rates), reverse=True),
    "w_error": float(np.abs(w_val - true_w).max()),
}
