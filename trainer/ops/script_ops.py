"""``tf.py_func``: a Python function as an op. Its kernel calls the function with the input arrays (numpy)
and returns its results cast to ``Tout``; it has no gradient (as in TF1) and runs on the host.

>>> import numpy as np
>>> import trainer as tf
>>> y = tf.py_func(lambda a: np.sort(a)[::-1], [tf.constant([3, 1, 2])], tf.int32)
>>> with tf.Session() as sess:
...     print(sess.run(y))
[3 2 1]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.errors import InvalidArgumentError
from trainer.graph import apply_op, convert_to_tensor
from trainer.ops.logging_ops import host_copy
from trainer.registry import register
from trainer.tensor_shape import TensorShape
from trainer.xp_compat import upload


def py_func(
    func: Callable[..., Any], inp: Any, Tout: Any, stateful: bool = True, name: str | None = None
) -> Any:  # noqa: N803
    """``func(*arrays)`` as an op; ``Tout`` is a dtype (one output) or a list of dtypes."""
    if not callable(func):
        raise InvalidArgumentError(f"tf.py_func: func must be callable, got {func!r}")
    single = not isinstance(Tout, (list, tuple))
    touts = tuple(_dt.as_dtype(t) for t in ([Tout] if single else Tout))
    ins = [convert_to_tensor(x) for x in (inp if isinstance(inp, (list, tuple)) else [inp])]
    out = apply_op("PyFunc", ins, {"func": func, "Tout": touts, "single": single}, name or "PyFunc")
    if single:
        return out
    return [] if not touts else list(out) if isinstance(out, (list, tuple)) else [out]


def _py_func_shape(inputs: list[Any], attrs: dict) -> Any:
    return [(TensorShape(None), t) for t in attrs["Tout"]]


def _py_func_kernel(ctx: Any, *xs: Any) -> Any:
    a = ctx.attrs
    res = a["func"](*[host_copy(x) for x in xs])
    vals = [res] if a["single"] else list(res if isinstance(res, (list, tuple)) else [res])
    if len(vals) != len(a["Tout"]):
        raise InvalidArgumentError(
            f"{ctx.op.name}: the function returned {len(vals)} values for Tout {a['Tout']}"
        )
    outs = []
    for v, t in zip(vals, a["Tout"], strict=True):
        outs.append(upload(ctx, np.asarray(v, dtype=t.np)))
    return outs[0] if len(outs) == 1 else tuple(outs)


register("PyFunc", shape=_py_func_shape, kernel=_py_func_kernel, not_differentiable=True, stateful=True)
