"""trainer/window.py, the one SAME/VALID rule, against its definition by counting window positions."""

from __future__ import annotations

import itertools

import pytest

from trainer.quant.kernels_int8 import window as int8_window
from trainer.window import Window, window


def _positions(size: int, eff: int, stride: int) -> int:
    """How many windows of ``eff`` elements start at 0, stride, 2 * stride, ... and fit in ``size``."""
    return sum(1 for start in range(0, max(size, 0), stride) if start + eff <= size)


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
def test_window_matches_its_definition(padding: str) -> None:
    grid = itertools.product(range(1, 13), range(1, 6), range(1, 5), range(1, 4))
    for size, kernel, stride, dilation in grid:
        eff = (kernel - 1) * dilation + 1
        w = window(size, kernel, stride, dilation, padding)
        if padding == "SAME":
            assert w.out == -(-size // stride)  # ceil(size / stride): every input starts a window
            assert w.pad_after - w.pad_before in (0, 1)  # the smaller half before (TensorFlow's rule)
            padded = size + w.pad_before + w.pad_after
            assert _positions(padded, eff, stride) >= w.out  # every output's window lies in the padded input
            assert w.pad_after == 0 or (w.out - 1) * stride + eff == padded  # and no padding is wasted
        elif eff <= size:
            assert w == Window(_positions(size, eff, stride), 0, 0)
        else:
            assert w.out <= 0  # the window is larger than the input: each caller refuses or empties


def test_the_int8_kernels_refuse_a_valid_window_larger_than_the_input() -> None:
    assert int8_window(7, 3, 2, 1, "SAME") == (4, 1)
    with pytest.raises(ValueError, match="larger than the input"):
        int8_window(2, 3, 1, 1, "VALID")
