"""Write tests/trainer/tf1_fixtures/fake_quant.npz: TensorFlow's fake-quant ops
(``tf.quantization.fake_quant_with_min_max_args``, ``fake_quant_with_min_max_vars`` and
``fake_quant_with_min_max_vars_per_channel``), their values and their gradients (to the input, and to min and
max for the ``_vars`` ops), for inputs that hit grid points, half-way points, the clamping edges and a range
that does not contain zero; the oracle for tests/trainer/test_fake_quant.py.

Run once with a Python that has TensorFlow (2.x, its ``tf.compat.v1`` graph API):

    python scripts/make_fake_quant_fixtures.py

Each case is stored under ``<kind><i>_<field>``: ``x``, ``g`` (the upstream gradient), ``min``, ``max``,
``num_bits``, ``narrow_range`` and TensorFlow's ``out``, ``dx`` (and ``dmin``, ``dmax``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "tests" / "trainer" / "tf1_fixtures" / "fake_quant.npz"

# (min, max, num_bits, narrow_range): zero inside, zero on an edge, a range above zero (zero point clamps),
# 4 and 16 bits, narrow ranges (the symmetric weight case -m, m with narrow_range=True).
RANGES = [
    (-6.0, 6.0, 8, False),
    (-0.1, 5.3, 8, False),
    (0.5, 3.0, 8, False),
    (-2.7, -0.2, 8, True),
    (-1.3, 1.3, 8, True),
    (-0.4, 2.2, 4, False),
    (-3.0, 1.5, 16, True),
    (0.0, 1.0, 2, False),
]


def inputs(lo: float, hi: float, rng: np.random.Generator) -> np.ndarray:
    """Values spread past both ends of the range, plus the ends themselves, zero and grid-ish points."""
    span = hi - lo
    extra = np.array([lo, hi, 0.0, lo - 1e-3, hi + 1e-3, lo + span / 2, -span, 2 * span], np.float32)
    return np.concatenate([rng.uniform(lo - span / 4, hi + span / 4, 40).astype(np.float32), extra])


def main() -> None:
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    rng = np.random.default_rng(17)
    data: dict[str, np.ndarray] = {}
    with tf.Graph().as_default(), tf.Session() as sess:
        for i, (lo, hi, bits, narrow) in enumerate(RANGES):
            x = inputs(lo, hi, rng)
            g = rng.uniform(-1, 1, x.shape).astype(np.float32)
            xt, gt = tf.constant(x), tf.constant(g)
            common = {"num_bits": np.int64(bits), "narrow_range": np.bool_(narrow), "x": x, "g": g}
            out = tf.quantization.fake_quant_with_min_max_args(xt, lo, hi, num_bits=bits, narrow_range=narrow)
            (dx,) = tf.gradients(out, [xt], grad_ys=gt)
            o, d = sess.run([out, dx])
            data.update({f"args{i}_{k}": v for k, v in common.items()})
            data.update({f"args{i}_min": np.float32(lo), f"args{i}_max": np.float32(hi)})
            data.update({f"args{i}_out": o, f"args{i}_dx": d})

            mn, mx = tf.constant(np.float32(lo)), tf.constant(np.float32(hi))
            out = tf.quantization.fake_quant_with_min_max_vars(xt, mn, mx, num_bits=bits, narrow_range=narrow)
            grads = tf.gradients(out, [xt, mn, mx], grad_ys=gt)
            o, d, dmin, dmax = sess.run([out, *grads])
            data.update({f"vars{i}_{k}": v for k, v in common.items()})
            data.update({f"vars{i}_min": np.float32(lo), f"vars{i}_max": np.float32(hi)})
            data.update({f"vars{i}_out": o, f"vars{i}_dx": d, f"vars{i}_dmin": dmin, f"vars{i}_dmax": dmax})

        # per channel: [2, 3, 5, 4], one range per last-axis channel (as a conv kernel's output channels)
        for i, narrow in enumerate((False, True)):
            lo = np.array([-6.0, -0.1, 0.5, -1.3], np.float32)
            hi = np.array([6.0, 5.3, 3.0, 1.3], np.float32)
            x = rng.uniform(-7, 7, (2, 3, 5, 4)).astype(np.float32)
            x[0, 0, 0] = lo
            x[0, 0, 1] = hi
            g = rng.uniform(-1, 1, x.shape).astype(np.float32)
            xt, gt, mn, mx = (tf.constant(v) for v in (x, g, lo, hi))
            out = tf.quantization.fake_quant_with_min_max_vars_per_channel(xt, mn, mx, narrow_range=narrow)
            grads = tf.gradients(out, [xt, mn, mx], grad_ys=gt)
            o, d, dmin, dmax = sess.run([out, *grads])
            data.update(
                {
                    f"channel{i}_x": x,
                    f"channel{i}_g": g,
                    f"channel{i}_min": lo,
                    f"channel{i}_max": hi,
                    f"channel{i}_num_bits": np.int64(8),
                    f"channel{i}_narrow_range": np.bool_(narrow),
                    f"channel{i}_out": o,
                    f"channel{i}_dx": d,
                    f"channel{i}_dmin": dmin,
                    f"channel{i}_dmax": dmax,
                }
            )
    np.savez_compressed(OUT, **data)
    print(f"wrote {OUT} ({len(data)} arrays)")


if __name__ == "__main__":
    main()
