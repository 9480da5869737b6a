"""tf.contrib.layers: xavier_initializer, flatten, fully_connected and an l2 weight regularizer on MNIST."""

import input_data

import trainer as tf

tf.set_random_seed(11)
mnist = input_data.read_data_sets("/tmp/data/", one_hot=True, image_size=14)

images = tf.placeholder(tf.float32, [None, 14, 14, 1])
labels = tf.placeholder(tf.float32, [None, 10])
net = tf.contrib.layers.flatten(images)
net = tf.contrib.layers.fully_connected(
    net,
    64,
    weights_initializer=tf.contrib.layers.xavier_initializer(),
    weights_regularizer=tf.contrib.layers.l2_regularizer(1e-4),
)
logits = tf.contrib.layers.fully_connected(net, 10, activation_fn=None, scope="logits")
reg = tf.add_n(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES))
loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits)) + reg
train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), tf.argmax(labels, 1)), tf.float32))

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for _ in range(200):
        bx, by = mnist.train.next_batch(100)
        sess.run(train_op, {images: bx.reshape(-1, 14, 14, 1), labels: by})
    acc = sess.run(accuracy, {images: mnist.test.images.reshape(-1, 14, 14, 1), labels: mnist.test.labels})

RESULT = {"accuracy": float(acc), "variables": [v.op.name for v in tf.trainable_variables()]}
