"""ResizeBilinear and ResizeNearestNeighbor: float parity (the three legal align_corners /
half_pixel_centers pairs, up- and down-sampling, non-integer ratios, outputs of size 1, a 1-pixel input),
int8 bit-exactness (TFLite's integer bilinear path and the nearest copy; inputs at -128 and 127, zero points
-128 / 127, scales from 1e-6 to 1e3: the output keeps the input's parameters) and a post-training
quantization case (Conv2D, bilinear upsampling, nearest downsampling)."""

from __future__ import annotations

import numpy as np
from int8_op_cases import Int8Case, act_q, i8, zp_of
from runtime_op_cases import OpCase, _rand

from op_cases import QuantizeCase
from trainer.runtime_ops.resize import resize_bilinear, resize_bilinear_int8, resize_nearest
from trainer.tlm import ModelBuilder

MODES = [(False, False), (True, False), (False, True)]
# (input [N, H, W, C], size [OH, OW])
GEOMETRIES = [
    ((1, 4, 5, 3), (8, 10)),
    ((2, 5, 7, 2), (3, 4)),
    ((1, 3, 4, 1), (7, 9)),
    ((1, 6, 6, 4), (4, 9)),
    ((1, 4, 4, 2), (1, 1)),
    ((2, 1, 3, 3), (2, 5)),
    ((1, 7, 3, 5), (16, 2)),
]
OPS = {"ResizeBilinear": resize_bilinear, "ResizeNearestNeighbor": resize_nearest}


def resize_model(opcode: str, shape, size, ac: bool, hp: bool, dtype=np.float32, q=None) -> bytes:
    b = ModelBuilder(description=opcode)
    x = b.add_input("x", dtype, list(shape), quantization=q)
    s = b.add_constant("size", np.asarray(size, np.int32))
    y = b.add_tensor("y", dtype, [shape[0], *size, shape[3]], quantization=q)
    b.add_op(opcode, [x, s], [y], align_corners=ac, half_pixel_centers=hp)
    b.mark_output(y)
    return b.finish()


def float_cases(rng: np.random.Generator) -> list[OpCase]:
    cases = []
    for opcode, ref in OPS.items():
        for k, (shape, size) in enumerate(GEOMETRIES):
            for ac, hp in MODES:
                x = _rand(rng, *shape)
                want = ref(x, size, ac, hp).astype(np.float32)
                name = f"{opcode}_{k}_ac{int(ac)}_hp{int(hp)}"
                cases.append(OpCase(name, resize_model(opcode, shape, size, ac, hp), [x], [want]))
    return cases


def int8_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    for opcode in OPS:
        for k, (shape, size) in enumerate(GEOMETRIES):
            ac, hp = MODES[k % 3]
            q = act_q((1e-6, 1e3, 0.02, 0.37)[k % 4], zp_of(rng, k))
            x = i8(rng, *shape)
            if k == 0:  # the extremes side by side: interpolations between -128 and 127
                x.reshape(-1)[::2] = -128
                x.reshape(-1)[1::2] = 127
            if k == 1:
                x[:] = 127  # a constant image stays constant (no rounding drift at the top of the range)
            want = (
                resize_bilinear_int8(x, size, ac, hp)
                if opcode == "ResizeBilinear"
                else resize_nearest(x, size, ac, hp)
            )
            model = resize_model(opcode, shape, size, ac, hp, np.int8, q)
            cases.append(Int8Case(f"{opcode}8_{k}_ac{int(ac)}_hp{int(hp)}", model, [x], [want]))
    return cases


def quantize_case() -> QuantizeCase:
    rng = np.random.default_rng(81)
    b = ModelBuilder(description="resize")
    x = b.add_input("x", np.float32, [1, 6, 6, 2])
    w = b.add_constant("w", rng.standard_normal((3, 3, 3, 2)).astype(np.float32) * 0.4)
    bias = b.add_constant("b", rng.standard_normal(3).astype(np.float32) * 0.1)
    c = b.add_tensor("c", np.float32, [1, 6, 6, 3])
    b.add_op("Conv2D", [x, w, bias], [c], padding="SAME", stride_h=1, stride_w=1, activation="RELU")
    up = b.add_tensor("up", np.float32, [1, 11, 13, 3])
    b.add_op(
        "ResizeBilinear",
        [c, b.add_constant("s1", np.asarray([11, 13], np.int32))],
        [up],
        half_pixel_centers=True,
    )
    down = b.add_tensor("down", np.float32, [1, 4, 5, 3])
    b.add_op(
        "ResizeNearestNeighbor",
        [up, b.add_constant("s2", np.asarray([4, 5], np.int32))],
        [down],
        align_corners=True,
    )
    b.mark_output(down)
    samples = [[rng.standard_normal((1, 6, 6, 2)).astype(np.float32)] for _ in range(16)]
    return QuantizeCase("resize", b.finish(), samples)
