"""Conv2D, its two gradients, MaxPool2D and MaxPoolGrad on the C runtime's GEMM and thread pool (pyruntime).

The numpy kernels of :mod:`trainer.ops.conv_ops` are the specification; for float32 arrays on the CPU they
hand the work to ``tl_conv2d_f32_nhwc`` / ``tl_conv2d_f32_filter_grad`` (``runtime_c/src/conv_train.h``):
blocks of im2col patches that stay in cache, multiplied by the runtime's AVX2/AVX-512/NEON micro-kernels,
split over the runtime's thread pool, instead of one im2col matrix of the whole batch (29 MB for the
benchmark CNN's second layer) through numpy's BLAS. Results equal the numpy path's within float32 rounding
(the additions run in another order).

* Conv2D: the forward convolution (any strides, dilations, padding).
* Conv2DBackpropInput with unit strides: the forward convolution of dy with the filter flipped in both
  spatial axes and its channel axes swapped, padded by ``(k - 1) * dilation - pad`` on the top and left.
  Strided ones keep the numpy kernel.
* Conv2DBackpropFilter: ``im2col(x)^T dy`` summed block by block into the filter gradient.
* MaxPool2D: the runtime's MaxPool2D kernel (one pass, vectorized over channels), threads by image.
* MaxPoolGrad: one pass over the windows in C (each window's dy to its first maximal element), threads
  taking whole images, instead of numpy's compare, first-claim and multiply passes.
* ApplyAdam: the update in one pass over the four arrays (:func:`adam`), the same bits as numpy's passes.
* Fused steps (:mod:`trainer.ops.fusion`): Conv2D + BiasAdd [+ Relu] in the convolution's GEMM
  (:func:`conv2d_bias_relu`), MaxPoolGrad + ReluGrad [+ the bias gradient's Sum] in the pooling gradient's
  pass (:func:`max_pool_relu_grad`).

``TENSORLET_TRAINER_KERNELS`` picks the path, read at every call: ``auto`` (the default: the runtime when
pyruntime's extension imports, numpy otherwise), ``numpy`` (always the numpy kernels) or ``runtime`` (the
runtime, an error when the extension is missing). Threads: ``OMP_NUM_THREADS``, else
``OPENBLAS_NUM_THREADS`` (the variables that also size numpy's BLAS), else every CPU this process may use.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import Any

import numpy as np

from trainer.errors import FailedPreconditionError, InternalError, InvalidArgumentError

ENV_VAR = "TENSORLET_TRAINER_KERNELS"
MODES = ("auto", "numpy", "runtime")

_lock = threading.Lock()  # one call at a time: a pool runs one job at a time, the scratch is shared
_ext: list[Any] = []  # [(ffi, lib)] once imported, [None] when the import failed
_pools: dict[int, Any] = {}  # threads -> (tl_threadpool *, its memory)
_scratch: dict[str, np.ndarray] = {}


def _extension() -> Any:
    """(ffi, lib) of pyruntime's extension, or None when it is not built."""
    if not _ext:
        try:
            from pyruntime._tensorlet import ffi, lib

            _ext.append((ffi, lib) if hasattr(lib, "tl_conv2d_f32_nhwc") else None)
        except ImportError:
            _ext.append(None)
    return _ext[0]


def mode() -> str:
    """The path ``TENSORLET_TRAINER_KERNELS`` asks for (``auto`` when unset)."""
    value = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"
    if value not in MODES:
        raise InvalidArgumentError(f"{ENV_VAR}={value!r}: expected one of {', '.join(MODES)}")
    return value


def available() -> bool:
    """True when the convolutions run on the runtime (the switch allows it and the extension imports)."""
    m = mode()
    if m == "numpy":
        return False
    if _extension() is None:
        if m == "runtime":
            raise FailedPreconditionError(
                f"{ENV_VAR}=runtime but pyruntime's C extension is not built (pip install -e . compiles it)"
            )
        return False
    return True


def threads() -> int:
    """Threads of the runtime's pool: OMP_NUM_THREADS, else OPENBLAS_NUM_THREADS, else the usable CPUs."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        value = os.environ.get(var, "").strip()
        if value.isdigit() and int(value) >= 1:
            return min(int(value), 64)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cpus, 64))


def _pool(ffi: Any, lib: Any, n: int) -> Any:
    """The runtime's thread pool of n threads (created once per count; NULL for one thread)."""
    n = min(n, int(lib.TL_MAX_THREADS))
    if n not in _pools:
        size = int(lib.tl_threadpool_bytes(n))
        memory = ffi.new("char[]", size + 64) if size else ffi.NULL
        aligned = ffi.cast("void *", (int(ffi.cast("uintptr_t", memory)) + 63) & ~63) if size else ffi.NULL
        out = ffi.new("tl_threadpool **")
        _check(lib, lib.tl_threadpool_create(aligned, n, out), "tl_threadpool_create")
        _pools[n] = (out[0], memory)
    return _pools[n][0]


@atexit.register
def _destroy_pools() -> None:
    ext = _ext[0] if _ext else None
    for pool, _memory in _pools.values():
        if ext is not None and pool:
            ext[1].tl_threadpool_destroy(pool)
    _pools.clear()


def _check(lib: Any, status: int, what: str) -> None:
    if status != lib.TL_OK:
        raise InternalError(f"{what} failed: status {status}")


def _buffer(name: str, floats: int) -> np.ndarray:
    buf = _scratch.get(name)
    if buf is None or buf.size < floats:
        buf = _scratch[name] = np.empty(max(floats, 1), np.float32)
    return buf


def _ptr(ffi: Any, a: np.ndarray) -> Any:
    return ffi.cast("float *", a.ctypes.data)


def _geometry(
    ffi: Any, x_shape: tuple, y_shape: tuple, k: tuple, strides: tuple, dilations: tuple, pads: tuple
):
    g = ffi.new("tl_conv2d_geometry *")
    g.batch, g.in_h, g.in_w, g.in_c = x_shape
    _, g.out_h, g.out_w, g.out_c = y_shape
    g.k_h, g.k_w = k
    g.stride_h, g.stride_w = strides
    g.dilation_h, g.dilation_w = dilations
    g.pad_top, g.pad_left = pads
    return g


# Inputs with at most this many channels are zero-padded before a padded convolution (see _pad_thin).
THIN_CHANNELS = 4


def _pad_thin(x: np.ndarray, out_hw: tuple, k: tuple, strides: tuple, dilations: tuple, pads: tuple):
    """``(x, pads)`` ready for the C kernels: contiguous, and for a padded convolution of an input of at most
    THIN_CHANNELS channels, x zero-padded with pads ``(0, 0)``. Such an input's patches are a few floats
    per kernel row, and the windows that touch the padding (every output row's ends) are copied position by
    position; padded, every window lies inside the input: runs of positions are copied at once (filter
    gradient) or read in place (the forward convolution's direct path). The first layer of the benchmark
    CNN (28x28x1): forward 3.3 -> 1.6 ms, filter gradient 3.2 -> 2.3 ms, the copy included."""
    if x.shape[3] > THIN_CHANNELS or tuple(pads) == (0, 0):
        return np.ascontiguousarray(x), pads
    extra = []
    for axis in (0, 1):
        span = (out_hw[axis] - 1) * strides[axis] + (k[axis] - 1) * dilations[axis] + 1
        extra.append((pads[axis], max(0, span - pads[axis] - x.shape[1 + axis])))
    return np.pad(x, ((0, 0), extra[0], extra[1], (0, 0))), (0, 0)


def _usable(*arrays: np.ndarray) -> bool:
    return (
        all(isinstance(a, np.ndarray) and a.dtype == np.float32 and a.size > 0 for a in arrays)
        and available()
    )


def conv2d(x: np.ndarray, w: np.ndarray, out_hw: tuple, strides: tuple, dilations: tuple, pads: tuple):
    """The convolution of x ``[N, H, W, C]`` with w ``[KH, KW, C, O]`` as ``[N, OH, OW, O]``, ``pads`` the
    (top, left) padding; None when the runtime path does not apply (then the caller runs numpy)."""
    return _conv_forward(x, w, None, False, out_hw, strides, dilations, pads)


def conv2d_bias_relu(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, relu: bool, out_hw: tuple, strides: tuple, dilations: tuple,
    pads: tuple,
):  # fmt: skip
    """``relu?(conv2d(x, w) + b)`` in one pass (``tl_conv2d_f32_nhwc_fused``: the bias starts the GEMM's sums,
    ReLU clamps the stored tile), b ``[O]``; None when the runtime path does not apply."""
    if not _usable(x, w, b) or b.shape != (w.shape[3],):
        return None
    return _conv_forward(x, w, np.ascontiguousarray(b), relu, out_hw, strides, dilations, pads)


def _conv_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray | None, relu: bool, out_hw: tuple, strides: tuple,
    dilations: tuple, pads: tuple,
):  # fmt: skip
    """conv2d (b None) or conv2d_bias_relu on the runtime; None when its path does not apply."""
    if not _usable(x, w):
        return None
    ffi, lib = _extension()
    name = "tl_conv2d_f32_nhwc" if b is None else "tl_conv2d_f32_nhwc_fused"
    if not hasattr(lib, name):  # an extension built before the fused entry point
        return None
    x, pads = _pad_thin(x, out_hw, w.shape[:2], strides, dilations, pads)
    w_ohwi = np.ascontiguousarray(w.transpose(3, 0, 1, 2))
    y = np.empty((x.shape[0], *out_hw, w.shape[3]), np.float32)
    g = _geometry(ffi, x.shape, y.shape, w.shape[:2], strides, dilations, pads)
    with _lock:
        pool = _pool(ffi, lib, threads())
        floats = int(lib.tl_conv2d_f32_nhwc_scratch_floats(g, lib.tl_threadpool_threads(pool)))
        if floats == 0:
            return None
        scratch = _buffer("conv", floats)
        ptrs = [_ptr(ffi, a) for a in (y, x, w_ohwi)]
        if b is None:
            status = lib.tl_conv2d_f32_nhwc(*ptrs, _ptr(ffi, scratch), scratch.size, g, pool)
        else:
            status = lib.tl_conv2d_f32_nhwc_fused(*ptrs, _ptr(ffi, b), int(relu), _ptr(ffi, scratch),
                                                  scratch.size, g, pool)  # fmt: skip
    _check(lib, status, name)
    return y


def conv2d_input_grad(dy: np.ndarray, w: np.ndarray, in_shape: tuple, strides: tuple, dilations: tuple,
                      pads: tuple):  # fmt: skip
    """dx ``in_shape`` of a convolution with filter w ``[KH, KW, C, O]`` and output gradient dy, for unit
    strides: conv(dy, w flipped, channels swapped) with (top, left) padding ``(k - 1) * dilation - pads``;
    None for strided convolutions or when the runtime path does not apply."""
    if tuple(strides) != (1, 1):
        return None
    kh, kw = w.shape[:2]
    (dh, dw), (pt, pl) = dilations, pads
    flipped = w[::-1, ::-1].transpose(0, 1, 3, 2)  # [KH, KW, O, C]: the transposed convolution's filter
    return conv2d(
        dy, flipped, tuple(in_shape[1:3]), (1, 1), dilations, ((kh - 1) * dh - pt, (kw - 1) * dw - pl)
    )


def conv2d_filter_grad(
    x: np.ndarray, dy: np.ndarray, k: tuple, strides: tuple, dilations: tuple, pads: tuple
):
    """dw ``[KH, KW, C, O]`` of a convolution of x with output gradient dy ``[N, OH, OW, O]``; None when the
    runtime path does not apply."""
    if not _usable(x, dy):
        return None
    ffi, lib = _extension()
    x, pads = _pad_thin(x, dy.shape[1:3], k, strides, dilations, pads)
    dy = np.ascontiguousarray(dy)
    dw = np.empty((*k, x.shape[3], dy.shape[3]), np.float32)
    g = _geometry(ffi, x.shape, dy.shape, k, strides, dilations, pads)
    with _lock:
        pool = _pool(ffi, lib, threads())
        floats = int(lib.tl_conv2d_f32_filter_grad_scratch_floats(g, lib.tl_threadpool_threads(pool)))
        if floats == 0:
            return None
        scratch = _buffer("filter_grad", floats)
        status = lib.tl_conv2d_f32_filter_grad(_ptr(ffi, dw), _ptr(ffi, x), _ptr(ffi, dy), _ptr(ffi, scratch),
                                               scratch.size, g, pool)  # fmt: skip
    _check(lib, status, "tl_conv2d_f32_filter_grad")
    return dw


def max_pool(x: np.ndarray, out_hw: tuple, k: tuple, strides: tuple, pads: tuple):
    """MaxPool2D of x ``[N, H, W, C]`` as ``[N, OH, OW, C]`` (windows clipped to the input: the padding never
    wins, as the numpy kernel's -inf fill); None when the runtime path does not apply."""
    if not _usable(x):
        return None
    ffi, lib = _extension()
    x = np.ascontiguousarray(x)
    y = np.empty((x.shape[0], *out_hw, x.shape[3]), np.float32)
    g = _geometry(ffi, x.shape, y.shape, k, strides, (1, 1), pads)
    with _lock:
        status = lib.tl_max_pool2d_f32_nhwc(_ptr(ffi, y), _ptr(ffi, x), g, _pool(ffi, lib, threads()))
    if status == lib.TL_ERROR_INVALID_ARGUMENT:
        return None
    _check(lib, status, "tl_max_pool2d_f32_nhwc")
    return y


def max_pool_grad(x: np.ndarray, y: np.ndarray, dy: np.ndarray, k: tuple, strides: tuple, pads: tuple):
    """MaxPoolGrad: dx ``x.shape``, each window's dy on its first maximal element (as conv_ops's numpy
    kernel); ``pads`` the (top, left) padding. None when the runtime path does not apply."""
    if not _usable(x, y, dy):
        return None
    ffi, lib = _extension()
    x, y, dy = np.ascontiguousarray(x), np.ascontiguousarray(y), np.ascontiguousarray(dy)
    dx = np.empty(x.shape, np.float32)
    g = _geometry(ffi, x.shape, y.shape, k, strides, (1, 1), pads)
    with _lock:
        pool = _pool(ffi, lib, threads())
        status = lib.tl_max_pool2d_f32_grad(_ptr(ffi, dx), _ptr(ffi, x), _ptr(ffi, y), _ptr(ffi, dy), g, pool)
    if status == lib.TL_ERROR_INVALID_ARGUMENT:
        return None  # a geometry the C kernel does not take (a window wholly in the padding)
    _check(lib, status, "tl_max_pool2d_f32_grad")
    return dx


def max_pool_relu_grad(
    x: np.ndarray, y: np.ndarray, dy: np.ndarray, k: tuple, strides: tuple, pads: tuple, bias: bool
):
    """MaxPoolGrad, then ReluGrad by x (x the pooled ReLU's output): ``(dx, db)`` with dx
    ``max_pool_grad(x, y, dy) * (x > 0)`` and db its sum over all but the channel axis (None unless
    ``bias``), from ``tl_max_pool2d_f32_grad_relu`` in one pass; None when the runtime path does not apply."""
    if not _usable(x, y, dy):
        return None
    ffi, lib = _extension()
    if not hasattr(lib, "tl_max_pool2d_f32_grad_relu"):
        return None
    x, y, dy = np.ascontiguousarray(x), np.ascontiguousarray(y), np.ascontiguousarray(dy)
    dx = np.empty(x.shape, np.float32)
    db = np.empty(x.shape[3], np.float32) if bias else None
    g = _geometry(ffi, x.shape, y.shape, k, strides, (1, 1), pads)
    with _lock:
        pool = _pool(ffi, lib, threads())
        db_ptr = _ptr(ffi, db) if db is not None else ffi.NULL
        ptrs = [_ptr(ffi, a) for a in (x, y, dy)]
        status = lib.tl_max_pool2d_f32_grad_relu(_ptr(ffi, dx), db_ptr, *ptrs, 1, g, pool)
    if status == lib.TL_ERROR_INVALID_ARGUMENT:
        return None
    _check(lib, status, "tl_max_pool2d_f32_grad_relu")
    return dx, db


# Smaller updates stay on numpy's passes (the same bits): the call's Python overhead would exceed them.
ADAM_MIN_FLOATS = 4096


def adam(var: np.ndarray, m: np.ndarray, v: np.ndarray, g: np.ndarray, c1: float, c2: float, eps: float,
         lr_t: float) -> bool:  # fmt: skip
    """ApplyAdam's update in place in one pass (``tl_train_adam_f32``: the numpy kernel's operations and
    float32 roundings, so the same bits): ``m += (g - m) * c1; v += (g * g - v) * c2; var -= m / (sqrt(v) +
    eps) * lr_t``. False (nothing done) when the runtime path does not apply."""
    arrays = (var, m, v)
    if getattr(g, "size", 0) < ADAM_MIN_FLOATS or not _usable(*arrays, g):
        return False
    if any(a.shape != g.shape or not a.flags.c_contiguous for a in arrays):
        return False
    ffi, lib = _extension()
    if not hasattr(lib, "tl_train_adam_f32"):
        return False
    g = np.ascontiguousarray(g)
    with _lock:
        pool = _pool(ffi, lib, threads())
        ptrs = [_ptr(ffi, a) for a in (var, m, v, g)]
        status = lib.tl_train_adam_f32(*ptrs, g.size, c1, c2, eps, lr_t, pool)
    _check(lib, status, "tl_train_adam_f32")
    return True
