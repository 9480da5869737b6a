"""A GAN in the style of the TF1 GAN tutorials: generator and discriminator built by functions under
``tf.variable_scope(..., reuse=...)``, the discriminator applied twice (real and fake) with shared
variables, two optimizers each given its own ``var_list`` (from ``tf.get_collection(TRAINABLE_VARIABLES,
scope=...)`` and from variable names), alternating updates. Real data: 1-D samples from N(4, 0.5)."""

import numpy as np

import trainer as tf

np.random.seed(31)
tf.set_random_seed(31)
batch_size, z_dim, hidden = 64, 4, 16


def xavier(shape):
    return tf.random_normal(shape, stddev=1.0 / np.sqrt(shape[0] / 2.0))


def generator(z, reuse=False):
    with tf.variable_scope("generator", reuse=reuse):
        w1 = tf.get_variable("w1", initializer=xavier([z_dim, hidden]))
        b1 = tf.get_variable("b1", [hidden], initializer=tf.zeros_initializer())
        w2 = tf.get_variable("w2", initializer=xavier([hidden, 1]))
        b2 = tf.get_variable("b2", [1], initializer=tf.zeros_initializer())
        h = tf.nn.relu(tf.matmul(z, w1) + b1)
        return tf.matmul(h, w2) + b2


def discriminator(x, reuse=False):
    with tf.variable_scope("discriminator", reuse=reuse):
        w1 = tf.get_variable("w1", initializer=xavier([1, hidden]))
        b1 = tf.get_variable("b1", [hidden], initializer=tf.zeros_initializer())
        w2 = tf.get_variable("w2", initializer=xavier([hidden, 1]))
        b2 = tf.get_variable("b2", [1], initializer=tf.zeros_initializer())
        h = tf.nn.leaky_relu(tf.matmul(x, w1) + b1, alpha=0.2)
        logits = tf.matmul(h, w2) + b2
        return tf.nn.sigmoid(logits), logits


X = tf.placeholder(tf.float32, shape=[None, 1])
Z = tf.placeholder(tf.float32, shape=[None, z_dim])
G_sample = generator(Z)
D_real, D_logit_real = discriminator(X)
D_fake, D_logit_fake = discriminator(G_sample, reuse=True)

D_loss_real = tf.reduce_mean(
    tf.nn.sigmoid_cross_entropy_with_logits(logits=D_logit_real, labels=tf.ones_like(D_logit_real))
)
D_loss_fake = tf.reduce_mean(
    tf.nn.sigmoid_cross_entropy_with_logits(logits=D_logit_fake, labels=tf.zeros_like(D_logit_fake))
)
D_loss = D_loss_real + D_loss_fake
G_loss = tf.reduce_mean(
    tf.nn.sigmoid_cross_entropy_with_logits(logits=D_logit_fake, labels=tf.ones_like(D_logit_fake))
)

theta_D = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope="discriminator")
theta_G = [v for v in tf.trainable_variables() if v.name.startswith("generator/")]
D_solver = tf.train.AdamOptimizer(0.01, beta1=0.5).minimize(D_loss, var_list=theta_D)
G_solver = tf.train.AdamOptimizer(0.01, beta1=0.5).minimize(G_loss, var_list=theta_G)


def sample_Z(m, n):
    return np.random.uniform(-1.0, 1.0, size=[m, n])


sess = tf.Session()
sess.run(tf.global_variables_initializer())
g_before = sess.run(G_sample, feed_dict={Z: sample_Z(1000, z_dim)})
for it in range(600):
    X_mb = np.random.normal(4.0, 0.5, size=(batch_size, 1))
    _, D_loss_curr = sess.run([D_solver, D_loss], feed_dict={X: X_mb, Z: sample_Z(batch_size, z_dim)})
    _, G_loss_curr = sess.run([G_solver, G_loss], feed_dict={Z: sample_Z(batch_size, z_dim)})
samples = sess.run(G_sample, feed_dict={Z: sample_Z(1000, z_dim)})
sess.close()

RESULT = {
    "variables_D": [v.name for v in theta_D],
    "variables_G": [v.name for v in theta_G],
    "mean_before": float(g_before.mean()),
    "mean": float(samples.mean()),
    "std": float(samples.std()),
    "D_loss": float(D_loss_curr),
}
print(RESULT)
