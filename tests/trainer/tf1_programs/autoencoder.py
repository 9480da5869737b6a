"""A sigmoid autoencoder on 14x14 MNIST (196 -> 64 -> 32 -> 64 -> 196), RMSProp on squared error."""

import input_data

import trainer as tf

tf.set_random_seed(4)
mnist = input_data.read_data_sets("/tmp/data/", one_hot=True, num_test=500, image_size=14)
learning_rate, num_steps, batch_size = 0.01, 150, 64
num_hidden_1, num_hidden_2, num_input = 64, 32, 196

X = tf.placeholder("float", [None, num_input])
weights = {
    "encoder_h1": tf.Variable(tf.random_normal([num_input, num_hidden_1], stddev=0.1)),
    "encoder_h2": tf.Variable(tf.random_normal([num_hidden_1, num_hidden_2], stddev=0.1)),
    "decoder_h1": tf.Variable(tf.random_normal([num_hidden_2, num_hidden_1], stddev=0.1)),
    "decoder_h2": tf.Variable(tf.random_normal([num_hidden_1, num_input], stddev=0.1)),
}
biases = {
    "encoder_b1": tf.Variable(tf.zeros([num_hidden_1])),
    "encoder_b2": tf.Variable(tf.zeros([num_hidden_2])),
    "decoder_b1": tf.Variable(tf.zeros([num_hidden_1])),
    "decoder_b2": tf.Variable(tf.zeros([num_input])),
}


def encoder(x):
    layer_1 = tf.nn.sigmoid(tf.add(tf.matmul(x, weights["encoder_h1"]), biases["encoder_b1"]))
    return tf.nn.sigmoid(tf.add(tf.matmul(layer_1, weights["encoder_h2"]), biases["encoder_b2"]))


def decoder(x):
    layer_1 = tf.nn.sigmoid(tf.add(tf.matmul(x, weights["decoder_h1"]), biases["decoder_b1"]))
    return tf.nn.sigmoid(tf.add(tf.matmul(layer_1, weights["decoder_h2"]), biases["decoder_b2"]))


y_pred = decoder(encoder(X))
loss = tf.reduce_mean(tf.pow(X - y_pred, 2))
optimizer = tf.train.RMSPropOptimizer(learning_rate).minimize(loss)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    first = sess.run(loss, feed_dict={X: mnist.test.images})
    for i in range(1, num_steps + 1):
        batch_x, _ = mnist.train.next_batch(batch_size)
        _, l = sess.run([optimizer, loss], feed_dict={X: batch_x})
        if i % 50 == 0:
            print("Step %i: Minibatch Loss: %f" % (i, l))
    last = sess.run(loss, feed_dict={X: mnist.test.images})

RESULT = {"initial_loss": float(first), "loss": float(last)}
