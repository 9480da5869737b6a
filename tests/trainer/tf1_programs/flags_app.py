"""The tf.app.run / tf.app.flags skeleton of the official tutorials, training a small softmax classifier."""

import input_data

import trainer as tf

flags = tf.app.flags
FLAGS = flags.FLAGS
flags.DEFINE_string("data_dir", "/tmp/mnist/input_data", "Directory for storing input data")
flags.DEFINE_integer("max_steps", 150, "Number of steps to run trainer.")
flags.DEFINE_float("learning_rate", 0.5, "Initial learning rate.")
flags.DEFINE_boolean("fake_data", False, "If true, uses fake data for unit testing.")

RESULT = {}


def train():
    mnist = input_data.read_data_sets(FLAGS.data_dir, one_hot=True)
    x = tf.placeholder(tf.float32, [None, 784])
    W = tf.Variable(tf.zeros([784, 10]))
    b = tf.Variable(tf.zeros([10]))
    y = tf.matmul(x, W) + b
    y_ = tf.placeholder(tf.float32, [None, 10])
    cross_entropy = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=y))
    train_step = tf.train.GradientDescentOptimizer(FLAGS.learning_rate).minimize(cross_entropy)
    sess = tf.InteractiveSession()
    tf.global_variables_initializer().run()
    for _ in range(FLAGS.max_steps):
        batch_xs, batch_ys = mnist.train.next_batch(100)
        sess.run(train_step, feed_dict={x: batch_xs, y_: batch_ys})
    correct_prediction = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))
    accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
    RESULT["accuracy"] = float(sess.run(accuracy, feed_dict={x: mnist.test.images, y_: mnist.test.labels}))
    RESULT["max_steps"] = FLAGS.max_steps
    sess.close()


def main(_):
    train()


if __name__ == "__main__":
    tf.app.run(main=main)
