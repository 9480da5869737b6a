"""tf.layers.batch_normalization in an MLP: moving averages updated through UPDATE_OPS dependencies."""

import input_data
import numpy as np

import trainer as tf

tf.set_random_seed(12)
mnist = input_data.read_data_sets("/tmp/data/", one_hot=True, image_size=14)

x = tf.placeholder(tf.float32, [None, 196])
y = tf.placeholder(tf.float32, [None, 10])
training = tf.placeholder_with_default(False, shape=(), name="training")

h = tf.layers.dense(x, 64, use_bias=False)
h = tf.layers.batch_normalization(h, training=training, momentum=0.9)
h = tf.nn.relu(h)
logits = tf.layers.dense(h, 10)
loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits))

update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
with tf.control_dependencies(update_ops):
    train_op = tf.train.AdamOptimizer(0.01).minimize(loss)
accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), tf.argmax(y, 1)), tf.float32))

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for _ in range(120):
        bx, by = mnist.train.next_batch(100)
        sess.run(train_op, {x: bx, y: by, training: True})
    acc = sess.run(accuracy, {x: mnist.test.images, y: mnist.test.labels})
    moving_mean = sess.run(tf.get_default_graph().get_tensor_by_name("batch_normalization/moving_mean:0"))

RESULT = {"accuracy": float(acc), "moving_mean_moved": bool(np.abs(moving_mean).max() > 0.01)}
