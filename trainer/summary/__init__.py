"""``tf.summary``: summary ops and ``FileWriter`` for TensorBoard (needs the ``tensorboard`` extra).

>>> import trainer as tf
>>> w = tf.Variable(tf.ones([3]))
>>> loss = tf.reduce_sum(tf.square(w))
>>> _ = tf.summary.scalar("loss", loss), tf.summary.histogram("w", w)
>>> merged = tf.summary.merge_all()
>>> with tf.Session() as sess:
...     sess.run(tf.global_variables_initializer())
...     blob = sess.run(merged)      # a serialized Summary proto, for FileWriter.add_summary
>>> type(blob).__name__
'bytes'
"""

from trainer.summary.summary_ops import histogram, image, merge, merge_all, scalar, text
from trainer.summary.writer import FileWriter, FileWriterCache

__all__ = ["FileWriter", "FileWriterCache", "histogram", "image", "merge", "merge_all", "scalar", "text"]
