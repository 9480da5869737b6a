"""A two-spirals MLP whose variables come from tf.get_variable with the TF1 *_initializer aliases."""

import input_data
import numpy as np

import trainer as tf

tf.set_random_seed(9)
train_x, train_y = input_data.two_spirals(400, seed=0)
test_x, test_y = input_data.two_spirals(200, seed=1)

x = tf.placeholder(tf.float32, [None, 2])
y = tf.placeholder(tf.float32, [None, 2])


def layer(inp, n_out, name, act=tf.nn.tanh, init=None):
    with tf.variable_scope(name):
        w = tf.get_variable("w", [inp.get_shape()[1], n_out], initializer=init)
        b = tf.get_variable("b", [n_out], initializer=tf.zeros_initializer())
        out = tf.matmul(inp, w) + b
        return act(out) if act is not None else out


h = layer(x, 32, "h1", init=tf.random_normal_initializer(stddev=1.0))
h = layer(h, 32, "h2", init=tf.truncated_normal_initializer(stddev=0.3))
h = layer(h, 32, "h3", init=tf.glorot_uniform_initializer())
h = layer(h, 32, "h4", init=tf.variance_scaling_initializer(scale=1.0, mode="fan_in"))
logits = layer(h, 2, "out", act=None, init=tf.constant_initializer(0.0))
loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits))
train = tf.train.AdamOptimizer(0.01).minimize(loss)
accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), tf.argmax(y, 1)), tf.float32))

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    w0 = sess.run(tf.get_default_graph().get_tensor_by_name("out/w:0"))
    for step in range(600):
        sess.run(train, {x: train_x, y: train_y})
    acc = sess.run(accuracy, {x: test_x, y: test_y})
    print("test accuracy", acc)

RESULT = {"accuracy": float(acc), "out_w_zero_at_start": bool(np.all(w0 == 0))}
