"""A CNN built from the tf.layers functions, with dropout switched by a training placeholder."""

import input_data
import numpy as np

import trainer as tf

tf.set_random_seed(7)
mnist = input_data.read_data_sets("/tmp/data/", one_hot=False, num_test=500, image_size=14)

X = tf.placeholder(tf.float32, [None, 196])
Y = tf.placeholder(tf.int64, [None])
is_training = tf.placeholder(tf.bool, [])


def conv_net(x, n_classes, dropout, reuse, is_training):
    with tf.variable_scope("ConvNet", reuse=reuse):
        x = tf.reshape(x, shape=[-1, 14, 14, 1])
        conv1 = tf.layers.conv2d(x, 8, 5, activation=tf.nn.relu)
        conv1 = tf.layers.max_pooling2d(conv1, 2, 2)
        conv2 = tf.layers.conv2d(conv1, 16, 3, padding="same", activation=tf.nn.relu)
        conv2 = tf.layers.max_pooling2d(conv2, 2, 2)
        fc1 = tf.layers.flatten(conv2)
        fc1 = tf.layers.dense(fc1, 64)
        fc1 = tf.layers.dropout(fc1, rate=dropout, training=is_training)
        return tf.layers.dense(fc1, n_classes)


logits = conv_net(X, 10, 0.25, reuse=False, is_training=is_training)
logits_test = conv_net(X, 10, 0.25, reuse=True, is_training=False)
loss_op = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(logits=logits, labels=Y))
train_op = tf.train.AdamOptimizer(learning_rate=0.002).minimize(loss_op)
correct_pred = tf.equal(tf.argmax(logits_test, 1), Y)
accuracy = tf.reduce_mean(tf.cast(correct_pred, tf.float32))

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(100):
        batch_x, batch_y = mnist.train.next_batch(32)
        sess.run(train_op, feed_dict={X: batch_x, Y: batch_y, is_training: True})
    acc = sess.run(accuracy, feed_dict={X: mnist.test.images, Y: mnist.test.labels})
    print("Testing Accuracy:", acc)
    n_params = int(np.sum([np.prod(v.get_shape().as_list()) for v in tf.trainable_variables()]))

RESULT = {"accuracy": float(acc), "variables": [v.name for v in tf.trainable_variables()], "params": n_params}
