"""Linear-algebra ops: diagonals (``tf.diag``, ``tf.matrix_diag`` and their ``*_part`` inverses), the
determinant and the inverse of (batches of) square matrices.

>>> import trainer as tf
>>> with tf.Session() as sess:
...     print(sess.run(tf.matrix_determinant(tf.diag([2.0, 3.0]))))
6.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, apply_op, convert_to_tensor
from trainer.ops.array_ops import constant, expand_dims, transpose
from trainer.ops.math_ops import matmul, multiply, negative
from trainer.registry import register
from trainer.tensor_shape import TensorShape


def _swap_last(x: Tensor) -> Tensor:
    """Transpose the last two axes of a tensor of known rank."""
    r = x.shape.ndims
    return transpose(x, list(range(r - 2)) + [r - 1, r - 2])


# ---- Diag / DiagPart ---------------------------------------------------------------------------------
def diag(diagonal: Any, name: str | None = None) -> Tensor:
    """``out[i1..ik, i1..ik] = diagonal[i1..ik]`` (rank k in, rank 2k out), zeros elsewhere."""
    return apply_op("Diag", [convert_to_tensor(diagonal)], {}, name or "Diag")


def _diag_shape(inputs: list[Tensor], attrs: dict) -> Any:
    d = inputs[0].shape
    if d.dims is None:
        return TensorShape(None), inputs[0].dtype
    if not d.dims:
        raise InvalidArgumentError("tf.diag needs a diagonal of rank >= 1, got a scalar")
    return TensorShape(d.dims + d.dims), inputs[0].dtype


def _diag_kernel(ctx: Any, d: Any) -> Any:
    n = d.size
    out = ctx.xp.zeros((n, n), d.dtype)
    out[ctx.xp.arange(n), ctx.xp.arange(n)] = d.reshape(-1)
    return out.reshape(d.shape + d.shape)


def _diag_grad(op: Any, g: Tensor) -> list[Any]:
    """d(diag(d)) = diag_part(g)."""
    return [diag_part(g)]


register("Diag", shape=_diag_shape, kernel=_diag_kernel, grad=_diag_grad)


def diag_part(input: Any, name: str | None = None) -> Tensor:
    """The inverse of :func:`diag`: from a ``[d1..dk, d1..dk]`` tensor the ``[d1..dk]`` diagonal."""
    return apply_op("DiagPart", [convert_to_tensor(input)], {}, name or "DiagPart")


def _diag_part_shape(inputs: list[Tensor], attrs: dict) -> Any:
    s = inputs[0].shape
    if s.dims is None:
        return TensorShape(None), inputs[0].dtype
    k = len(s.dims) // 2
    pairs = list(zip(s.dims[:k], s.dims[k:], strict=False))
    if len(s.dims) % 2 or not k or any(a is not None and b is not None and a != b for a, b in pairs):
        raise InvalidArgumentError(f"tf.diag_part needs a shape [d1..dk, d1..dk], got {s}")
    return TensorShape([a if a is not None else b for a, b in pairs]), inputs[0].dtype


def _diag_part_kernel(ctx: Any, x: Any) -> Any:
    k = x.ndim // 2
    n = int(x.size**0.5 + 0.5)
    return ctx.xp.diagonal(x.reshape(n, n)).reshape(x.shape[:k]).copy()


def _diag_part_grad(op: Any, g: Tensor) -> list[Any]:
    """d(diag_part(x)) = diag(g)."""
    return [diag(g)]


register("DiagPart", shape=_diag_part_shape, kernel=_diag_part_kernel, grad=_diag_part_grad)


# ---- MatrixDiag / MatrixDiagPart ---------------------------------------------------------------------
def matrix_diag(diagonal: Any, name: str | None = None) -> Tensor:
    """Batched diagonal matrices: ``[..., n] -> [..., n, n]``."""
    return apply_op("MatrixDiag", [convert_to_tensor(diagonal)], {}, name or "MatrixDiag")


def _matrix_diag_shape(inputs: list[Tensor], attrs: dict) -> Any:
    d = inputs[0].shape
    if d.dims is None:
        return TensorShape(None), inputs[0].dtype
    if not d.dims:
        raise InvalidArgumentError("tf.matrix_diag needs a diagonal of rank >= 1, got a scalar")
    return TensorShape([*d.dims, d.dims[-1]]), inputs[0].dtype


def _matrix_diag_kernel(ctx: Any, d: Any) -> Any:
    n = d.shape[-1]
    return d[..., :, None] * ctx.xp.eye(n, dtype=d.dtype)


def _matrix_diag_grad(op: Any, g: Tensor) -> list[Any]:
    """d(matrix_diag(d)) = matrix_diag_part(g)."""
    return [matrix_diag_part(g)]


register("MatrixDiag", shape=_matrix_diag_shape, kernel=_matrix_diag_kernel, grad=_matrix_diag_grad)


def matrix_diag_part(input: Any, name: str | None = None) -> Tensor:
    """The main diagonals of a batch of matrices: ``[..., m, n] -> [..., min(m, n)]``."""
    return apply_op("MatrixDiagPart", [convert_to_tensor(input)], {}, name or "MatrixDiagPart")


def _matrix_diag_part_shape(inputs: list[Tensor], attrs: dict) -> Any:
    s = inputs[0].shape
    if s.dims is None:
        return TensorShape(None), inputs[0].dtype
    if len(s.dims) < 2:
        raise InvalidArgumentError(f"tf.matrix_diag_part needs rank >= 2, got {s}")
    m, n = s.dims[-2], s.dims[-1]
    k = None if m is None or n is None else min(m, n)
    return TensorShape([*s.dims[:-2], k]), inputs[0].dtype


def _matrix_diag_part_kernel(ctx: Any, x: Any) -> Any:
    return ctx.xp.diagonal(x, axis1=-2, axis2=-1).copy()


def _matrix_diag_part_grad(op: Any, g: Tensor) -> list[Any]:
    """d(matrix_diag_part(x)) = matrix_diag(g) (square matrices)."""
    s = op.inputs[0].shape
    if s.dims is None or s.dims[-1] != s.dims[-2] or s.dims[-1] is None:
        raise InvalidArgumentError(
            f"gradient of tf.matrix_diag_part needs square matrices of known size, got {s}"
        )
    return [matrix_diag(g)]


register(
    "MatrixDiagPart",
    shape=_matrix_diag_part_shape,
    kernel=_matrix_diag_part_kernel,
    grad=_matrix_diag_part_grad,
)


# ---- MatrixDeterminant / MatrixInverse ---------------------------------------------------------------
def _square_shape(what: str, batch_only: bool) -> Any:
    def shape_fn(inputs: list[Tensor], attrs: dict) -> Any:
        x = inputs[0]
        if not x.dtype.is_floating:
            raise InvalidArgumentError(f"{what} needs floating-point matrices, got {x.dtype.name} {x.shape}")
        s = x.shape
        if s.dims is None:
            return TensorShape(None), x.dtype
        if len(s.dims) < 2 or (None not in s.dims[-2:] and s.dims[-1] != s.dims[-2]):
            raise InvalidArgumentError(f"{what} needs [..., n, n] square matrices, got {s}")
        return (TensorShape(s.dims[:-2]) if batch_only else s), x.dtype

    return shape_fn


def matrix_determinant(input: Any, name: str | None = None) -> Tensor:
    """Determinants of ``[..., n, n]`` matrices (shape ``[...]``)."""
    return apply_op("MatrixDeterminant", [convert_to_tensor(input)], {}, name or "MatrixDeterminant")


def _det_kernel(ctx: Any, x: Any) -> Any:
    return ctx.xp.asarray(ctx.xp.linalg.det(x), dtype=x.dtype)


def _det_grad(op: Any, g: Tensor) -> list[Any]:
    """d det(X) = g * det(X) * inv(X)^T."""
    scale = expand_dims(expand_dims(multiply(g, op.outputs[0]), -1), -1)
    return [multiply(scale, _swap_last(matrix_inverse(op.inputs[0])))]


register(
    "MatrixDeterminant",
    shape=_square_shape("tf.matrix_determinant", True),
    kernel=_det_kernel,
    grad=_det_grad,
)


def matrix_inverse(input: Any, adjoint: bool = False, name: str | None = None) -> Tensor:
    """Inverses of ``[..., n, n]`` matrices (of their transposes with ``adjoint=True``, real inputs)."""
    x = convert_to_tensor(input)
    if adjoint:
        x = _swap_last(x)
    return apply_op("MatrixInverse", [x], {}, name or "MatrixInverse")


def _inverse_kernel(ctx: Any, x: Any) -> Any:
    try:
        return ctx.xp.linalg.inv(x).astype(x.dtype, copy=False)
    except np.linalg.LinAlgError:  # CuPy raises numpy's error too
        raise InvalidArgumentError(f"{ctx.op.name}: input is not invertible") from None


def _inverse_grad(op: Any, g: Tensor) -> list[Any]:
    """d inv(X) = -inv(X)^T g inv(X)^T."""
    yt = _swap_last(op.outputs[0])
    return [negative(matmul(matmul(yt, g), yt))]


register(
    "MatrixInverse",
    shape=_square_shape("tf.matrix_inverse", False),
    kernel=_inverse_kernel,
    grad=_inverse_grad,
)


# ---- eye (composite) ---------------------------------------------------------------------------------
def eye(
    num_rows: int,
    num_columns: int | None = None,
    batch_shape: Any = None,
    dtype: Any = None,
    name: str | None = None,
) -> Tensor:
    """The ``[num_rows, num_columns]`` identity matrix (a batch of them with ``batch_shape``): a constant."""
    m = int(num_columns) if num_columns is not None else int(num_rows)
    value = np.eye(int(num_rows), m)
    if batch_shape is not None:
        value = np.broadcast_to(value, [*(int(d) for d in batch_shape), int(num_rows), m])
    return constant(
        value, dtype=_dt.as_dtype(dtype) if dtype is not None else _dt.float32, name=name or "eye"
    )
