"""``tf.Print`` (an identity that prints when it runs) and ``tf.print`` (an op that prints), both to
standard error by default, as in TF1.

``tf.Print(x, [a, b], "msg: ")`` returns a tensor equal to ``x``; each time it is computed it writes
``msg: `` followed by each tensor's values as ``[1 2 3...]`` (at most ``summarize`` elements, default 3).
``tf.print(*inputs)`` builds an operation (run it, or make it a control dependency) that writes its inputs
separated by ``sep``, each tensor summarized numpy-style with its first and last ``summarize`` (default 3)
elements per axis.

>>> import trainer as tf
>>> import sys
>>> x = tf.constant([1, 2, 3, 4])
>>> y = tf.Print(x, [x], "x: ", summarize=2)
>>> p = tf.print("sum:", tf.reduce_sum(x), output_stream=sys.stdout)
>>> with tf.Session() as sess:
...     _ = sess.run([y, p])
sum: 10
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, apply_op, convert_to_tensor
from trainer.registry import register

_STREAMS = {"stderr": sys.stderr, "stdout": sys.stdout}


def host_copy(v: Any) -> np.ndarray:
    """The value on the host: one device-to-host copy of a GPU array, the sanctioned read of the kernels
    that work on the host (printing, ``tf.py_func``, ``tf.multinomial``, a failing ``tf.Assert``)."""
    return np.asarray(v.get() if hasattr(v, "get") else v)


def _item(v: Any) -> str:
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, (np.float32, np.float16)):  # TF: FLT_DIG digits, or 9 where they do not round-trip
        text = f"{float(v):.6g}"
        return text if np.float32(text) == v else f"{float(v):.9g}"
    if isinstance(v, (float, np.floating)):  # doubles: DBL_DIG digits, or 17
        text = f"{float(v):.15g}"
        return text if float(text) == float(v) else f"{float(v):.17g}"
    return str(v.item() if hasattr(v, "item") else v)


def _tf1_summary(a: np.ndarray, summarize: int) -> str:
    """TF1's format: ``[[1 2][3 4]]``, a scalar as ``[5]``; after ``summarize`` elements (all when < 0)
    the innermost open axis gets ``...``, the other axes stop, and the whole ends with ``...]``."""
    flat = a.reshape(-1)
    limit = flat.size if summarize < 0 else min(summarize, flat.size)
    if a.ndim == 0:
        return "[" + _item(flat[0]) + "]"
    count = 0

    def dim(sub: np.ndarray) -> str:
        nonlocal count
        if sub.ndim == 1:
            parts = []
            for v in sub:
                if count >= limit:
                    return " ".join(parts) + ("..." if a.ndim > 1 else "")
                parts.append(_item(v))
                count += 1
            return " ".join(parts)
        text = ""
        for child in sub:
            if count >= limit:
                break
            text += "[" + dim(child) + "]"
        return text

    return "[" + dim(a) + ("..." if limit < flat.size else "") + "]"


def _v2_summary(a: np.ndarray, summarize: int, indent: int = 0) -> str:
    """``tf.print``'s format: numpy-like rows, the first and last ``summarize`` entries of each axis."""
    if a.ndim == 0:
        return _item(a[()])
    n = a.shape[0]
    idx: list[int | None] = list(range(n))
    if 0 <= summarize and n > 2 * summarize:
        idx = [*range(summarize), None, *range(n - summarize, n)]
    if a.ndim == 1:
        return "[" + " ".join("..." if i is None else _item(a[i]) for i in idx) + "]"
    sep = "\n" + " " * (indent + 1)
    return "[" + sep.join("..." if i is None else _v2_summary(a[i], summarize, indent + 1) for i in idx) + "]"


# ---- Print: tf.Print ----------------------------------------------------------------------------------
def Print(  # noqa: N802 - the TensorFlow name
    input_: Any,
    data: Any,
    message: str | None = None,
    first_n: int | None = None,
    summarize: int | None = None,
    name: str | None = None,
) -> Tensor:
    """``input_`` unchanged; computing it prints ``message`` and the values of ``data`` to stderr."""
    x = convert_to_tensor(input_)
    ds = [convert_to_tensor(d) for d in (data if isinstance(data, (list, tuple)) else [data])]
    attrs = {
        "message": message or "",
        "first_n": -1 if first_n is None else int(first_n),
        "summarize": 3 if summarize is None else int(summarize),
    }
    return apply_op("Print", [x, *ds], attrs, name or "Print")


def _print_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return inputs[0].shape, inputs[0].dtype


def _print_kernel(ctx: Any, x: Any, *data: Any) -> Any:
    a = ctx.attrs
    count = ctx.cache.get("count", 0)
    if a["first_n"] < 0 or count < a["first_n"]:
        ctx.cache["count"] = count + 1
        parts = "".join(_tf1_summary(host_copy(d), a["summarize"]) for d in data)
        sys.stderr.write(a["message"] + parts + "\n")
        sys.stderr.flush()
    return x


def _print_grad(op: Any, g: Tensor) -> list[Any]:
    """d input = g (an identity); the printed tensors get none."""
    return [g] + [None] * (len(op.inputs) - 1)


register("Print", shape=_print_shape, kernel=_print_kernel, grad=_print_grad, stateful=True)


# ---- PrintV2: tf.print ---------------------------------------------------------------------------------
def print(  # noqa: A001 - the TensorFlow name
    *inputs: Any,
    output_stream: Any = sys.stderr,
    summarize: int = 3,
    sep: str = " ",
    end: str = "\n",
    name: str | None = None,
    **kwargs: Any,
) -> Any:
    """An operation that prints ``inputs`` (tensors and Python values) when it runs."""
    if kwargs:
        raise InvalidArgumentError(f"tf.print: unexpected arguments {sorted(kwargs)}")
    tensors: list[Tensor] = []
    template: list[Any] = []
    for v in inputs:
        if isinstance(v, Tensor) or hasattr(v, "_as_tensor"):
            template.append(len(tensors))
            tensors.append(convert_to_tensor(v))
        else:
            template.append(str(v))
    if isinstance(output_stream, str):
        if output_stream not in _STREAMS:
            raise InvalidArgumentError(f"tf.print: output_stream {output_stream!r} is not stderr or stdout")
        output_stream = _STREAMS[output_stream]
    attrs = {
        "template": tuple(template),
        "stream": output_stream,
        "summarize": int(summarize),
        "sep": sep,
        "end": end,
    }
    return apply_op("PrintV2", tensors, attrs, name or "PrintV2")


def _print_v2_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return []


def _print_v2_kernel(ctx: Any, *xs: Any) -> None:
    a = ctx.attrs
    parts = [
        p if isinstance(p, str) else _v2_summary(host_copy(xs[p]), a["summarize"]) for p in a["template"]
    ]
    a["stream"].write(a["sep"].join(parts) + a["end"])
    a["stream"].flush()


register("PrintV2", shape=_print_v2_shape, kernel=_print_v2_kernel, not_differentiable=True, stateful=True)
