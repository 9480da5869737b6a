"""Sequence ops: ``reverse_sequence`` (what a backward RNN reads its inputs through)."""

from __future__ import annotations

from typing import Any

from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, apply_op, convert_to_tensor
from trainer.ops._common import norm_axis
from trainer.registry import register


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
    xp = ctx.xp
    if len(lens) != x.shape[ba] or (len(lens) and (int(lens.max()) > x.shape[sa] or int(lens.min()) < 0)):
        raise InvalidArgumentError(
            f"{ctx.op.name}: seq_lengths {lens.tolist()} do not fit {x.shape[ba]} rows of {x.shape[sa]}"
        )
    out = xp.array(x, copy=True)
    xb, ob = xp.moveaxis(x, ba, 0), xp.moveaxis(out, ba, 0)  # views: writing ob writes out
    s = sa - (sa > ba)
    for b, n in enumerate(lens.tolist()):
        if n > 1:
            idx = [slice(None)] * (x.ndim - 1)
            idx[s] = slice(0, n)
            ob[b][tuple(idx)] = xp.flip(xb[b][tuple(idx)], axis=s)
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
