"""Fused CPU steps for a session's compiled plan: a convolution layer's elementwise ops ride along with the
convolution and pooling kernels of the C runtime instead of each making its own pass over the activations.

:func:`fuse_steps` rewrites the list of plan steps (``trainer/session.py``) before the frees are computed:

* ``Conv2D -> BiasAdd [-> Relu]`` becomes one step: ``relu?(conv2d(x, w) + b)`` in one pass
  (:func:`trainer.ops.conv_runtime.conv2d_bias_relu`: the bias starts the GEMM's sums, ReLU clamps the
  stored tile), when the convolution's and the bias add's outputs have no other reader and are not fetched.
* ``MaxPoolGrad -> ReluGrad [-> Sum]``, the backward pass of ``relu -> max_pool`` (and of the bias add
  before the ReLU), becomes one step: each window's gradient goes to its first maximal element only where
  that element is positive, and the bias gradient is summed from the pooled arrays
  (:func:`trainer.ops.conv_runtime.max_pool_relu_grad`), when ReluGrad's features are MaxPoolGrad's input and
  MaxPoolGrad's output has no other reader.

The graph is untouched (names, exported GraphDefs and the converter see the same ops); only how one
session runs it changes. A fused step runs the original kernels one after the other whenever the runtime
path does not apply (``TENSORLET_TRAINER_KERNELS=numpy``, other dtypes, shapes the C kernels refuse), so the
numpy path stays the reference; the fused results equal it within float32 rounding (the bias is added
inside the GEMM's sums, the bias gradient is summed in another order). Ops between the fused ones that may
write a variable (anything stateful but a variable read) keep the steps apart, as do GPU partitions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trainer.ops import conv_runtime
from trainer.ops.conv_ops import _geometry, pads
from trainer.registry import get_op_def

Steps = list[Any]  # trainer.session.Step records (NamedTuples, rewritten with _replace)


def fuse_steps(steps: Steps, keep: set[tuple[int, int]]) -> Steps:
    """``steps`` with the patterns of the module docstring fused; ``keep`` holds the (partition, slot) pairs
    that are fetched (their values must still be produced)."""
    readers: dict[tuple[int, int], list[int]] = {}
    producer: dict[tuple[int, int], int] = {}
    for k, st in enumerate(steps):
        for i in st.inputs:
            readers.setdefault((st.partition, i), []).append(k)
        if not st.multi and st.op.outputs:
            producer[(st.partition, st.out)] = k
    drop: set[int] = set()
    out = list(steps)

    def sole_reader(k: int) -> int | None:
        """The one step reading step k's single output (None when fetched, unread or read twice)."""
        st = steps[k]
        key = (st.partition, st.out)
        r = readers.get(key, [])
        return r[0] if len(r) == 1 and key not in keep and not st.multi else None

    def producer_of(k: int, i: int) -> int | None:
        src = producer.get((steps[k].partition, steps[k].inputs[i]))
        return None if src is None or src in drop else src

    def fusable(first: int, last: int) -> bool:
        """Steps first..last on one host partition with nothing in between that may write a variable."""
        p = steps[first].partition
        if any(steps[k].partition != p or not steps[k].ctx.backend.is_host for k in (first, last)):
            return False
        return not any(_may_write_state(steps[k].op) for k in range(first + 1, last))

    for k, st in enumerate(steps):
        if st.op.type == "BiasAdd" and st.n_inputs == 2:
            c = producer_of(k, 0)
            if c is None or steps[c].op.type != "Conv2D" or sole_reader(c) != k:
                continue
            r = sole_reader(k)
            last = r if r is not None and steps[r].op.type == "Relu" else k
            if not fusable(c, last):
                continue
            conv, bias = steps[c], st
            x, w = conv.inputs
            kernel = _conv_bias_relu_kernel(conv, bias, steps[last] if last != k else None)
            inputs = (x, w, bias.inputs[1])
            out[last] = steps[last]._replace(kernel=kernel, n_inputs=3, in0=x, in1=w, inputs=inputs)
            drop.update({c, k} - {last})
        elif st.op.type == "ReluGrad" and st.n_inputs == 2:
            m = producer_of(k, 0)
            if m is None or steps[m].op.type != "MaxPoolGrad" or sole_reader(m) != k:
                continue
            if steps[m].inputs[0] != st.inputs[1] or not fusable(m, k):
                continue  # ReluGrad's features must be the pooled tensor (MaxPoolGrad's x)
            s = next((j for j in readers.get((st.partition, st.out), []) if _is_bias_sum(steps[j])), None)
            pool = steps[m]
            kernel = _pool_relu_grad_kernel(pool, st, steps[s] if s is not None else None)
            fused = dict(kernel=kernel, n_inputs=3, in0=pool.in0, in1=pool.in1, inputs=pool.inputs)
            if s is not None:
                fused.update(out=(st.out, steps[s].out), multi=True)
                drop.add(s)
            out[k] = st._replace(**fused)
            drop.add(m)
    return [st for k, st in enumerate(out) if k not in drop]


def _may_write_state(op: Any) -> bool:
    return op.type != "VariableV2" and get_op_def(op.type).stateful


def _is_bias_sum(st: Any) -> bool:
    """A Sum over every axis but the last of a 4-D tensor (BiasAdd's gradient), without keepdims."""
    a = st.op.attrs
    return (
        st.op.type == "Sum"
        and st.n_inputs == 1
        and not a.get("keepdims")
        and a.get("axis") is not None
        and tuple(a["axis"]) == (0, 1, 2)
    )


def _conv_bias_relu_kernel(conv: Any, bias: Any, relu: Any | None) -> Callable[..., Any]:
    """Kernel of a fused Conv2D -> BiasAdd [-> Relu] step: (ctx, x, w, b) -> the last op's output."""
    conv_kernel, conv_ctx = conv.kernel, conv.ctx
    bias_kernel, bias_ctx = bias.kernel, bias.ctx

    def kernel(ctx: Any, x: Any, w: Any, b: Any) -> Any:
        a = conv_ctx.attrs
        ranks = len(getattr(x, "shape", ())), len(getattr(w, "shape", ()))
        if ranks == (4, 4) and x.shape[3] == w.shape[2]:
            kh, kw = w.shape[:2]
            oh, ow, (pt, _), (pl, _) = _geometry(x.shape[1], x.shape[2], kh, kw, a)
            y = conv_runtime.conv2d_bias_relu(
                x, w, b, relu is not None, (oh, ow), a["strides"], a["dilations"], (pt, pl)
            )
            if y is not None:
                return y
        y = bias_kernel(bias_ctx, conv_kernel(conv_ctx, x, w), b)
        return y if relu is None else relu.kernel(relu.ctx, y)

    return kernel


def _pool_relu_grad_kernel(pool: Any, relu_grad: Any, bias_sum: Any | None) -> Callable[..., Any]:
    """Kernel of a fused MaxPoolGrad -> ReluGrad [-> Sum] step: (ctx, x, y, dy) -> dx (or (dx, db))."""
    pool_kernel, pool_ctx = pool.kernel, pool.ctx

    def kernel(ctx: Any, x: Any, y: Any, dy: Any) -> Any:
        a = pool_ctx.attrs
        if len(getattr(x, "shape", ())) == 4:
            (kh, kw), (sh, sw), p = a["ksize"], a["strides"], a["padding"]
            pt, pl = pads(x.shape[1], kh, sh, 1, p)[0], pads(x.shape[2], kw, sw, 1, p)[0]
            r = conv_runtime.max_pool_relu_grad(x, y, dy, (kh, kw), (sh, sw), (pt, pl), bias_sum is not None)
            if r is not None:
                return r if bias_sum is not None else r[0]
        dx = relu_grad.kernel(relu_grad.ctx, pool_kernel(pool_ctx, x, y, dy), x)
        return dx if bias_sum is None else (dx, bias_sum.kernel(bias_sum.ctx, dx))

    return kernel
