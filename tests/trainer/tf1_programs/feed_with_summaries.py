"""The shape of TF1's official feed/summaries tutorials: argparse flags handed to tf.app.run, tf.gfile for
the log folder, tf.logging, name-scoped layers with variable summaries, an image summary, tf.nn.in_top_k
evaluation, run options with a full trace, separate train/test writers and periodic checkpoints."""

import argparse
import math
import os
import sys
import tempfile

import input_data

import trainer as tf

FLAGS = None
RESULT = {}
IMAGE_PIXELS = 196


def variable_summaries(var):
    with tf.name_scope("summaries"):
        mean = tf.reduce_mean(var)
        tf.summary.scalar("mean", mean)
        with tf.name_scope("stddev"):
            stddev = tf.sqrt(tf.reduce_mean(tf.square(var - mean)))
        tf.summary.scalar("stddev", stddev)
        tf.summary.scalar("max", tf.reduce_max(var))
        tf.summary.scalar("min", tf.reduce_min(var))
        tf.summary.histogram("histogram", var)


def nn_layer(input_tensor, input_dim, output_dim, layer_name, act=tf.nn.relu):
    with tf.name_scope(layer_name):
        with tf.name_scope("weights"):
            weights = tf.Variable(
                tf.truncated_normal([input_dim, output_dim], stddev=1.0 / math.sqrt(float(input_dim))),
                name="weights",
            )
            variable_summaries(weights)
        with tf.name_scope("biases"):
            biases = tf.Variable(tf.zeros([output_dim]), name="biases")
            variable_summaries(biases)
        preactivate = tf.matmul(input_tensor, weights) + biases
        tf.summary.histogram("pre_activations", preactivate)
        return act(preactivate, name="activation")


def train():
    mnist = input_data.read_data_sets(FLAGS.data_dir, num_test=500, image_size=14)
    with tf.Graph().as_default():
        with tf.name_scope("input"):
            x = tf.placeholder(tf.float32, [None, IMAGE_PIXELS], name="x-input")
            y_ = tf.placeholder(tf.int64, [None], name="y-input")
        with tf.name_scope("input_reshape"):
            tf.summary.image("input", tf.reshape(x, [-1, 14, 14, 1]), 4)
        hidden1 = nn_layer(x, IMAGE_PIXELS, FLAGS.hidden1, "layer1")
        keep_prob = tf.placeholder(tf.float32)
        dropped = tf.nn.dropout(hidden1, keep_prob)
        y = nn_layer(dropped, FLAGS.hidden1, 10, "layer2", act=tf.identity)
        with tf.name_scope("cross_entropy"):
            cross_entropy = tf.losses.sparse_softmax_cross_entropy(labels=y_, logits=y)
        tf.summary.scalar("cross_entropy", cross_entropy)
        with tf.name_scope("train"):
            global_step = tf.Variable(0, name="global_step", trainable=False)
            train_step = tf.train.AdamOptimizer(FLAGS.learning_rate).minimize(
                cross_entropy, global_step=global_step
            )
        with tf.name_scope("evaluation"):
            correct = tf.nn.in_top_k(y, y_, 1)
            num_correct = tf.reduce_sum(tf.cast(correct, tf.int32))
        merged = tf.summary.merge_all()
        saver = tf.train.Saver()

        sess = tf.Session()
        train_writer = tf.summary.FileWriter(FLAGS.log_dir + "/train", sess.graph)
        test_writer = tf.summary.FileWriter(FLAGS.log_dir + "/test")
        sess.run(tf.global_variables_initializer())
        for i in range(FLAGS.max_steps):
            if i % 25 == 0:
                summary, n = sess.run(
                    [merged, num_correct],
                    feed_dict={x: mnist.test.images, y_: mnist.test.labels, keep_prob: 1.0},
                )
                test_writer.add_summary(summary, i)
                tf.logging.info("Accuracy at step %s: %s", i, n / float(mnist.test.num_examples))
            xs, ys = mnist.train.next_batch(100)
            if i % 50 == 49:
                run_options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
                run_metadata = tf.RunMetadata()
                summary, _ = sess.run(
                    [merged, train_step],
                    feed_dict={x: xs, y_: ys, keep_prob: FLAGS.dropout},
                    options=run_options,
                    run_metadata=run_metadata,
                )
                train_writer.add_run_metadata(run_metadata, "step%03d" % i)
                train_writer.add_summary(summary, i)
                saver.save(sess, os.path.join(FLAGS.log_dir, "model.ckpt"), global_step=global_step)
            else:
                summary, _ = sess.run(
                    [merged, train_step], feed_dict={x: xs, y_: ys, keep_prob: FLAGS.dropout}
                )
                train_writer.add_summary(summary, i)
        n = sess.run(num_correct, feed_dict={x: mnist.test.images, y_: mnist.test.labels, keep_prob: 1.0})
        train_writer.close()
        test_writer.close()
        RESULT["accuracy"] = n / float(mnist.test.num_examples)
        RESULT["checkpoint"] = os.path.basename(tf.train.latest_checkpoint(FLAGS.log_dir))
        RESULT["log_dirs"] = sorted(tf.gfile.ListDirectory(FLAGS.log_dir))
        sess.close()


def main(_):
    tf.logging.set_verbosity(tf.logging.WARN)
    if tf.gfile.Exists(FLAGS.log_dir):
        tf.gfile.DeleteRecursively(FLAGS.log_dir)
    tf.gfile.MakeDirs(FLAGS.log_dir)
    RESULT["log_dir"] = FLAGS.log_dir
    train()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--max_steps", type=int, default=150, help="Number of steps to run trainer.")
    parser.add_argument("--learning_rate", type=float, default=0.002, help="Initial learning rate")
    parser.add_argument("--dropout", type=float, default=0.9, help="Keep probability for training dropout.")
    parser.add_argument("--hidden1", type=int, default=64, help="Number of units in hidden layer 1.")
    parser.add_argument("--data_dir", type=str, default="/tmp/input_data", help="Directory for input data")
    parser.add_argument(
        "--log_dir",
        type=str,
        default=os.path.join(tempfile.mkdtemp(), "logs"),
        help="Summaries log directory",
    )
    FLAGS, unparsed = parser.parse_known_args()
    tf.app.run(main=main, argv=[sys.argv[0]] + unparsed)
