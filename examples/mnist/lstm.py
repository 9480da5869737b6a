"""Train an LSTM that reads each MNIST image row by row (28 steps of 28 pixels), TF1 style.

tf.nn.dynamic_rnn over a BasicLSTMCell(128); the last step's output feeds a dense layer of 10 logits.

    python examples/mnist/lstm.py                     # bundled MNIST-10k: 8,000 train / 2,000 test
    python examples/mnist/lstm.py --epochs 2 --max-steps 50
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mnist_common import parse_args, tf, train  # noqa: E402

UNITS = 128


def build(x: Any, training: Any) -> Any:
    """Logits for flattened images ``x`` ``[N, 784]``: rows are the time steps."""
    rows = tf.reshape(x, [-1, 28, 28])
    cell = tf.nn.rnn_cell.BasicLSTMCell(UNITS)
    outputs, state = tf.nn.dynamic_rnn(cell, rows, dtype=tf.float32)
    return tf.layers.Dense(10)(state.h)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(
        __doc__.splitlines()[0], argv, epochs=8, lr=2e-3, batch_size=64, decay_epochs=3, shift=1
    )
    return train(args, build, flat=True)


if __name__ == "__main__":
    main()
