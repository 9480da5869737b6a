"""compute_gradients, tf.clip_by_global_norm and apply_gradients with a global step (the RNN-era idiom)."""

import input_data

import trainer as tf

tf.set_random_seed(10)
mnist = input_data.read_data_sets("/tmp/data/", one_hot=True, image_size=14)

x = tf.placeholder(tf.float32, [None, 196])
y = tf.placeholder(tf.float32, [None, 10])
h = tf.nn.relu(
    tf.matmul(x, tf.Variable(tf.truncated_normal([196, 64], stddev=0.1))) + tf.Variable(tf.zeros([64]))
)
logits = tf.matmul(h, tf.Variable(tf.truncated_normal([64, 10], stddev=0.1))) + tf.Variable(tf.zeros([10]))
loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))

global_step = tf.train.get_or_create_global_step()
optimizer = tf.train.MomentumOptimizer(0.1, momentum=0.9)
grads_and_vars = optimizer.compute_gradients(loss)
grads, variables = zip(*grads_and_vars)
clipped, global_norm = tf.clip_by_global_norm(grads, 1.0)
train_op = optimizer.apply_gradients(zip(clipped, variables), global_step=global_step)
clipped_norm = tf.global_norm(clipped)
accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), tf.argmax(y, 1)), tf.float32))

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    norms = []
    for _ in range(200):
        bx, by = mnist.train.next_batch(100)
        _, n, cn = sess.run([train_op, global_norm, clipped_norm], {x: bx, y: by})
        norms.append((n, cn))
    acc = sess.run(accuracy, {x: mnist.test.images, y: mnist.test.labels})
    step = sess.run(global_step)

RESULT = {
    "accuracy": float(acc),
    "step": int(step),
    "max_clipped_norm": max(float(c) for _, c in norms),
    "max_raw_norm": max(float(n) for n, _ in norms),
}
