"""A sequence-to-sequence model with a hand-written decoder loop, the TF1 idiom before contrib seq2seq:
a GRU encoder (``tf.nn.dynamic_rnn``), then a ``tf.while_loop`` decoder that reads its inputs from one
``tf.TensorArray`` (teacher forcing) and writes logits into another; at test time the loop feeds back its
own ``tf.argmax`` through ``tf.nn.embedding_lookup`` (greedy decoding) and collects ids in an int32
TensorArray. Task: reverse a sequence of digits."""

import numpy as np

import trainer as tf

np.random.seed(41)
tf.set_random_seed(41)
vocab, go, seq_len, emb_dim, units, batch_size = 8, 8, 5, 8, 48, 64


def make_batch(n):
    src = np.random.randint(0, vocab, size=(n, seq_len))
    return src, src[:, ::-1]


source = tf.placeholder(tf.int32, [None, seq_len], name="source")
target = tf.placeholder(tf.int32, [None, seq_len], name="target")
batch = tf.shape(source)[0]
embedding = tf.get_variable(
    "embedding", [vocab + 1, emb_dim], initializer=tf.random_uniform_initializer(-1, 1)
)

with tf.variable_scope("encoder"):
    enc_cell = tf.nn.rnn_cell.GRUCell(units)
    _, enc_state = tf.nn.dynamic_rnn(enc_cell, tf.nn.embedding_lookup(embedding, source), dtype=tf.float32)

dec_cell = tf.nn.rnn_cell.GRUCell(units)
out_w = tf.get_variable("out_w", [units, vocab])
out_b = tf.get_variable("out_b", [vocab], initializer=tf.zeros_initializer())


def project(h):
    return tf.matmul(h, out_w) + out_b


go_ids = tf.fill([batch], go)
# teacher forcing: step t reads the target of step t - 1 (GO first)
dec_inputs = tf.concat([tf.expand_dims(go_ids, 1), target[:, :-1]], 1)
inputs_ta = tf.TensorArray(tf.float32, size=seq_len).unstack(
    tf.transpose(tf.nn.embedding_lookup(embedding, dec_inputs), [1, 0, 2])
)
logits_ta = tf.TensorArray(tf.float32, size=seq_len)


def train_step(t, state, logits_ta):
    with tf.variable_scope("decoder"):
        out, state = dec_cell(inputs_ta.read(t), state)
    return t + 1, state, logits_ta.write(t, project(out))


_, _, logits_ta = tf.while_loop(lambda t, *_: t < seq_len, train_step, [tf.constant(0), enc_state, logits_ta])
logits = tf.transpose(logits_ta.stack(), [1, 0, 2])  # [batch, time, vocab]
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=target, logits=logits))
train_op = tf.train.AdamOptimizer(0.01).minimize(loss)


def greedy_step(t, prev_ids, state, ids_ta):
    with tf.variable_scope("decoder", reuse=True):
        out, state = dec_cell(tf.nn.embedding_lookup(embedding, prev_ids), state)
    ids = tf.argmax(project(out), axis=1, output_type=tf.int32)
    return t + 1, ids, state, ids_ta.write(t, ids)


ids_ta = tf.TensorArray(tf.int32, size=seq_len)
_, _, _, ids_ta = tf.while_loop(
    lambda t, *_: t < seq_len, greedy_step, [tf.constant(0), go_ids, enc_state, ids_ta]
)
predictions = tf.transpose(ids_ta.stack())
accuracy = tf.reduce_mean(tf.cast(tf.equal(predictions, target), tf.float32))

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    src, tgt = make_batch(batch_size)
    initial_loss = sess.run(loss, {source: src, target: tgt})
    for step in range(150):
        src, tgt = make_batch(batch_size)
        _, loss_val = sess.run([train_op, loss], {source: src, target: tgt})
    src, tgt = make_batch(500)
    acc = sess.run(accuracy, {source: src, target: tgt})

RESULT = {
    "initial_loss": float(initial_loss),
    "loss": float(loss_val),
    "accuracy": float(acc),
    "variables": [v.name for v in tf.trainable_variables()],
}
print(RESULT)
