"""A denoising autoencoder from tf.layers.dense: Gaussian noise on the input, clean targets, Adam."""

import input_data

import trainer as tf

tf.set_random_seed(15)
mnist = input_data.read_data_sets("/tmp/data/", one_hot=True, num_test=500, image_size=14)

clean = tf.placeholder(tf.float32, [None, 196], name="clean")
noisy = clean + 0.3 * tf.random_normal(tf.shape(clean))
with tf.variable_scope("autoencoder"):
    code = tf.layers.dense(noisy, 64, activation=tf.nn.relu, name="encoder")
    recon = tf.layers.dense(code, 196, activation=tf.nn.sigmoid, name="decoder")
loss = tf.reduce_mean(tf.square(recon - clean))
train = tf.train.AdamOptimizer(0.005).minimize(loss)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    first = sess.run(loss, {clean: mnist.test.images})
    for _ in range(120):
        bx, _ = mnist.train.next_batch(64)
        sess.run(train, {clean: bx})
    last = sess.run(loss, {clean: mnist.test.images})

RESULT = {
    "initial_loss": float(first),
    "loss": float(last),
    "variables": [v.op.name for v in tf.global_variables()],
}
