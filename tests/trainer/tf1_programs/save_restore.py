"""Train, save with a global step, then restore the latest checkpoint into a fresh session and evaluate."""

import os
import tempfile

import input_data

import trainer as tf

tf.set_random_seed(5)
mnist = input_data.read_data_sets("/tmp/data/", one_hot=True)
model_dir = tempfile.mkdtemp()
model_path = os.path.join(model_dir, "model.ckpt")

x = tf.placeholder(tf.float32, [None, 784])
y = tf.placeholder(tf.float32, [None, 10])
W = tf.Variable(tf.zeros([784, 10]), name="W")
b = tf.Variable(tf.zeros([10]), name="b")
logits = tf.matmul(x, W) + b
cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=logits, labels=y))
global_step = tf.Variable(0, name="global_step", trainable=False)
train_op = tf.train.GradientDescentOptimizer(0.5).minimize(cost, global_step=global_step)
accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), tf.argmax(y, 1)), tf.float32))
saver = tf.train.Saver(max_to_keep=2)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(1, 201):
        batch_x, batch_y = mnist.train.next_batch(100)
        sess.run(train_op, feed_dict={x: batch_x, y: batch_y})
        if step % 50 == 0:
            save_path = saver.save(sess, model_path, global_step=global_step)
    acc_before = sess.run(accuracy, feed_dict={x: mnist.test.images, y: mnist.test.labels})
    print("Model saved in file: %s" % save_path)

ckpt = tf.train.get_checkpoint_state(model_dir)
kept = [os.path.basename(p) for p in ckpt.all_model_checkpoint_paths]
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    acc_fresh = sess.run(accuracy, feed_dict={x: mnist.test.images, y: mnist.test.labels})
    if ckpt and ckpt.model_checkpoint_path:
        saver.restore(sess, tf.train.latest_checkpoint(model_dir))
    acc_after = sess.run(accuracy, feed_dict={x: mnist.test.images, y: mnist.test.labels})
    restored_step = sess.run(global_step)
    print("restored step", restored_step, "accuracy", acc_after)

RESULT = {
    "accuracy": float(acc_after),
    "same_accuracy": float(acc_after) == float(acc_before),
    "fresh_accuracy": float(acc_fresh),
    "step": int(restored_step),
    "kept": kept,
}
