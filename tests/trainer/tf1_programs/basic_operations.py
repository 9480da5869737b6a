"""Constants, placeholders, arithmetic and matmul in sessions: the first program of every TF1 course."""

import numpy as np

import trainer as tf

a = tf.constant(2)
b = tf.constant(3)
with tf.Session() as sess:
    print("a: %i" % sess.run(a), "b: %i" % sess.run(b))
    added, multiplied = sess.run(a + b), sess.run(a * b)

pa = tf.placeholder(tf.int16)
pb = tf.placeholder(tf.int16)
add = tf.add(pa, pb)
mul = tf.multiply(pa, pb)
with tf.Session() as sess:
    fed = (sess.run(add, feed_dict={pa: 2, pb: 3}), sess.run(mul, feed_dict={pa: 2, pb: 3}))

matrix1 = tf.constant([[3.0, 3.0]])
matrix2 = tf.constant([[2.0], [2.0]])
product = tf.matmul(matrix1, matrix2)
sess = tf.InteractiveSession()
x = tf.Variable([1.0, 2.0])
x.initializer.run()
sub = tf.subtract(x, tf.constant([3.0, 3.0]))
state = tf.Variable(0, name="counter")
update = tf.assign(state, tf.add(state, tf.constant(1)))
tf.global_variables_initializer().run()
counts = []
for _ in range(3):
    sess.run(update)
    counts.append(int(state.eval()))
r = tf.range(3, 18, 3)
full = tf.reduce_sum(tf.placeholder_with_default(np.arange(6.0).reshape(2, 3), shape=None))
RESULT = {
    "added": int(added),
    "multiplied": int(multiplied),
    "fed": [int(v) for v in fed],
    "product": float(product.eval()[0, 0]),
    "sub": sub.eval().tolist(),
    "counts": counts,
    "range": r.eval().tolist(),
    "full_sum": float(full.eval()),
}
sess.close()
