"""The CIFAR-10 tutorial's model style on small digit images: ``tf.get_variable`` under variable scopes
named conv1/conv2/local3/softmax_linear, weight decay added to a ``'losses'`` collection and summed with
``tf.add_n(tf.get_collection('losses'))``, ``tf.nn.lrn`` / ``tf.nn.local_response_normalization`` after
pooling, ``tf.nn.zero_fraction`` activation summaries, ``tf.train.ExponentialMovingAverage`` of the
losses, and a moving average of the weights for evaluation."""

import os
import tempfile

import numpy as np
from input_data import read_data_sets

import trainer as tf

STEPS = 80
np.random.seed(3)
tf.set_random_seed(3)
mnist = read_data_sets(num_train=3000, num_test=300, image_size=14)


def _variable_with_weight_decay(name, shape, stddev, wd):
    var = tf.get_variable(name, shape, initializer=tf.truncated_normal_initializer(stddev=stddev))
    if wd is not None:
        weight_decay = tf.multiply(tf.nn.l2_loss(var), wd, name="weight_loss")
        tf.add_to_collection("losses", weight_decay)
    return var


def _activation_summary(x):
    tf.summary.histogram(x.op.name + "/activations", x)
    tf.summary.scalar(x.op.name + "/sparsity", tf.nn.zero_fraction(x))


def inference(images):
    with tf.variable_scope("conv1") as scope:
        kernel = _variable_with_weight_decay("weights", [3, 3, 1, 8], 0.2, None)
        conv = tf.nn.conv2d(images, kernel, [1, 1, 1, 1], padding="SAME")
        biases = tf.get_variable("biases", [8], initializer=tf.constant_initializer(0.0))
        conv1 = tf.nn.relu(tf.nn.bias_add(conv, biases), name=scope.name)
        _activation_summary(conv1)
    pool1 = tf.nn.max_pool(conv1, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME", name="pool1")
    norm1 = tf.nn.lrn(pool1, 4, bias=1.0, alpha=0.001 / 9.0, beta=0.75, name="norm1")
    with tf.variable_scope("conv2") as scope:
        kernel = _variable_with_weight_decay("weights", [3, 3, 8, 8], 0.15, None)
        conv = tf.nn.conv2d(norm1, kernel, [1, 1, 1, 1], padding="SAME")
        biases = tf.get_variable("biases", [8], initializer=tf.constant_initializer(0.1))
        conv2 = tf.nn.relu(tf.nn.bias_add(conv, biases), name=scope.name)
        _activation_summary(conv2)
    norm2 = tf.nn.local_response_normalization(conv2, 4, bias=1.0, alpha=0.001 / 9.0, beta=0.75, name="norm2")
    pool2 = tf.nn.max_pool(norm2, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME", name="pool2")
    with tf.variable_scope("local3") as scope:
        reshape = tf.reshape(pool2, [-1, 4 * 4 * 8])
        weights = _variable_with_weight_decay("weights", [128, 96], 0.1, 0.004)
        biases = tf.get_variable("biases", [96], initializer=tf.constant_initializer(0.1))
        local3 = tf.nn.relu(tf.matmul(reshape, weights) + biases, name=scope.name)
        _activation_summary(local3)
    with tf.variable_scope("softmax_linear") as scope:
        weights = _variable_with_weight_decay("weights", [96, 10], 0.1, None)
        biases = tf.get_variable("biases", [10], initializer=tf.constant_initializer(0.0))
        softmax_linear = tf.add(tf.matmul(local3, weights), biases, name=scope.name)
    return softmax_linear


def loss_fn(logits, labels):
    labels = tf.cast(labels, tf.int64)
    cross_entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits, name="cross_entropy_per_example"
    )
    cross_entropy_mean = tf.reduce_mean(cross_entropy, name="cross_entropy")
    tf.add_to_collection("losses", cross_entropy_mean)
    return tf.add_n(tf.get_collection("losses"), name="total_loss")


images = tf.placeholder(tf.float32, [None, 196])
labels = tf.placeholder(tf.int64, [None])
logits = inference(tf.reshape(images, [-1, 14, 14, 1]))
total_loss = loss_fn(logits, labels)

global_step = tf.train.get_or_create_global_step()
loss_averages = tf.train.ExponentialMovingAverage(0.9, name="avg")
loss_averages_op = loss_averages.apply(tf.get_collection("losses") + [total_loss])
lr = tf.train.exponential_decay(0.2, global_step, 50, 0.5, staircase=True)
with tf.control_dependencies([loss_averages_op]):
    opt = tf.train.GradientDescentOptimizer(lr)
    grads = opt.compute_gradients(total_loss)
apply_gradient_op = opt.apply_gradients(grads, global_step=global_step)
variable_averages = tf.train.ExponentialMovingAverage(0.999, global_step)
variables_averages_op = variable_averages.apply(tf.trainable_variables())
with tf.control_dependencies([apply_gradient_op, variables_averages_op]):
    train_op = tf.no_op(name="train")

correct = tf.nn.in_top_k(logits, labels, 1)
accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
summary_op = tf.summary.merge_all()

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(STEPS):
        batch_x, batch_y = mnist.train.next_batch(32)
        _, loss_value = sess.run([train_op, total_loss], {images: batch_x, labels: batch_y})
    summary_bytes = sess.run(summary_op, {images: batch_x, labels: batch_y})
    acc = sess.run(accuracy, {images: mnist.test.images, labels: mnist.test.labels})
    avg_loss = sess.run(loss_averages.average(total_loss))
    # evaluate with the moving averages of the weights, as the tutorial's eval script restores them
    path = tf.train.Saver().save(sess, os.path.join(tempfile.mkdtemp(), "model.ckpt"))
    tf.train.Saver(variable_averages.variables_to_restore()).restore(sess, path)
    acc_averaged = sess.run(accuracy, {images: mnist.test.images, labels: mnist.test.labels})

RESULT = {
    "loss": float(loss_value),
    "average_loss": float(avg_loss),
    "accuracy": float(acc),
    "accuracy_averaged": float(acc_averaged),
    "collection_losses": len(tf.get_collection("losses")),
    "summary_bytes": len(summary_bytes) > 0,
}
print(RESULT)
