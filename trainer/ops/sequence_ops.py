"""Sequence ops: ``reverse_sequence`` (what a backward RNN reads its inputs through)."""

from __future__ import annotations

from typing import Any

from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, apply_op, convert_to_tensor
from trainer.ops._common import norm_axis
from trainer.registry import register
from trainer.xp_compat import host_ints


# ---- ReverseSequence ------------------------------------------------------------------------------------
def reverse_sequence(
    input: Any,  # noqa: A002 - the TensorFlow name
    seq_lengths: Any,
    seq_axis: int | None = None,
    batch_axis: int | None = None,
    name: str | None = None,
    seq_dim: int | None = None,
    batch_dim: int | None = None,
) -> Tensor:
    """Row ``b`` of ``input`` (along ``batch_axis``) with its first ``seq_lengths[b]`` entries along
    ``seq_axis`` reversed; the rest stays in place."""
    x = convert_to_tensor(input)
    lens = convert_to_tensor(seq_lengths)
    sa = seq_axis if seq_axis is not None else seq_dim
    ba = batch_axis if batch_axis is not None else (batch_dim if batch_dim is not None else 0)
    if sa is None:
        raise InvalidArgumentError("reverse_sequence: seq_axis is required")
    r = x.shape.ndims
    attrs = {"seq_axis": norm_axis(sa, r, "seq_axis"), "batch_axis": norm_axis(ba, r, "batch_axis")}
    return apply_op("ReverseSequence", [x, lens], attrs, name or "ReverseSequence")


def _reverse_sequence_shape(inputs: list[Tensor], attrs: dict) -> Any:
    x, lens = inputs
    if not lens.dtype.is_integer or lens.shape.ndims not in (1, None):
        raise InvalidArgumentError(
            f"seq_lengths must be a 1-D integer tensor, got {lens.dtype.name} {lens.shape}"
        )
    if attrs["seq_axis"] == attrs["batch_axis"]:
        raise InvalidArgumentError(f"seq_axis and batch_axis are both {attrs['seq_axis']}")
    return x.shape, x.dtype


def _reverse_sequence_kernel(ctx: Any, x: Any, lens: Any) -> Any:
    sa, ba = ctx.attrs["seq_axis"], ctx.attrs["batch_axis"]
    n_rows = host_ints(lens)  # the lengths steer the indexing: read to the host once
    if len(n_rows) != x.shape[ba] or any(n < 0 or n > x.shape[sa] for n in n_rows):
        raise InvalidArgumentError(
            f"{ctx.op.name}: seq_lengths {list(n_rows)} do not fit {x.shape[ba]} rows of {x.shape[sa]}"
        )
    out = x.copy()
    for b, n in enumerate(n_rows):
        if n > 1:
            dst, src = [slice(None)] * x.ndim, [slice(None)] * x.ndim
            dst[ba] = src[ba] = b
            dst[sa], src[sa] = slice(0, n), slice(n - 1, None, -1)
            out[tuple(dst)] = x[tuple(src)]
    return out


def _reverse_sequence_grad(op: Any, g: Tensor) -> list[Any]:
    """Reversing is its own inverse: dx = reverse_sequence(g, lens)."""
    a = op.attrs
    return [reverse_sequence(g, op.inputs[1], a["seq_axis"], a["batch_axis"]), None]


register(
    "ReverseSequence",
    shape=_reverse_sequence_shape,
    kernel=_reverse_sequence_kernel,
    grad=_reverse_sequence_grad,
)
