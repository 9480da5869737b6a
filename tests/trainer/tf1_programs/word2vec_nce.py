"""Skip-gram word2vec as TF1's word2vec_basic tutorial builds it: a random-uniform embedding matrix,
``tf.nn.embedding_lookup``, ``tf.nn.nce_loss`` with truncated-normal output weights, plain SGD at rate 1.0,
cosine similarity of normalized embeddings for nearest words; a second head trained with
``tf.nn.sampled_softmax_loss``. The corpus is synthetic: words of one topic appear together."""

import math

import numpy as np

import trainer as tf

np.random.seed(23)
tf.set_random_seed(23)
vocabulary_size, embedding_size, num_sampled, batch_size = 48, 16, 8, 64
topics = np.arange(vocabulary_size) % 6  # six topics of eight words
sentences = [np.random.choice(np.flatnonzero(topics == t), 6) for t in np.random.randint(0, 6, 600)]
pairs = np.array([(s[i], s[j]) for s in sentences for i in range(6) for j in range(6) if i != j])


def generate_batch():
    idx = np.random.randint(0, len(pairs), batch_size)
    return pairs[idx, 0], pairs[idx, 1].reshape(batch_size, 1)


graph = tf.Graph()
with graph.as_default():
    train_inputs = tf.placeholder(tf.int32, shape=[batch_size])
    train_labels = tf.placeholder(tf.int32, shape=[batch_size, 1])
    valid_dataset = tf.constant(np.arange(12), dtype=tf.int32)

    with tf.device("/cpu:0"):
        embeddings = tf.Variable(tf.random_uniform([vocabulary_size, embedding_size], -1.0, 1.0))
        embed = tf.nn.embedding_lookup(embeddings, train_inputs)
        nce_weights = tf.Variable(
            tf.truncated_normal([vocabulary_size, embedding_size], stddev=1.0 / math.sqrt(embedding_size))
        )
        nce_biases = tf.Variable(tf.zeros([vocabulary_size]))

    loss = tf.reduce_mean(
        tf.nn.nce_loss(
            weights=nce_weights,
            biases=nce_biases,
            labels=train_labels,
            inputs=embed,
            num_sampled=num_sampled,
            num_classes=vocabulary_size,
        )
    )
    optimizer = tf.train.GradientDescentOptimizer(1.0).minimize(loss)

    softmax_w = tf.Variable(tf.truncated_normal([vocabulary_size, embedding_size], stddev=0.1))
    softmax_b = tf.Variable(tf.zeros([vocabulary_size]))
    ssm_loss = tf.reduce_mean(
        tf.nn.sampled_softmax_loss(
            softmax_w, softmax_b, train_labels, tf.stop_gradient(embed), num_sampled, vocabulary_size
        )
    )
    ssm_train = tf.train.AdamOptimizer(0.05).minimize(ssm_loss)
    full_logits = tf.matmul(tf.stop_gradient(embed), softmax_w, transpose_b=True) + softmax_b
    full_loss = tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.reshape(train_labels, [-1]), logits=full_logits
        )
    )

    norm = tf.sqrt(tf.reduce_sum(tf.square(embeddings), 1, keep_dims=True))
    normalized_embeddings = embeddings / norm
    valid_embeddings = tf.nn.embedding_lookup(normalized_embeddings, valid_dataset)
    similarity = tf.matmul(valid_embeddings, normalized_embeddings, transpose_b=True)
    init = tf.global_variables_initializer()

with tf.Session(graph=graph) as session:
    init.run()
    first = None
    for step in range(400):
        batch_inputs, batch_labels = generate_batch()
        feed_dict = {train_inputs: batch_inputs, train_labels: batch_labels}
        _, loss_val = session.run([optimizer, loss], feed_dict=feed_dict)
        first = loss_val if first is None else first
    full_before = session.run(full_loss, feed_dict)
    for step in range(150):
        batch_inputs, batch_labels = generate_batch()
        session.run(ssm_train, {train_inputs: batch_inputs, train_labels: batch_labels})
    batch_inputs, batch_labels = generate_batch()
    full_after = session.run(full_loss, {train_inputs: batch_inputs, train_labels: batch_labels})
    sim = similarity.eval()

same_topic = []
for i in range(12):
    nearest = (-sim[i, :]).argsort()[1:6]
    same_topic.extend(topics[nearest] == topics[i])

RESULT = {
    "initial_loss": float(first),
    "loss": float(loss_val),
    "neighbour_precision": float(np.mean(same_topic)),
    "full_softmax_loss_before": float(full_before),
    "full_softmax_loss_after": float(full_after),
}
print(RESULT)
