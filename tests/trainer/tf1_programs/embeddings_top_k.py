"""Learned embeddings looked up with tf.gather, cosine similarity from tf.nn.l2_normalize, neighbours by
tf.nn.top_k: items that co-occur end up nearest to each other."""

import numpy as np

import trainer as tf

np.random.seed(17)
tf.set_random_seed(17)
vocab, dim = 12, 8
groups = np.arange(vocab) // 4  # three groups of four items that co-occur
pairs = np.array([(i, j) for i in range(vocab) for j in range(vocab) if i != j and groups[i] == groups[j]])

embeddings = tf.Variable(tf.random_uniform([vocab, dim], -1.0, 1.0))
center = tf.placeholder(tf.int32, [None])
context = tf.placeholder(tf.int32, [None])
negative = tf.placeholder(tf.int32, [None])
e_c, e_o, e_n = (tf.gather(embeddings, t) for t in (center, context, negative))
pos = tf.reduce_sum(e_c * e_o, 1)
neg = tf.reduce_sum(e_c * e_n, 1)
loss = tf.reduce_mean(tf.nn.softplus(-pos) + tf.nn.softplus(neg))
train = tf.train.AdamOptimizer(0.05).minimize(loss)

normalized = tf.nn.l2_normalize(embeddings, 1)
similarity = tf.matmul(normalized, normalized, transpose_b=True)
_, nearest = tf.nn.top_k(similarity, k=4)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for _ in range(300):
        p = pairs[np.random.choice(len(pairs), 32)]
        sess.run(train, {center: p[:, 0], context: p[:, 1], negative: np.random.randint(0, vocab, 32)})
    nn = sess.run(nearest)

same_group = np.mean([groups[i] == groups[j] for i in range(vocab) for j in nn[i, 1:]])
RESULT = {"neighbour_precision": float(same_group), "self_first": bool(np.all(nn[:, 0] == np.arange(vocab)))}
