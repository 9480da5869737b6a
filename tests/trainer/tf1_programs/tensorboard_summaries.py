"""Name scopes and summaries for TensorBoard: scalars, a histogram, merge_all, a FileWriter with the graph."""

import glob
import tempfile

import input_data

import trainer as tf

tf.set_random_seed(6)
mnist = input_data.read_data_sets("/tmp/data/", one_hot=True)
logs_path = tempfile.mkdtemp()

with tf.name_scope("input"):
    x = tf.placeholder(tf.float32, [None, 784], name="x-input")
    y = tf.placeholder(tf.float32, [None, 10], name="y-input")
with tf.name_scope("weights"):
    W = tf.Variable(tf.zeros([784, 10]))
with tf.name_scope("biases"):
    b = tf.Variable(tf.zeros([10]))
with tf.name_scope("Model"):
    pred = tf.nn.softmax(tf.matmul(x, W) + b)
with tf.name_scope("Loss"):
    cost = tf.reduce_mean(-tf.reduce_sum(y * tf.log(pred + 1e-10), reduction_indices=1))
with tf.name_scope("SGD"):
    optimizer = tf.train.GradientDescentOptimizer(0.5).minimize(cost)
with tf.name_scope("Accuracy"):
    acc = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(pred, 1), tf.argmax(y, 1)), tf.float32))

tf.summary.scalar("loss", cost)
tf.summary.scalar("accuracy", acc)
tf.summary.histogram("weights", W)
merged_summary_op = tf.summary.merge_all()

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    summary_writer = tf.summary.FileWriter(logs_path, graph=tf.get_default_graph())
    losses = []
    for i in range(60):
        batch_xs, batch_ys = mnist.train.next_batch(100)
        if i % 5 == 0:
            _, c, summary = sess.run(
                [optimizer, cost, merged_summary_op], feed_dict={x: batch_xs, y: batch_ys}
            )
            summary_writer.add_summary(summary, i)
        else:
            _, c = sess.run([optimizer, cost], feed_dict={x: batch_xs, y: batch_ys})
        losses.append(c)
    summary_writer.close()
    test_acc = acc.eval({x: mnist.test.images, y: mnist.test.labels})
    print("Accuracy:", test_acc, "; run tensorboard --logdir=%s" % logs_path)

RESULT = {
    "accuracy": float(test_acc),
    "loss_dropped": float(sum(losses[-10:])) < 0.5 * float(sum(losses[:10])),
    "event_files": len(glob.glob(logs_path + "/events.out.tfevents.*")),
    "logdir": logs_path,
}
