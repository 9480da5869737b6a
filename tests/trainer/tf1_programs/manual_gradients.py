"""Gradient descent by hand: tf.gradients and tf.assign updates grouped into one training op."""

import numpy as np

import trainer as tf

np.random.seed(14)
points = np.random.randn(100, 2).astype(np.float32)
labels = (points[:, 0] + 2 * points[:, 1] > 0.3).astype(np.float32).reshape(-1, 1)

X = tf.placeholder(tf.float32, [None, 2])
Y = tf.placeholder(tf.float32, [None, 1])
W = tf.Variable(tf.zeros([2, 1]), name="W")
b = tf.Variable(tf.zeros([1]), name="b")
logits = tf.matmul(X, W) + b
loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=Y, logits=logits))
grad_W, grad_b = tf.gradients(xs=[W, b], ys=loss)
lr = 0.5
new_W = W.assign(W - lr * grad_W)
new_b = b.assign(b - lr * grad_b)
train = tf.group(new_W, new_b)
correct = tf.equal(tf.cast(tf.greater(tf.sigmoid(logits), 0.5), tf.float32), Y)
accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    first = sess.run(loss, {X: points, Y: labels})
    for _ in range(300):
        sess.run(train, {X: points, Y: labels})
    last, acc = sess.run([loss, accuracy], {X: points, Y: labels})

RESULT = {"initial_loss": float(first), "loss": float(last), "accuracy": float(acc)}
