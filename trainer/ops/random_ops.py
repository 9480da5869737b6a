"""Random ops with TensorFlow 1 seeding (graph seed + op seed, see ``trainer.random_seed``).

Each op keeps one ``numpy.random.Generator`` per session (``ctx.rng``), seeded from (seed, seed2), so a
seeded op gives the same sequence in every session. On a GPU the sample is still drawn by that host
generator and then copied to the device: the same seed gives the same numbers on the CPU and on the GPU.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, apply_op, constant_value_as_shape, name_scope
from trainer.ops.array_ops import _shape_tensor
from trainer.ops.math_ops import add, multiply, subtract
from trainer.random_seed import get_seed
from trainer.registry import register
from trainer.xp_compat import host_ints, upload


def _random_attrs(dtype: Any, seed: int | None) -> dict[str, Any]:
    s1, s2 = get_seed(seed)
    return {"dtype": _dt.as_dtype(dtype), "seed": s1, "seed2": s2}


def _random_shape(inputs: list[Tensor], attrs: dict) -> Any:
    s = inputs[0]
    if not s.dtype.is_integer:
        raise InvalidArgumentError(f"shape must be an integer tensor, got {s.dtype.name}")
    if not attrs["dtype"].is_floating:
        raise InvalidArgumentError(f"dtype must be floating point, got {attrs['dtype'].name}")
    return constant_value_as_shape(s), attrs["dtype"]


def _scale_shift(x: Tensor, scale: Any, shift: Any) -> Tensor:
    if not (isinstance(scale, (int, float)) and scale == 1):
        x = multiply(x, scale)
    if not (isinstance(shift, (int, float)) and shift == 0):
        x = add(x, shift)
    return x


def _size(shape: Any) -> tuple[int, ...]:
    return host_ints(shape)


# ---- RandomStandardNormal ---------------------------------------------------------------------------
def random_normal(
    shape: Any,
    mean: Any = 0.0,
    stddev: Any = 1.0,
    dtype: Any = _dt.float32,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    with name_scope(name, "random_normal"):
        r = apply_op("RandomStandardNormal", [_shape_tensor(shape)], _random_attrs(dtype, seed))
        return _scale_shift(r, stddev, mean)


def _normal_kernel(ctx: Any, shape: Any) -> Any:
    dt = ctx.attrs["dtype"].np
    gen_dt = dt if dt in (np.float32, np.float64) else np.float32
    return upload(ctx, ctx.rng.standard_normal(_size(shape), dtype=gen_dt).astype(dt, copy=False))


register(
    "RandomStandardNormal", shape=_random_shape, kernel=_normal_kernel, not_differentiable=True, stateful=True
)


# ---- TruncatedNormal --------------------------------------------------------------------------------
def truncated_normal(
    shape: Any,
    mean: Any = 0.0,
    stddev: Any = 1.0,
    dtype: Any = _dt.float32,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """Normal values more than two standard deviations from the mean are redrawn."""
    with name_scope(name, "truncated_normal"):
        r = apply_op("TruncatedNormal", [_shape_tensor(shape)], _random_attrs(dtype, seed))
        return _scale_shift(r, stddev, mean)


def _truncated_kernel(ctx: Any, shape: Any) -> Any:
    dt = ctx.attrs["dtype"].np
    gen_dt = dt if dt in (np.float32, np.float64) else np.float32
    rng = ctx.rng
    r = rng.standard_normal(_size(shape), dtype=gen_dt)
    bad = np.abs(r) > 2
    while bad.any():  # loops over rounds of redraws (about 5% of values each), not over elements
        r[bad] = rng.standard_normal(int(bad.sum()), dtype=gen_dt)
        bad = np.abs(r) > 2
    return upload(ctx, r.astype(dt, copy=False))


register(
    "TruncatedNormal", shape=_random_shape, kernel=_truncated_kernel, not_differentiable=True, stateful=True
)


# ---- RandomUniform ----------------------------------------------------------------------------------
def random_uniform(
    shape: Any,
    minval: Any = 0,
    maxval: Any = None,
    dtype: Any = _dt.float32,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """Uniform in [minval, maxval) (maxval defaults to 1 for floats; integers need maxval)."""
    dt = _dt.as_dtype(dtype)
    with name_scope(name, "random_uniform"):
        if dt.is_integer:
            if maxval is None:
                raise InvalidArgumentError("random_uniform with an integer dtype needs maxval")
            attrs = _random_attrs(dt, seed) | {"minval": int(minval), "maxval": int(maxval)}
            return apply_op("RandomUniformInt", [_shape_tensor(shape)], attrs)
        r = apply_op("RandomUniform", [_shape_tensor(shape)], _random_attrs(dt, seed))
        maxval = 1.0 if maxval is None else maxval
        if isinstance(minval, (int, float)) and isinstance(maxval, (int, float)):
            return _scale_shift(r, float(maxval) - float(minval), float(minval))
        return add(multiply(r, subtract(maxval, minval)), minval)


def _uniform_kernel(ctx: Any, shape: Any) -> Any:
    dt = ctx.attrs["dtype"].np
    gen_dt = dt if dt in (np.float32, np.float64) else np.float32
    return upload(ctx, ctx.rng.random(_size(shape), dtype=gen_dt).astype(dt, copy=False))


register("RandomUniform", shape=_random_shape, kernel=_uniform_kernel, not_differentiable=True, stateful=True)


def _uniform_int_shape(inputs: list[Tensor], attrs: dict) -> Any:
    if attrs["minval"] >= attrs["maxval"]:
        raise InvalidArgumentError(f"minval {attrs['minval']} must be < maxval {attrs['maxval']}")
    return constant_value_as_shape(inputs[0]), attrs["dtype"]


def _uniform_int_kernel(ctx: Any, shape: Any) -> Any:
    a = ctx.attrs
    return upload(ctx, ctx.rng.integers(a["minval"], a["maxval"], _size(shape), dtype=a["dtype"].np))


register(
    "RandomUniformInt",
    shape=_uniform_int_shape,
    kernel=_uniform_int_kernel,
    not_differentiable=True,
    stateful=True,
)
