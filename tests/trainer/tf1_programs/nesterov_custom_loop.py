"""An estimator-free custom training loop: a global step created with ``tf.train.create_global_step`` and
read back with ``tf.train.get_global_step``, ``tf.train.exponential_decay`` (smooth), Nesterov momentum
(``MomentumOptimizer(use_nesterov=True)``), epochs of shuffled mini-batches fed by hand, a parameter count
with ``tf.reduce_prod(tf.shape(v))``, a dense layer written with ``tf.einsum``, ``tf.Print`` on the first
step, and streaming evaluation with ``tf.metrics.accuracy`` over batches."""

import numpy as np
from input_data import two_spirals

import trainer as tf

np.random.seed(5)
tf.set_random_seed(5)
train_x, train_y = two_spirals(600, seed=1)
test_x, test_y = two_spirals(300, seed=2)
batch_size, epochs = 50, 40

x = tf.placeholder(tf.float32, [None, 2], name="x")
y = tf.placeholder(tf.float32, [None, 2], name="y")
global_step = tf.train.create_global_step()

with tf.variable_scope("mlp"):
    w1 = tf.get_variable("w1", [2, 64], initializer=tf.variance_scaling_initializer(2.0))
    b1 = tf.get_variable("b1", [64], initializer=tf.zeros_initializer())
    w2 = tf.get_variable("w2", [64, 64], initializer=tf.variance_scaling_initializer(2.0))
    b2 = tf.get_variable("b2", [64], initializer=tf.zeros_initializer())
    w3 = tf.get_variable("w3", [64, 2], initializer=tf.variance_scaling_initializer(1.0))
    b3 = tf.get_variable("b3", [2], initializer=tf.zeros_initializer())
h1 = tf.nn.relu(tf.einsum("bi,ij->bj", x, w1) + b1)
h2 = tf.nn.relu(tf.einsum("bi,ij->bj", h1, w2) + b2)
logits = tf.einsum("bi,ij->bj", h2, w3) + b3
loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits))
loss = tf.Print(loss, [loss, tf.train.get_global_step()], "first step loss, step: ", first_n=1)

num_params = tf.add_n([tf.reduce_prod(tf.shape(v)) for v in tf.trainable_variables()])
learning_rate = tf.train.exponential_decay(0.05, tf.train.get_global_step(), 100, 0.9)
optimizer = tf.train.MomentumOptimizer(learning_rate, momentum=0.9, use_nesterov=True)
train_op = optimizer.minimize(loss, global_step=tf.train.get_global_step())

labels = tf.argmax(y, 1)
predictions = tf.argmax(logits, 1)
acc, acc_update = tf.metrics.accuracy(labels=labels, predictions=predictions)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    losses = []
    for epoch in range(epochs):
        order = np.random.permutation(len(train_x))
        for start in range(0, len(train_x), batch_size):
            idx = order[start : start + batch_size]
            _, loss_val = sess.run([train_op, loss], {x: train_x[idx], y: train_y[idx]})
            losses.append(loss_val)
    sess.run(tf.local_variables_initializer())
    for start in range(0, len(test_x), 100):
        sess.run(acc_update, {x: test_x[start : start + 100], y: test_y[start : start + 100]})
    step, lr, n, test_accuracy = sess.run([global_step, learning_rate, num_params, acc])

RESULT = {
    "step": int(step),
    "learning_rate": float(lr),
    "num_params": int(n),
    "initial_loss": float(np.mean(losses[:12])),
    "loss": float(np.mean(losses[-12:])),
    "accuracy": float(test_accuracy),
}
print(RESULT)
