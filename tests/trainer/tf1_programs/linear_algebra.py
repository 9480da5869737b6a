"""Matrix ops: solve a linear system with matrix_inverse, check matrix_determinant, diag and unique, and fit
a matrix by gradient descent on a determinant-regularized loss."""

import numpy as np

import trainer as tf

np.random.seed(16)
A_val = np.random.randn(3, 3).astype(np.float64) + 3 * np.eye(3)
b_val = np.random.randn(3, 1)

A = tf.placeholder(tf.float64, [3, 3])
b = tf.placeholder(tf.float64, [3, 1])
x = tf.matmul(tf.matrix_inverse(A), b)
det = tf.matrix_determinant(A)
d = tf.diag(tf.constant([1.0, 2.0, 3.0]))
values, idx = tf.unique(tf.constant([5, 1, 5, 3, 1]))

M = tf.Variable(np.eye(3), name="M")
target = tf.constant(np.diag([2.0, 3.0, 4.0]))
fit_loss = tf.reduce_sum(tf.square(M - target)) + 0.01 * tf.square(tf.matrix_determinant(M) - 24.0)
train = tf.train.GradientDescentOptimizer(0.05).minimize(fit_loss)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    x_val, det_val, d_val, u = sess.run([x, det, d, [values, idx]], {A: A_val, b: b_val})
    for _ in range(300):
        sess.run(train)
    m_det = sess.run(tf.matrix_determinant(M))

RESULT = {
    "residual": float(np.abs(A_val @ x_val - b_val).max()),
    "det_error": float(abs(det_val - np.linalg.det(A_val))),
    "diag": np.diag(d_val).tolist(),
    "unique": [u[0].tolist(), u[1].tolist()],
    "fitted_det": float(m_det),
}
