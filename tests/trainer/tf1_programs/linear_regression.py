"""Linear regression with shapeless float placeholders, a full-graph cost and plain gradient descent."""

import input_data
import numpy as np

import trainer as tf

rng = np.random
rng.seed(1)
train_X, train_Y = input_data.linear_points(60, w=0.7, b=1.5)
n_samples = train_X.shape[0]

X = tf.placeholder("float")
Y = tf.placeholder("float")
W = tf.Variable(rng.randn(), name="weight")
b = tf.Variable(rng.randn(), name="bias")

pred = tf.add(tf.multiply(X, W), b)
cost = tf.reduce_sum(tf.pow(pred - Y, 2)) / (2 * n_samples)
optimizer = tf.train.GradientDescentOptimizer(0.02).minimize(cost)
init = tf.global_variables_initializer()

with tf.Session() as sess:
    sess.run(init)
    for epoch in range(400):
        sess.run(optimizer, feed_dict={X: train_X, Y: train_Y})
    training_cost = sess.run(cost, feed_dict={X: train_X, Y: train_Y})
    weight, bias = sess.run(W), sess.run(b)
    print("cost=", training_cost, "W=", weight, "b=", bias)

RESULT = {"cost": float(training_cost), "weight": float(weight)}
