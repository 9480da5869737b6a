"""Run-time assertions: ``tf.Assert`` and the ``tf.assert_*`` family (also under ``tf.debugging``). Each
builds an ``Assert`` op that raises ``InvalidArgumentError`` with its message and data when the condition is
false; run it, or make it a control dependency (``with tf.control_dependencies([tf.assert_positive(x)])``).

>>> import trainer as tf
>>> x = tf.placeholder(tf.float32, [None])
>>> with tf.control_dependencies([tf.assert_positive(x, message="x must be > 0")]):
...     y = tf.log(x)
>>> with tf.Session() as sess:
...     print(sess.run(y, {x: [1.0]}))
[0.]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.errors import InvalidArgumentError
from trainer.graph import Operation, apply_op, convert_to_tensor, name_scope
from trainer.ops._common import to_tensors
from trainer.ops.logging_ops import host_copy
from trainer.ops.math_ops import equal, greater, greater_equal, less, less_equal, reduce_all
from trainer.registry import register
from trainer.xp_compat import any_true


def Assert(condition: Any, data: Any, summarize: int | None = None, name: str | None = None) -> Operation:  # noqa: N802
    """An op that raises InvalidArgumentError listing ``data`` when the bool scalar ``condition`` is false."""
    c = convert_to_tensor(condition)
    if c.dtype is not _dt.bool:
        raise InvalidArgumentError(f"tf.Assert: condition must be bool, got {c.dtype.name}")
    parts, tensors = [], []
    for d in data if isinstance(data, (list, tuple)) else [data]:
        if isinstance(d, str):
            parts.append(d)
        else:
            parts.append(len(tensors))
            tensors.append(convert_to_tensor(d))
    attrs = {"parts": tuple(parts), "summarize": 3 if summarize is None else int(summarize)}
    return apply_op("Assert", [c, *tensors], attrs, name or "Assert")


def _assert_shape(inputs: list[Any], attrs: dict) -> Any:
    return []


def _assert_kernel(ctx: Any, cond: Any, *data: Any) -> None:
    if not any_true(ctx.xp.logical_not(cond)):
        return
    a = ctx.attrs
    n = a["summarize"]
    texts = []
    for p in a["parts"]:
        if isinstance(p, str):
            texts.append(p)
        else:
            v = host_copy(data[p]).reshape(-1)
            texts.append(
                np.array2string(v[:n] if n >= 0 else v, separator=" ") + ("..." if 0 <= n < v.size else "")
            )
    raise InvalidArgumentError(f"assertion failed: [{'] ['.join(texts)}] ({ctx.op.name})")


register("Assert", shape=_assert_shape, kernel=_assert_kernel, not_differentiable=True, stateful=True)


def _compare(
    what: str, test: Any, x: Any, y: Any, data: Any, summarize: Any, message: Any, name: Any
) -> Operation:
    with name_scope(name or what):
        if y is None:
            xt = convert_to_tensor(x)
            cond = reduce_all(test(xt))
            shown = [xt]
        else:
            xt, yt = to_tensors(x, y)
            cond = reduce_all(test(xt, yt))
            shown = [xt, yt]
        head = [message] if message else []
        return Assert(cond, head + [f"{what} failed"] + (data if data is not None else shown), summarize)


def assert_equal(
    x: Any, y: Any, data: Any = None, summarize: Any = None, message: Any = None, name: Any = None
):
    """Assert ``x == y`` elementwise."""
    return _compare("assert_equal", equal, x, y, data, summarize, message, name)


def assert_less(
    x: Any, y: Any, data: Any = None, summarize: Any = None, message: Any = None, name: Any = None
):
    return _compare("assert_less", less, x, y, data, summarize, message, name)


def assert_less_equal(
    x: Any, y: Any, data: Any = None, summarize: Any = None, message: Any = None, name: Any = None
):
    return _compare("assert_less_equal", less_equal, x, y, data, summarize, message, name)


def assert_greater(
    x: Any, y: Any, data: Any = None, summarize: Any = None, message: Any = None, name: Any = None
):
    return _compare("assert_greater", greater, x, y, data, summarize, message, name)


def assert_greater_equal(
    x: Any, y: Any, data: Any = None, summarize: Any = None, message: Any = None, name: Any = None
):
    return _compare("assert_greater_equal", greater_equal, x, y, data, summarize, message, name)


def assert_positive(x: Any, data: Any = None, summarize: Any = None, message: Any = None, name: Any = None):
    return _compare("assert_positive", lambda t: greater(t, 0), x, None, data, summarize, message, name)


def assert_non_negative(
    x: Any, data: Any = None, summarize: Any = None, message: Any = None, name: Any = None
):
    return _compare(
        "assert_non_negative", lambda t: greater_equal(t, 0), x, None, data, summarize, message, name
    )


def assert_negative(x: Any, data: Any = None, summarize: Any = None, message: Any = None, name: Any = None):
    return _compare("assert_negative", lambda t: less(t, 0), x, None, data, summarize, message, name)
