"""Train a small convolutional network on MNIST-10k or Fashion-MNIST, TF1 style.

conv3x3x32 - maxpool - conv3x3x64 - maxpool - dense128 - dropout - dense10 (ReLU, SAME padding)

    python examples/mnist/cnn.py                      # bundled MNIST-10k: 8,000 train / 2,000 test
    python examples/mnist/cnn.py --dataset fashion --epochs 3
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mnist_common import parse_args, tf, train  # noqa: E402


def build(x: Any, training: Any) -> Any:
    """Logits of the CNN for images ``x`` ``[N, 28, 28, 1]``."""
    net = tf.layers.Sequential(
        [
            tf.layers.Conv2D(32, 3, padding="same", activation=tf.nn.relu),
            tf.layers.MaxPool2D(2),
            tf.layers.Conv2D(64, 3, padding="same", activation=tf.nn.relu),
            tf.layers.MaxPool2D(2),
            tf.layers.Flatten(),
            tf.layers.Dense(128, activation=tf.nn.relu),
            tf.layers.Dropout(0.3),
            tf.layers.Dense(10),
        ]
    )
    return net(x, training=training)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(
        __doc__.splitlines()[0], argv, epochs=6, lr=2e-3, batch_size=64, decay_epochs=2, shift=2
    )
    return train(args, build, flat=False)


if __name__ == "__main__":
    main()
