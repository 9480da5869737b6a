"""``tf.contrib.rnn``: the RNN cells and ``static_rnn``/``static_bidirectional_rnn`` (TF1 kept them here
too); see :mod:`trainer.rnn`."""

from trainer.rnn import (
    BasicLSTMCell,
    BasicRNNCell,
    DropoutWrapper,
    GRUCell,
    LSTMCell,
    LSTMStateTuple,
    MultiRNNCell,
    RNNCell,
    bidirectional_dynamic_rnn,
    static_bidirectional_rnn,
    static_rnn,
)

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
    "static_bidirectional_rnn",
    "static_rnn",
]
