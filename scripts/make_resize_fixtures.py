"""Write tests/fixtures/resize_ops.npz: TensorFlow's image resizing results and gradients on small inputs,
the oracle of tests/trainer/test_image_ops.py (CI has no TensorFlow). Needs ``tensorflow-cpu``.

    python scripts/make_resize_fixtures.py [--out tests/fixtures/resize_ops.npz]

For each method (bilinear, nearest), each of the three legal (align_corners, half_pixel_centers) pairs and
each (input, output) size pair of ``SIZES`` (up, down, non-integer ratios, size 1), the keys are
``<method>_<ac><hp>_<h>x<w>_to_<oh>x<ow>_{y,dx}``: the resize of the seeded input ``x_<h>x<w>`` and the
gradient of ``sum(y * gy_<oh>x<ow>)`` with respect to it (TF1's ResizeBilinearGrad /
ResizeNearestNeighborGrad).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402

C = 3
SIZES = [
    ((4, 5), (8, 10)),
    ((5, 7), (3, 4)),
    ((3, 4), (7, 9)),
    ((6, 6), (4, 9)),
    ((4, 4), (1, 1)),
    ((1, 3), (2, 5)),
]
MODES = [(False, False), (True, False), (False, True)]
FNS = {"bilinear": tf.compat.v1.image.resize_bilinear, "nearest": tf.compat.v1.image.resize_nearest_neighbor}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--out", default=str(Path(__file__).resolve().parents[1] / "tests/fixtures/resize_ops.npz")
    )
    out_path = ap.parse_args().out
    rng = np.random.default_rng(2026)
    data: dict[str, np.ndarray] = {}
    for (h, w), (oh, ow) in SIZES:
        data.setdefault(f"x_{h}x{w}", rng.uniform(-2, 2, (2, h, w, C)).astype(np.float32))
        data.setdefault(f"gy_{oh}x{ow}", rng.uniform(-1, 1, (2, oh, ow, C)).astype(np.float32))
    for method, fn in FNS.items():
        for ac, hp in MODES:
            for (h, w), (oh, ow) in SIZES:
                x = tf.constant(data[f"x_{h}x{w}"])
                gy = tf.constant(data[f"gy_{oh}x{ow}"])
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    y = fn(x, [oh, ow], align_corners=ac, half_pixel_centers=hp)
                    loss = tf.reduce_sum(y * gy)
                key = f"{method}_{int(ac)}{int(hp)}_{h}x{w}_to_{oh}x{ow}"
                data[key + "_y"] = y.numpy()
                data[key + "_dx"] = tape.gradient(loss, x).numpy()
    np.savez_compressed(out_path, **data)
    print(f"wrote {out_path}: {len(data)} arrays")


if __name__ == "__main__":
    main()
