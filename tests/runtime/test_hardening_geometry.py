"""Extreme window geometry (issue #12): huge dilations, strides and windows in conv and pool models.

The optimized DepthwiseConv2D kernels (float and int8) computed their tap ranges in 32 bits: a ~1 KB model
with SAME padding and dilation ~1.85e9 loaded, prepared, and then read far outside its input at invoke
(SIGSEGV) at every optimized level; the 3x3 path's ``(pad_left + stride_w - 1) / stride_w`` overflowed with
a stride near INT32_MAX. Now every kernel takes its geometry from one 64-bit helper
(runtime_c/src/kernels/geometry.h), and prepare (tl_op_window) rejects geometry whose sums do not fit in
int32 with TL_ERROR_BAD_OPTIONS naming the field.

Each model here is float or int8 Conv2D, DepthwiseConv2D (depth multiplier 1 and 2, the 3x3 path), MaxPool2D
or AveragePool2D, built with ModelBuilder. runtime_c/tests/test_geometry_models.c runs each at every forced
kernel level and at 1 and 2 threads, natively, under ASan+UBSan and on armhf under qemu: a case must be
rejected at prepare with its status and message, or run with outputs byte-identical to the reference
kernels' (inputs and weights are multiples of 1/4, so float sums are exact in any order).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
from cbuild import build, run_tool

from trainer.tlm import ModelBuilder, Quantization

OK = "TL_OK"
OPTIONS = "TL_ERROR_BAD_OPTIONS"
# a pool window of 2e9 clips to the input, but a work budget may count the whole window: either is fine
OK_OR_LIMIT = "TL_OK|TL_ERROR_LIMIT_EXCEEDED"
HUGE_DIL = 1_850_000_000  # the finding's dilation: (k - 1) * d + 1 fits int32 for k = 2, -x0 + d does not
INT32_MAX = 2**31 - 1
LEVELS = {
    "native": "reference,portable,avx2,avx512",
    "asan": "reference,portable,avx2,avx512",
    "armhf": "reference,portable,neon",
}


class GeoCase(NamedTuple):
    name: str
    model: bytes
    status: str  # expected status name
    message: str = ""  # a substring of the rejection message (names the field)


def _out(size: int, k: int, stride: int, dilation: int, padding: str) -> int:
    if padding == "SAME":
        return -(-size // stride)
    eff = (k - 1) * dilation + 1
    return -(-(size - eff + 1) // stride)


def _quarters(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Small multiples of 1/4: products with the inputs (multiples of 1/2) and their sums are exact."""
    return (rng.integers(-4, 5, size=shape) / 4).astype(np.float32)


def conv_model(
    op: str,
    int8: bool,
    x_shape: tuple[int, int, int, int],
    kernel: tuple[int, int],
    *,
    out_c: int = 0,
    dm: int = 1,
    stride: tuple[int, int] = (1, 1),
    dilation: tuple[int, int] = (1, 1),
    padding: str = "SAME",
    seed: int = 0,
) -> bytes:
    """One Conv2D or DepthwiseConv2D with bias; float32, or int8 with per-tensor scales (multiplier 1/4)."""
    rng = np.random.default_rng(seed)
    n, h, w, c = x_shape
    if op == "DepthwiseConv2D":
        out_c = c * dm
        w_shape: tuple[int, ...] = (1, kernel[0], kernel[1], out_c)
    else:
        w_shape = (out_c, kernel[0], kernel[1], c)
    y_shape = [
        n,
        _out(h, kernel[0], stride[0], dilation[0], padding),
        _out(w, kernel[1], stride[1], dilation[1], padding),
        out_c,
    ]
    b = ModelBuilder(description=f"geometry {op}", check=False)
    if int8:
        x = b.add_input("x", np.int8, list(x_shape), quantization=Quantization(0.5, 0))
        wt = b.add_constant(
            "w", rng.integers(-127, 128, size=w_shape).astype(np.int8), quantization=Quantization(0.5, 0)
        )
        bias = b.add_constant(
            "b", rng.integers(-1000, 1000, size=out_c).astype(np.int32), quantization=Quantization(0.25, 0)
        )
        y = b.add_tensor("y", np.int8, y_shape, quantization=Quantization(1.0, 3))
    else:
        x = b.add_input("x", np.float32, list(x_shape))
        wt = b.add_constant("w", _quarters(rng, w_shape))
        bias = b.add_constant("b", _quarters(rng, (out_c,)))
        y = b.add_tensor("y", np.float32, y_shape)
    opts: dict[str, object] = dict(
        padding=padding,
        stride_h=stride[0],
        stride_w=stride[1],
        dilation_h=dilation[0],
        dilation_w=dilation[1],
    )
    if op == "DepthwiseConv2D":
        opts["depth_multiplier"] = dm
    b.add_op(op, [x, wt, bias], [y], **opts)
    b.mark_output(y)
    return b.finish()


def pool_model(
    op: str,
    int8: bool,
    x_shape: tuple[int, int, int, int],
    window: tuple[int, int],
    stride: tuple[int, int] = (1, 1),
    padding: str = "SAME",
) -> bytes:
    n, h, w, c = x_shape
    y_shape = [n, _out(h, window[0], stride[0], 1, padding), _out(w, window[1], stride[1], 1, padding), c]
    b = ModelBuilder(description=f"geometry {op}", check=False)
    q = Quantization(0.5, -3) if int8 else None
    dtype = np.int8 if int8 else np.float32
    x = b.add_input("x", dtype, list(x_shape), quantization=q)
    y = b.add_tensor("y", dtype, y_shape, quantization=q)
    b.add_op(
        op,
        [x],
        [y],
        padding=padding,
        stride_h=stride[0],
        stride_w=stride[1],
        filter_h=window[0],
        filter_w=window[1],
    )
    b.mark_output(y)
    return b.finish()


def cases() -> list[GeoCase]:
    out: list[GeoCase] = []
    for int8 in (False, True):
        t = "i8" if int8 else "f32"
        for dm in (1, 2):
            dw = dict(dm=dm)
            # the finding: SAME padding, dilation ~1.85e9, a kernel of 2 along that axis (crashed at invoke)
            for c in (4, 37):
                out.append(
                    GeoCase(
                        f"dw_{t}_dm{dm}_c{c}_dilw_huge",
                        conv_model(
                            "DepthwiseConv2D", int8, (1, 5, 5, c), (3, 2), dilation=(1, HUGE_DIL), **dw
                        ),
                        OPTIONS,
                        f"dilation_w {HUGE_DIL} with kernel 2",
                    )
                )
            out.append(
                GeoCase(
                    f"dw_{t}_dm{dm}_dilh_huge",
                    conv_model("DepthwiseConv2D", int8, (1, 5, 6, 16), (2, 3), dilation=(HUGE_DIL, 1), **dw),
                    OPTIONS,
                    f"dilation_h {HUGE_DIL} with kernel 2",
                )
            )
            out.append(
                GeoCase(
                    f"dw_{t}_dm{dm}_dil_both_huge",
                    conv_model(
                        "DepthwiseConv2D", int8, (2, 4, 4, 8), (2, 2), dilation=(HUGE_DIL, HUGE_DIL), **dw
                    ),
                    OPTIONS,
                    f"dilation_h {HUGE_DIL}",
                )
            )
            # just inside the bounds: accepted, and every level must agree with the reference kernels
            out.append(
                GeoCase(
                    f"dw_{t}_dm{dm}_dilw_1e9",
                    conv_model("DepthwiseConv2D", int8, (1, 5, 7, 37), (3, 2), dilation=(1, 10**9), **dw),
                    OK,
                )
            )
            # the 3x3 path (rows with every kernel row inside) with a stride near INT32_MAX and padding 2
            out.append(
                GeoCase(
                    f"dw3x3_{t}_dm{dm}_stride_max_pad2",
                    conv_model(
                        "DepthwiseConv2D",
                        int8,
                        (1, 3, 1, 16),
                        (3, 3),
                        stride=(1, INT32_MAX),
                        dilation=(1, 2),
                        **dw,
                    ),
                    OPTIONS,
                    f"stride_w {INT32_MAX} with padding 2",
                )
            )
            out.append(
                GeoCase(
                    f"dw3x3_{t}_dm{dm}_stride_2e9",
                    conv_model(
                        "DepthwiseConv2D",
                        int8,
                        (1, 3, 1, 16),
                        (3, 3),
                        stride=(1, 2_000_000_000),
                        dilation=(1, 200_000_000),
                        **dw,
                    ),
                    OPTIONS,
                    "stride_w 2000000000 with padding 200000000",
                )
            )
            out.append(
                GeoCase(
                    f"dw3x3_{t}_dm{dm}_stride_max_pad1",
                    conv_model(
                        "DepthwiseConv2D", int8, (1, 4, 1, 16), (3, 3), stride=(1, INT32_MAX - 1), **dw
                    ),
                    OK,
                )
            )
        # large enough to be split over two threads (rows), with a huge dilation that still fits
        out.append(
            GeoCase(
                f"dw_{t}_threads_dilh_1e9",
                conv_model("DepthwiseConv2D", int8, (1, 48, 48, 32), (2, 3), dilation=(10**9, 1)),
                OK,
            )
        )
        out.append(
            GeoCase(
                f"dw3x3_{t}_threads_stride_w_1e9",
                conv_model("DepthwiseConv2D", int8, (1, 64, 40, 32), (3, 3), stride=(1, 10**9)),
                OK,
            )
        )
        # Conv2D: the same geometry
        out.append(
            GeoCase(
                f"conv_{t}_dilw_huge",
                conv_model("Conv2D", int8, (1, 5, 5, 3), (3, 2), out_c=5, dilation=(1, HUGE_DIL)),
                OPTIONS,
                f"dilation_w {HUGE_DIL} with kernel 2",
            )
        )
        out.append(
            GeoCase(
                f"conv_{t}_dilh_huge",
                conv_model("Conv2D", int8, (1, 5, 5, 3), (2, 3), out_c=5, dilation=(HUGE_DIL, 1)),
                OPTIONS,
                f"dilation_h {HUGE_DIL}",
            )
        )
        out.append(
            GeoCase(
                f"conv_{t}_stride_max_pad2",
                conv_model(
                    "Conv2D", int8, (1, 3, 1, 4), (3, 3), out_c=6, stride=(1, INT32_MAX), dilation=(1, 2)
                ),
                OPTIONS,
                f"stride_w {INT32_MAX}",
            )
        )
        out.append(
            GeoCase(
                f"conv_{t}_dil_1e9",
                conv_model("Conv2D", int8, (1, 6, 5, 8), (2, 2), out_c=17, dilation=(10**9, 10**9)),
                OK,
            )
        )
        out.append(
            GeoCase(
                f"conv_{t}_threads_dilw_1e9",
                conv_model("Conv2D", int8, (1, 40, 40, 16), (3, 2), out_c=24, dilation=(1, 10**9)),
                OK,
            )
        )
        # pools: windows and strides near INT32_MAX
        for op in ("MaxPool2D", "AveragePool2D"):
            p = op[:3].lower()
            out.append(
                GeoCase(
                    f"{p}_{t}_window_max",
                    pool_model(op, int8, (1, 5, 5, 3), (3, INT32_MAX - 5)),
                    OPTIONS,
                    "width window",
                )
            )
            out.append(
                GeoCase(
                    f"{p}_{t}_stride_max_pad",
                    pool_model(op, int8, (1, 4, 1, 19), (2, 5), stride=(1, INT32_MAX)),
                    OPTIONS,
                    f"stride_w {INT32_MAX} with padding 2",
                )
            )
            out.append(
                GeoCase(
                    f"{p}_{t}_window_2e9",
                    pool_model(op, int8, (1, 6, 5, 19), (3, 2_000_000_000), stride=(2, 1)),
                    OK_OR_LIMIT,
                )
            )
            out.append(
                GeoCase(
                    f"{p}_{t}_stride_2e9",
                    pool_model(op, int8, (2, 7, 3, 33), (3, 3), stride=(2_000_000_000, 2)),
                    OK,
                )
            )
    return out


def write_corpus(directory: Path, items: list[GeoCase]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    lines = []
    for case in items:
        (directory / f"{case.name}.tlm").write_bytes(case.model)
        lines.append(f"{case.name} {case.status}")
    (directory / "manifest.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("geometry")
    write_corpus(directory, cases())
    return directory


def test_cases_are_well_formed() -> None:
    items = cases()
    assert len({c.name for c in items}) == len(items)
    assert all(len(c.model) < 200_000 for c in items)
    assert any(c.status == OK for c in items) and any(c.status == OPTIONS for c in items)
    assert all(c.message for c in items if OK not in c.status), "every rejection names its field"


def _report(result) -> str:
    out, err = result.stdout[-12000:], result.stderr[-8000:]
    return f"exit {result.returncode}\n--- stdout ---\n{out}\n--- stderr ---\n{err}"


@pytest.mark.parametrize("variant", ["native", "asan", "armhf"])
def test_extreme_geometry_every_level_and_thread_count(variant: str, corpus: Path) -> None:
    build(variant, targets=("test_geometry_models",))
    result = run_tool(variant, "test_geometry_models", [str(corpus), LEVELS[variant]])
    items = cases()
    assert result.returncode == 0, _report(result)
    assert re.search(rf"^{len(items)} cases, 0 mismatches, \d+ runs$", result.stdout, re.M), _report(result)
    rejected = dict(re.findall(r"^REJECT (\S+) (.*)$", result.stdout, re.M))
    for case in items:
        if OK in case.status.split("|"):
            got = rejected.get(case.name, OK).split(":")[0]
            assert got in case.status.split("|"), (case.name, rejected.get(case.name))
        else:
            assert rejected.get(case.name, "").startswith(f"{case.status}: op 0 ("), (
                case.name,
                rejected.get(case.name),
            )
            assert case.message in rejected[case.name], (case.name, rejected[case.name])
