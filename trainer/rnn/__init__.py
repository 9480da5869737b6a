"""Recurrent networks: TF1's cells (``tf.nn.rnn_cell``) and the functions that run them over sequences
(``tf.nn.dynamic_rnn``, ``static_rnn``, ``bidirectional_dynamic_rnn``, ``static_bidirectional_rnn``).
The same names are under ``tf.contrib.rnn``."""

from trainer.rnn.cells import (
    BasicLSTMCell,
    BasicRNNCell,
    DropoutWrapper,
    GRUCell,
    LSTMCell,
    LSTMStateTuple,
    MultiRNNCell,
    RNNCell,
)
from trainer.rnn.rnn import bidirectional_dynamic_rnn, dynamic_rnn, static_bidirectional_rnn, static_rnn

__all__ = [
    "BasicLSTMCell",
    "BasicRNNCell",
    "DropoutWrapper",
    "GRUCell",
    "LSTMCell",
    "LSTMStateTuple",
    "MultiRNNCell",
    "RNNCell",
    "bidirectional_dynamic_rnn",
    "dynamic_rnn",
    "static_bidirectional_rnn",
    "static_rnn",
]
