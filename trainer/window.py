"""The sliding-window rule of every conv and pool, written once: output size and padding along one axis.

The same rule as the C runtime's ``tl_op_window`` (``runtime_c/src/ops/common.c``) and the schema's
``Padding`` (TensorFlow's): with ``eff = (kernel - 1) * dilation + 1`` the effective window,

* SAME: ``out = ceil(size / stride)``; the total padding ``max((out - 1) * stride + eff - size, 0)`` is split
  with the smaller half before (``pad_before = total // 2``);
* VALID: ``out = ceil((size - eff + 1) / stride)``, no padding; ``out <= 0`` means the window is larger than
  the input, which each caller reports in its own terms (the runtime refuses the model, shape inference gives
  an empty output).

>>> window(7, 3, stride=2, padding="SAME")
Window(out=4, pad_before=1, pad_after=1)
>>> window(7, 3, stride=2, padding="VALID")
Window(out=3, pad_before=0, pad_after=0)
"""

from __future__ import annotations

from typing import NamedTuple


class Window(NamedTuple):
    """One spatial axis of a conv or pool: output size and the padding before and after the input."""

    out: int
    pad_before: int
    pad_after: int


def window(size: int, kernel: int, stride: int = 1, dilation: int = 1, padding: str = "VALID") -> Window:
    """Output size and padding of a ``kernel`` window sliding over ``size`` inputs (see the module doc)."""
    eff = (kernel - 1) * dilation + 1
    if padding == "SAME":
        out = -(-size // stride)
        total = max((out - 1) * stride + eff - size, 0)
        return Window(out, total // 2, total - total // 2)
    return Window(-(-(size - eff + 1) // stride), 0, 0)
