"""``tf.einsum``: Einstein summation over one or two operands (``"ij,jk->ik"``, ``"bij,bjk->bik"``,
``"bhqd,bhkd->bhqk"``, ``"ij->ji"``, ``"ij->j"``, ``"...ij,...jk->...ik"``).

The op ``Einsum`` holds the equation with its output spelled out (implicit outputs, ``"ij,jk"``, become
the sorted letters that appear once, as in numpy) and ellipses replaced by letters once the ranks are
known. The gradient of an operand is an einsum of the output gradient with the other operand, broadcast
over letters that only that operand had (they were summed away). Not supported, with a clear error: three
or more operands, a letter repeated inside one operand (a diagonal or trace), ellipses over unknown ranks.

>>> import trainer as tf
>>> with tf.Session() as sess:
...     print(sess.run(tf.einsum("ij,jk->ik", [[1.0, 2.0]], [[3.0], [4.0]])))
[[11.]]
"""

from __future__ import annotations

import string
from typing import Any

from trainer.errors import InvalidArgumentError, UnimplementedError
from trainer.graph import Tensor, apply_op, convert_to_tensor
from trainer.ops.array_ops import broadcast_to, expand_dims, shape
from trainer.registry import register
from trainer.tensor_shape import TensorShape


def einsum(equation: str, *inputs: Any, name: str | None = None, **kwargs: Any) -> Tensor:
    """``numpy.einsum``-style contraction of one or two tensors (see the module docstring)."""
    if kwargs:
        raise InvalidArgumentError(f"tf.einsum: unexpected arguments {sorted(kwargs)}")
    if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)) and len(inputs[0]) in (1, 2):
        if all(isinstance(v, Tensor) or hasattr(v, "_as_tensor") for v in inputs[0]):
            inputs = tuple(inputs[0])  # TF1 also accepts the operands as one list
    ts = [convert_to_tensor(x) for x in inputs]
    eq = _normalize(equation, ts)
    if len({t.dtype for t in ts}) != 1:
        raise InvalidArgumentError(f"tf.einsum: operands of different dtypes: {[t.dtype.name for t in ts]}")
    return apply_op("Einsum", ts, {"equation": eq}, name or "einsum")


def _normalize(equation: str, ts: list[Tensor]) -> str:
    """The equation with an explicit output and ellipses replaced by unused letters."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(ts):
        raise InvalidArgumentError(
            f"tf.einsum: equation {equation!r} names {len(ins)} operands, got {len(ts)}"
        )
    if len(ts) > 2:
        raise UnimplementedError(
            f"tf.einsum: {len(ts)} operands ({equation!r}); only one or two are supported: "
            "contract them pairwise with two einsums"
        )
    ell = ""
    if "..." in eq:
        free = [c for c in string.ascii_letters if c not in eq]
        ranks = []
        for spec, t in zip(ins, ts, strict=True):
            if "..." in spec and t.shape.ndims is None:
                raise UnimplementedError(f"tf.einsum: '...' in {equation!r} needs operands of known rank")
            ranks.append(t.shape.ndims - (len(spec) - 3) if "..." in spec else 0)
        n_ell = max(ranks)
        # an operand with fewer broadcast axes takes the last ones (numpy's right alignment)
        ins = [
            spec.replace("...", "".join(free[n_ell - k : n_ell])) for spec, k in zip(ins, ranks, strict=True)
        ]
        ell = "".join(free[:n_ell])
        out = out.replace("...", ell)
    for spec, t in zip(ins, ts, strict=True):
        if not spec.isalpha():
            raise InvalidArgumentError(f"tf.einsum: bad subscripts {spec!r} in {equation!r}")
        if len(set(spec)) != len(spec):
            raise UnimplementedError(
                f"tf.einsum: {equation!r} repeats a letter within one operand ({spec!r}: a diagonal or "
                "trace); use tf.matrix_diag_part / tf.trace-style ops instead"
            )
        if t.shape.ndims is not None and t.shape.ndims != len(spec):
            raise InvalidArgumentError(
                f"tf.einsum: operand {t.name} has rank {t.shape.ndims} but {spec!r} in {equation!r} names "
                f"{len(spec)} axes"
            )
    if not arrow:
        letters = "".join(ins)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    if len(set(out)) != len(out) or any(c not in "".join(ins) for c in out):
        raise InvalidArgumentError(f"tf.einsum: bad output subscripts {out!r} in {equation!r}")
    return ",".join(ins) + "->" + out


def _einsum_shape(inputs: list[Tensor], attrs: dict) -> Any:
    lhs, out = attrs["equation"].split("->")
    dims: dict[str, int | None] = {}
    for spec, t in zip(lhs.split(","), inputs, strict=True):
        if t.shape.dims is None:
            continue
        for c, d in zip(spec, t.shape.dims, strict=True):
            old = dims.get(c)
            if old is not None and d is not None and old != d and 1 not in (old, d):
                raise InvalidArgumentError(
                    f"tf.einsum {attrs['equation']!r}: axis {c!r} is {old} in one operand and {d} in another"
                )
            dims[c] = d if old is None or old == 1 else old
    return TensorShape([dims.get(c) for c in out]), inputs[0].dtype


def _einsum_kernel(ctx: Any, *xs: Any) -> Any:
    return ctx.xp.asarray(ctx.xp.einsum(ctx.attrs["equation"], *xs), dtype=xs[0].dtype)


def _einsum_grad(op: Any, g: Tensor) -> list[Any]:
    """d operand k = einsum(g, other operands -> operand k's letters), broadcast over the letters only
    operand k had (summed away in the forward)."""
    lhs, out = op.attrs["equation"].split("->")
    specs = lhs.split(",")
    grads = []
    for k, (spec, x) in enumerate(zip(specs, op.inputs, strict=True)):
        others = [(s, t) for j, (s, t) in enumerate(zip(specs, op.inputs, strict=True)) if j != k]
        known = set(out).union(*[set(s) for s, _ in others])
        kept = "".join(c for c in spec if c in known)
        eq = ",".join([out, *[s for s, _ in others]]) + "->" + kept
        d = apply_op("Einsum", [g, *[t for _, t in others]], {"equation": eq}, "einsum_grad")
        if kept != spec:  # letters summed only here: every element got the same gradient
            for i, c in enumerate(spec):
                if c not in known:
                    d = expand_dims(d, i)
            d = broadcast_to(d, shape(x))
        grads.append(d)
    return grads


register("Einsum", shape=_einsum_shape, kernel=_einsum_kernel, grad=_einsum_grad)
