"""Classic TensorFlow 1 tutorial programs, written as the tutorials write them, run with
``import trainer as tf`` on the bundled MNIST digits: softmax regression and a two-convolution CNN.
Loss must fall and accuracy rise."""

from __future__ import annotations

import numpy as np

import trainer as tf


def _mnist():
    (x_train, y_train), (x_test, y_test) = tf.datasets.mnist10k_split(8000)
    to_x = lambda a: a.reshape(len(a), 784).astype(np.float32) / 255.0  # noqa: E731
    to_y = lambda a: np.eye(10, dtype=np.float32)[a]  # noqa: E731
    return to_x(x_train), to_y(y_train), to_x(x_test[:1000]), to_y(y_test[:1000])


def test_softmax_regression():
    xs, ys, xt, yt = _mnist()
    tf.reset_default_graph()
    tf.set_random_seed(0)

    x = tf.placeholder(tf.float32, [None, 784])
    W = tf.Variable(tf.zeros([784, 10]))
    b = tf.Variable(tf.zeros([10]))
    y = tf.nn.softmax(tf.matmul(x, W) + b)
    y_ = tf.placeholder(tf.float32, [None, 10])
    cross_entropy = tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(y + 1e-10), reduction_indices=[1]))
    train_step = tf.train.GradientDescentOptimizer(0.5).minimize(cross_entropy)
    correct_prediction = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))
    accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))

    sess = tf.InteractiveSession()
    try:
        tf.global_variables_initializer().run()
        acc0 = accuracy.eval(feed_dict={x: xt, y_: yt})
        loss0 = cross_entropy.eval(feed_dict={x: xt, y_: yt})
        for i in range(300):
            j = (i * 100) % 8000
            sess.run(train_step, feed_dict={x: xs[j : j + 100], y_: ys[j : j + 100]})
        acc1 = sess.run(accuracy, feed_dict={x: xt, y_: yt})
        loss1 = sess.run(cross_entropy, feed_dict={x: xt, y_: yt})
    finally:
        sess.close()
    assert loss1 < 0.5 * loss0, (loss0, loss1)
    assert acc0 < 0.2 and acc1 > 0.85, (acc0, acc1)


def weight_variable(shape):
    initial = tf.truncated_normal(shape, stddev=0.1)
    return tf.Variable(initial)


def bias_variable(shape):
    initial = tf.constant(0.1, shape=shape)
    return tf.Variable(initial)


def conv2d(x, W):
    return tf.nn.conv2d(x, W, strides=[1, 1, 1, 1], padding="SAME")


def max_pool_2x2(x):
    return tf.nn.max_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")


def test_two_conv_cnn_with_adam_and_dropout():
    xs, ys, xt, yt = _mnist()
    tf.reset_default_graph()
    tf.set_random_seed(1)

    x = tf.placeholder(tf.float32, shape=[None, 784])
    y_ = tf.placeholder(tf.float32, shape=[None, 10])
    x_image = tf.reshape(x, [-1, 28, 28, 1])

    W_conv1 = weight_variable([5, 5, 1, 16])
    b_conv1 = bias_variable([16])
    h_conv1 = tf.nn.relu(conv2d(x_image, W_conv1) + b_conv1)
    h_pool1 = max_pool_2x2(h_conv1)

    W_conv2 = weight_variable([5, 5, 16, 32])
    b_conv2 = bias_variable([32])
    h_conv2 = tf.nn.relu(conv2d(h_pool1, W_conv2) + b_conv2)
    h_pool2 = max_pool_2x2(h_conv2)

    W_fc1 = weight_variable([7 * 7 * 32, 128])
    b_fc1 = bias_variable([128])
    h_pool2_flat = tf.reshape(h_pool2, [-1, 7 * 7 * 32])
    h_fc1 = tf.nn.relu(tf.matmul(h_pool2_flat, W_fc1) + b_fc1)

    keep_prob = tf.placeholder(tf.float32)
    h_fc1_drop = tf.nn.dropout(h_fc1, keep_prob)

    W_fc2 = weight_variable([128, 10])
    b_fc2 = bias_variable([10])
    y_conv = tf.matmul(h_fc1_drop, W_fc2) + b_fc2

    cross_entropy = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=y_conv))
    train_step = tf.train.AdamOptimizer(1e-3).minimize(cross_entropy)
    correct_prediction = tf.equal(tf.argmax(y_conv, 1), tf.argmax(y_, 1))
    accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))

    assert h_pool2.get_shape().as_list() == [None, 7, 7, 32]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        feed_test = {x: xt, y_: yt, keep_prob: 1.0}
        acc0, loss0 = sess.run([accuracy, cross_entropy], feed_dict=feed_test)
        losses = []
        for i in range(120):
            j = (i * 50) % 8000
            _, loss = sess.run(
                [train_step, cross_entropy], feed_dict={x: xs[j : j + 50], y_: ys[j : j + 50], keep_prob: 0.5}
            )
            losses.append(loss)
        acc1, loss1 = sess.run([accuracy, cross_entropy], feed_dict=feed_test)
    assert np.mean(losses[-20:]) < 0.5 * np.mean(losses[:10]), losses
    assert loss1 < 0.5 * loss0
    assert acc0 < 0.3 and acc1 > 0.85, (acc0, acc1)
