"""Train a multilayer perceptron (784-256-256-10, ReLU, dropout) on MNIST-10k or Fashion-MNIST, TF1 style.

python examples/mnist/mlp.py                      # bundled MNIST-10k: 8,000 train / 2,000 test
python examples/mnist/mlp.py --dataset fashion --epochs 3
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mnist_common import parse_args, tf, train  # noqa: E402


def build(x: Any, training: Any) -> Any:
    """Logits of the MLP for flattened images ``x`` ``[N, 784]``."""
    net = tf.layers.Sequential(
        [
            tf.layers.Dense(256, activation=tf.nn.relu, kernel_initializer="he_normal"),
            tf.layers.Dropout(0.2),
            tf.layers.Dense(256, activation=tf.nn.relu, kernel_initializer="he_normal"),
            tf.layers.Dropout(0.2),
            tf.layers.Dense(10),
        ]
    )
    return net(x, training=training)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(
        __doc__.splitlines()[0], argv, epochs=20, lr=1e-3, batch_size=64, decay_epochs=5, shift=1
    )
    return train(args, build, flat=True)


if __name__ == "__main__":
    main()
