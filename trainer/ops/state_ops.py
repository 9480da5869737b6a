"""State ops: the variable read (``VariableV2``) and the assignments.

A session keeps each variable's array in ``ctx.variables[var_op_name]`` (see ``trainer.registry``).
Assign copies its value into fresh storage; AssignAdd/AssignSub update the storage in place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, apply_op, convert_to_tensor
from trainer.registry import register
from trainer.tensor_shape import TensorShape
from trainer.xp_compat import any_true, read_variable
from trainer.xp_compat import scatter_add as _add_at


def _var_name(ref: Any) -> tuple[str, Tensor]:
    """(variable op name, read tensor) of a Variable or of a VariableV2 tensor."""
    t = ref._as_tensor() if hasattr(ref, "_as_tensor") else ref
    if not isinstance(t, Tensor) or t.op.type != "VariableV2":
        raise InvalidArgumentError(f"{ref!r} is not a variable")
    return t.op.name, t


# ---- VariableV2 -------------------------------------------------------------------------------------
def variable_op(shape: TensorShape, dtype: _dt.DType, name: str) -> Tensor:
    return apply_op("VariableV2", [], {"shape": shape, "dtype": dtype}, name)


def _variable_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return attrs["shape"], attrs["dtype"]


def _variable_kernel(ctx: Any) -> Any:
    return read_variable(ctx, ctx.op.name)


register("VariableV2", shape=_variable_shape, kernel=_variable_kernel, not_differentiable=True, stateful=True)


# ---- Assign -----------------------------------------------------------------------------------------
def assign(
    ref: Any, value: Any, validate_shape: bool = True, use_locking: Any = None, name: str | None = None
) -> Tensor:
    """Store ``value`` in variable ``ref``; the output is the new value."""
    var, t = _var_name(ref)
    v = convert_to_tensor(value, dtype=t.dtype)
    return apply_op(
        "Assign",
        [v],
        {"var": var, "shape": t.shape, "validate_shape": bool(validate_shape)},
        name or "Assign",
    )


def _assign_shape(inputs: list[Tensor], attrs: dict) -> Any:
    v = inputs[0]
    if attrs["validate_shape"] and not attrs["shape"].is_compatible_with(v.shape):
        raise InvalidArgumentError(
            f"cannot assign a value of shape {v.shape} to variable {attrs['var']} of shape {attrs['shape']}"
        )
    return (attrs["shape"] if attrs["validate_shape"] else v.shape), v.dtype


def _assign_kernel(ctx: Any, value: Any) -> Any:
    a = ctx.attrs
    old = ctx.variables.get(a["var"])
    if old is not None and not ctx.backend.is_host and isinstance(old, np.ndarray):
        old = None  # a host value (Variable.load) is replaced by a device array below, not written into
    if (
        old is not None
        and old.shape == value.shape
        and old.dtype == value.dtype
        and (not ctx.backend.is_host or old.flags.writeable)  # CuPy arrays have no read-only flag
    ):
        old[...] = value  # in place: reads already handed out see the new value (TF1 ref semantics)
        return old
    if a["validate_shape"]:
        want = old.shape if old is not None else a["shape"].dims
        got = value.shape
        if want is not None and (
            len(want) != len(got) or any(d is not None and d != s for d, s in zip(want, got, strict=False))
        ):
            raise InvalidArgumentError(
                f"{ctx.op.name}: cannot assign a value of shape {got} to variable {a['var']} of shape "
                f"{tuple(want)}"
            )
    arr = ctx.xp.array(value, copy=True)
    ctx.variables[a["var"]] = arr
    return arr


register("Assign", shape=_assign_shape, kernel=_assign_kernel, not_differentiable=True, stateful=True)


# ---- AssignAdd / AssignSub --------------------------------------------------------------------------
def assign_add(ref: Any, value: Any, use_locking: Any = None, name: str | None = None) -> Tensor:
    var, t = _var_name(ref)
    v = convert_to_tensor(value, dtype=t.dtype)
    return apply_op("AssignAdd", [v], {"var": var, "shape": t.shape}, name or "AssignAdd")


def assign_sub(ref: Any, value: Any, use_locking: Any = None, name: str | None = None) -> Tensor:
    var, t = _var_name(ref)
    v = convert_to_tensor(value, dtype=t.dtype)
    return apply_op("AssignSub", [v], {"var": var, "shape": t.shape}, name or "AssignSub")


def _assign_update_shape(inputs: list[Tensor], attrs: dict) -> Any:
    v = inputs[0]
    if not attrs["shape"].is_compatible_with(v.shape):
        raise InvalidArgumentError(
            f"cannot update variable {attrs['var']} of shape {attrs['shape']} with a value of shape {v.shape}"
        )
    return attrs["shape"], v.dtype


def _update(ctx: Any, value: Any, sign: int) -> Any:
    arr = read_variable(ctx, ctx.attrs["var"])
    if arr.shape != value.shape:
        raise InvalidArgumentError(
            f"{ctx.op.name}: variable {ctx.attrs['var']} has shape {arr.shape}, update "
            f"has shape {value.shape}"
        )
    if sign > 0:
        arr += value
    else:
        arr -= value
    return arr


def _assign_add_kernel(ctx: Any, value: Any) -> Any:
    return _update(ctx, value, 1)


def _assign_sub_kernel(ctx: Any, value: Any) -> Any:
    return _update(ctx, value, -1)


register(
    "AssignAdd", shape=_assign_update_shape, kernel=_assign_add_kernel, not_differentiable=True, stateful=True
)
register(
    "AssignSub", shape=_assign_update_shape, kernel=_assign_sub_kernel, not_differentiable=True, stateful=True
)


# ---- ScatterUpdate / ScatterAdd / ScatterSub --------------------------------------------------------
def _scatter(op_type: str, ref: Any, indices: Any, updates: Any, name: str | None) -> Tensor:
    var, t = _var_name(ref)
    i = convert_to_tensor(indices)
    u = convert_to_tensor(updates, dtype=t.dtype)
    return apply_op(op_type, [i, u], {"var": var, "shape": t.shape}, name or op_type)


def scatter_update(
    ref: Any, indices: Any, updates: Any, use_locking: Any = None, name: str | None = None
) -> Tensor:
    """``ref[indices] = updates`` along the first axis; the output is the updated variable."""
    return _scatter("ScatterUpdate", ref, indices, updates, name)


def scatter_add(
    ref: Any, indices: Any, updates: Any, use_locking: Any = None, name: str | None = None
) -> Tensor:
    """``ref[indices] += updates`` (repeated indices add up)."""
    return _scatter("ScatterAdd", ref, indices, updates, name)


def scatter_sub(
    ref: Any, indices: Any, updates: Any, use_locking: Any = None, name: str | None = None
) -> Tensor:
    """``ref[indices] -= updates`` (repeated indices add up)."""
    return _scatter("ScatterSub", ref, indices, updates, name)


def _scatter_shape(inputs: list[Tensor], attrs: dict) -> Any:
    i, u = inputs
    s = attrs["shape"]
    if not i.dtype.is_integer:
        raise InvalidArgumentError(
            f"scatter into {attrs['var']}: indices must be integers, got {i.dtype.name}"
        )
    if s.dims is not None and i.shape.dims is not None and u.shape.dims is not None:
        want = TensorShape(i.shape.dims + s.dims[1:])
        if not want.is_compatible_with(u.shape):
            raise InvalidArgumentError(
                f"scatter into {attrs['var']} {s}: updates of shape {u.shape} do not match indices "
                f"{i.shape} (want {want})"
            )
    return s, u.dtype


def _scatter_kernel(kind: str) -> Any:
    def kernel(ctx: Any, i: Any, u: Any) -> Any:
        arr = read_variable(ctx, ctx.attrs["var"])
        n = arr.shape[0]
        if i.size and any_true((i < 0) | (i >= n)):
            raise InvalidArgumentError(f"{ctx.op.name}: indices out of range [0, {n})")
        if kind == "update":
            arr[i] = u
        else:
            _add_at(ctx.xp, arr, i, u if kind == "add" else -u)
        return arr

    return kernel


for _type, _kind in (("ScatterUpdate", "update"), ("ScatterAdd", "add"), ("ScatterSub", "sub")):
    register(
        _type, shape=_scatter_shape, kernel=_scatter_kernel(_kind), not_differentiable=True, stateful=True
    )
