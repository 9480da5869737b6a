"""Weight sharing with tf.get_variable and variable scopes: a siamese pair of towers, reuse_variables()."""

import numpy as np

import trainer as tf

np.random.seed(8)
tf.set_random_seed(8)


def tower(x):
    with tf.variable_scope("layer1"):
        w = tf.get_variable("w", [4, 8], initializer=tf.random_normal_initializer(stddev=0.5))
        b = tf.get_variable("b", [8], initializer=tf.constant_initializer(0.1))
        h = tf.nn.relu(tf.matmul(x, w) + b)
    with tf.variable_scope("layer2"):
        w = tf.get_variable("w", [8, 2])
        return tf.matmul(h, w)


left = tf.placeholder(tf.float32, [None, 4])
right = tf.placeholder(tf.float32, [None, 4])
with tf.variable_scope("siamese") as scope:
    out_left = tower(left)
    scope.reuse_variables()
    out_right = tower(right)

with tf.variable_scope("siamese", reuse=True):
    shared_w = tf.get_variable("layer1/w")

distance = tf.reduce_sum(tf.square(out_left - out_right), 1)
target = tf.placeholder(tf.float32, [None])
loss = tf.reduce_mean(tf.square(distance - target))
train = tf.train.AdamOptimizer(0.05).minimize(loss)

a = np.random.randn(64, 4).astype(np.float32)
noise = np.random.randn(64, 4).astype(np.float32)
scale = np.random.uniform(0, 1, 64).astype(np.float32)
b = a + noise * scale[:, None]
t = 0.5 * scale  # distances the towers must learn to output
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    same = sess.run([out_left, out_right], {left: a, right: a})
    first = sess.run(loss, {left: a, right: b, target: t})
    for _ in range(200):
        sess.run(train, {left: a, right: b, target: t})
    last = sess.run(loss, {left: a, right: b, target: t})

RESULT = {
    "variables": [v.name for v in tf.trainable_variables()],
    "towers_equal": bool(np.array_equal(same[0], same[1])),
    "shared_is_same": shared_w is tf.trainable_variables()[0],
    "initial_loss": float(first),
    "loss": float(last),
}
