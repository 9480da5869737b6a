"""Train the MNIST CNN of cnn.py on the GPU: the whole model under ``with tf.device("/gpu:0")``.

conv3x3x32 - maxpool - conv3x3x64 - maxpool - dense128 - dropout - dense10, as in cnn.py. The GPU backend
runs every op on CuPy (pip install 'tensorlet[gpu]'); the gradient ops follow their forward ops and the Adam
updates their variables onto the GPU, the loss follows the logits. Only the batches (feeds) go to the device
and the loss/accuracy (fetches) come back each step.

    python examples/mnist/gpu.py --dataset fashion --epochs 3
    python examples/mnist/gpu.py --allow-soft-placement     # no GPU here: train on the CPU instead

Without a usable GPU it says why and exits with status 2, unless ``--allow-soft-placement`` is given.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cnn import build as build_cnn  # noqa: E402
from mnist_common import parse_args, tf, train  # noqa: E402


def gpu_problem(device: str) -> str | None:
    """None when ``device`` can run ops here, else why not (CuPy missing, no CUDA device, ...)."""
    from trainer.backend import get_backend
    from trainer.errors import TensorletError

    try:
        get_backend(device)
    except TensorletError as e:
        return str(e)
    return None


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    argv = list(sys.argv[1:] if argv is None else argv)
    device, soft = "/gpu:0", False
    if "--allow-soft-placement" in argv:
        argv.remove("--allow-soft-placement")
        soft = True
    if "--device" in argv:
        k = argv.index("--device")
        device = argv[k + 1]
        del argv[k : k + 2]
    args = parse_args(
        __doc__.splitlines()[0], argv, epochs=6, lr=2e-3, batch_size=64, decay_epochs=2, shift=2
    )
    problem = gpu_problem(device)
    if problem is not None:
        if not soft:
            print(f"no GPU: {problem}", file=sys.stderr)
            raise SystemExit(2)
        print(f"no GPU ({problem}); soft placement: training on /cpu:0", file=sys.stderr)
        device = "/cpu:0"
    print(f"training on {device}")

    def build(x: Any, training: Any) -> Any:
        with tf.device(device):
            return build_cnn(x, training)

    return train(args, build, flat=False)


if __name__ == "__main__":
    main()
