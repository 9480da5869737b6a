"""A strict test double of the CuPy module, for checking the GPU backend on machines without a GPU.

THIS IS AN EMULATION. Arrays live in host memory and every operation runs numpy. What it proves is that the
trainer uses the array module correctly: every GPU kernel makes its arrays through ``ctx.xp``, never hands a
device array to a numpy function, never mixes host and device arrays, and moves data between host and device
only where the session means to. It proves nothing about CUDA itself (compilation of the fused kernels, GPU
float results, speed): the ``gpu``-marked tests do that on a real device.

Stricter than CuPy where CuPy would hide a mistake:

* ``np.asarray(dev)``, ``np.<function>(dev)`` and numpy ufuncs on a device array raise ``TypeError`` (CuPy
  raises for the first and dispatches the others through ``__array_function__``/``__array_ufunc__``; here a
  kernel must say ``ctx.xp``).
* A host ``numpy.ndarray`` as an operand, an index or a ``setitem`` value of a device array raises
  ``TypeError`` (CuPy copies some of these to the device silently).
* ``float()``/``int()``/``bool()`` of an array with more than one element raise like CuPy; of a one-element
  array they work and are logged as a device-to-host read.
* Reductions return 0-d arrays (as CuPy does), never numpy scalars; ``flags`` has no ``writeable``.
* Arrays remember the device that was current when they were made; mixing devices raises ``ValueError``.
* ``ElementwiseKernel`` parses its parameter lists like CuPy and runs the numpy twin registered for its name
  (:func:`register_twin`) after checking arity, dtypes and broadcasting of the arguments.

Every host-to-device and device-to-host copy is appended to :data:`LOG` as a :class:`Transfer` with the
names of the Python functions on the stack, so tests can check where transfers happen.
"""

from __future__ import annotations

import re
import sys
import types
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__version__ = "0.0-fake"
EMULATION = True


@dataclass
class Transfer:
    kind: str  # "h2d" or "d2h"
    nbytes: int
    dtype: str
    shape: tuple[int, ...]
    stack: tuple[str, ...]  # function names, innermost first


LOG: list[Transfer] = []
CALLS: Counter = Counter()  # array-module calls by name (operators as "__add__", indexing as "getitem")
_state = {"device": 0, "count": 1}


def _stack() -> tuple[str, ...]:
    names = []
    f = sys._getframe(2)
    while f is not None and len(names) < 40:
        names.append(f.f_code.co_name)
        f = f.f_back
    return tuple(names)


def _log(kind: str, a: np.ndarray) -> None:
    LOG.append(Transfer(kind, int(a.nbytes), a.dtype.name, tuple(a.shape), _stack()))


# ---- arrays -----------------------------------------------------------------------------------------
class _Flags:
    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, a: np.ndarray) -> None:
        self.c_contiguous = a.flags.c_contiguous
        self.f_contiguous = a.flags.f_contiguous
        self.owndata = a.flags.owndata


def _unwrap(x: Any, dev: int | None = None) -> Any:
    """The numpy array behind a device array; host arrays are refused (CuPy would copy or raise)."""
    if isinstance(x, ndarray):
        if dev is not None and x._dev != dev:
            raise ValueError(f"array on device {x._dev} used with arrays on device {dev}")
        return x._a
    if isinstance(x, np.ndarray):
        raise TypeError(f"Unsupported type {type(x)} (a host numpy array where a device array is needed)")
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v, dev) for v in x)
    return x


def _wrap(r: Any) -> Any:
    if isinstance(r, np.ndarray):
        return ndarray(r)
    if isinstance(r, np.generic):
        return ndarray(np.asarray(r))
    if isinstance(r, list):
        return [_wrap(v) for v in r]
    if isinstance(r, tuple):
        return tuple(_wrap(v) for v in r)
    return r


def _first_dev(args: Any) -> int | None:
    for a in args:
        if isinstance(a, ndarray):
            return a._dev
        if isinstance(a, (list, tuple)):
            d = _first_dev(a)
            if d is not None:
                return d
    return None


def _call(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    CALLS[fn.__name__] += 1
    dev = _first_dev(list(args) + list(kwargs.values()))
    a = [_unwrap(v, dev) for v in args]
    k = {n: _unwrap(v, dev) for n, v in kwargs.items()}
    return _wrap(fn(*a, **k))


class ndarray:  # noqa: N801 - CuPy's name
    """A device array (host memory inside; see the module docstring)."""

    __slots__ = ("_a", "_dev")
    __array_ufunc__ = None  # numpy ufuncs and binary ops with numpy on the left defer to us (and fail)
    __array_priority__ = 1000

    def __init__(self, a: np.ndarray) -> None:
        assert isinstance(a, np.ndarray)
        self._a = a
        self._dev = _state["device"]

    # conversions that CuPy refuses or logs
    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a NumPy "
            "array explicitly."
        )

    def __array_function__(self, func: Any, types_: Any, args: Any, kwargs: Any) -> Any:
        raise TypeError(f"numpy.{func.__name__} called on a device array: use the kernel's array module")

    def _scalar(self, conv: Callable[[Any], Any]) -> Any:
        if self._a.size != 1:
            if conv is bool:
                raise ValueError("The truth value of an array with more than one element is ambiguous.")
            raise TypeError("only length-1 arrays can be converted to Python scalars")
        _log("d2h", self._a)
        return conv(self._a.reshape(()).item())

    def __bool__(self) -> bool:
        return self._scalar(bool)

    def __float__(self) -> float:
        return self._scalar(float)

    def __int__(self) -> int:
        return self._scalar(int)

    def __complex__(self) -> complex:
        return self._scalar(complex)

    def get(self, stream: Any = None) -> np.ndarray:
        _log("d2h", self._a)
        return np.array(self._a, copy=True)

    def item(self) -> Any:
        return self._scalar(lambda v: v)

    def tolist(self) -> Any:
        _log("d2h", self._a)
        return self._a.tolist()

    # attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    nbytes = property(lambda self: self._a.nbytes)
    itemsize = property(lambda self: self._a.itemsize)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: _Flags(self._a))
    T = property(lambda self: _wrap(self._a.T))
    device = property(lambda self: cuda.Device(self._dev))

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self) -> Any:
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        for i in range(len(self._a)):
            yield _wrap(self._a[i])

    def __repr__(self) -> str:
        return f"fake_cupy.ndarray(shape={self._a.shape}, dtype={self._a.dtype}, device={self._dev})"

    # indexing
    def __getitem__(self, idx: Any) -> Any:
        CALLS["getitem"] += 1
        return _wrap(self._a[_unwrap(idx, self._dev)])

    def __setitem__(self, idx: Any, value: Any) -> None:
        CALLS["setitem"] += 1
        self._a[_unwrap(idx, self._dev)] = _unwrap(value, self._dev)

    # methods (the ones CuPy has and the trainer may use)
    def _m(name: str) -> Any:  # noqa: N805 - builds methods at class creation
        def method(self: ndarray, *args: Any, **kwargs: Any) -> Any:
            for v in list(args) + list(kwargs.values()):
                if isinstance(v, ndarray) and name in ("reshape", "transpose", "swapaxes", "squeeze"):
                    raise TypeError(f"{name}: a device array as a shape argument (read it with .get())")
            return _call(getattr(np.ndarray, name), (self,) + args, kwargs)

        method.__name__ = name
        return method

    for _n in (
        "reshape astype sum mean max min argmax argmin transpose swapaxes copy fill all any ravel squeeze "
        "var std clip dot prod cumsum repeat take nonzero flatten round view"
    ).split():
        locals()[_n] = _m(_n)
    del _n, _m

    # operators
    def _op(fn: Any, reflected: bool = False, inplace: bool = False) -> Any:  # noqa: N805
        def op(self: ndarray, other: Any) -> Any:
            CALLS[fn.__name__] += 1
            o = _unwrap(other, self._dev)
            if inplace:
                fn(self._a, o, out=self._a)
                return self
            return _wrap(fn(o, self._a) if reflected else fn(self._a, o))

        return op

    __add__, __radd__, __iadd__ = _op(np.add), _op(np.add, True), _op(np.add, inplace=True)
    __sub__, __rsub__, __isub__ = _op(np.subtract), _op(np.subtract, True), _op(np.subtract, inplace=True)
    __mul__, __rmul__, __imul__ = _op(np.multiply), _op(np.multiply, True), _op(np.multiply, inplace=True)
    __truediv__, __rtruediv__ = _op(np.true_divide), _op(np.true_divide, True)
    __itruediv__ = _op(np.true_divide, inplace=True)
    __floordiv__, __rfloordiv__ = _op(np.floor_divide), _op(np.floor_divide, True)
    __mod__, __rmod__ = _op(np.remainder), _op(np.remainder, True)
    __pow__, __rpow__ = _op(np.power), _op(np.power, True)
    __matmul__, __rmatmul__ = _op(np.matmul), _op(np.matmul, True)
    __and__, __rand__, __or__, __ror__ = (
        _op(np.bitwise_and),
        _op(np.bitwise_and, True),
        _op(np.bitwise_or),
        _op(np.bitwise_or, True),
    )
    __xor__, __rxor__ = _op(np.bitwise_xor), _op(np.bitwise_xor, True)
    __eq__, __ne__ = _op(np.equal), _op(np.not_equal)  # type: ignore[assignment]
    __lt__, __le__, __gt__, __ge__ = _op(np.less), _op(np.less_equal), _op(np.greater), _op(np.greater_equal)
    del _op
    __hash__ = None  # type: ignore[assignment]

    def __neg__(self) -> Any:
        return _wrap(-self._a)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return _wrap(np.abs(self._a))

    def __invert__(self) -> Any:
        return _wrap(~self._a)


# ---- module functions -------------------------------------------------------------------------------
def asarray(a: Any, dtype: Any = None, order: Any = None) -> ndarray:
    if isinstance(a, ndarray):
        return a if dtype is None or a.dtype == np.dtype(dtype) else a.astype(dtype)
    host = np.asarray(a, dtype=dtype)
    _log("h2d", host)
    return ndarray(np.array(host, copy=True))


def array(a: Any, dtype: Any = None, copy: bool = True, order: Any = None, ndmin: int = 0) -> ndarray:
    if isinstance(a, ndarray):
        return ndarray(np.array(a._a, dtype=dtype, copy=copy, ndmin=ndmin))
    host = np.array(a, dtype=dtype, ndmin=ndmin)
    _log("h2d", host)
    return ndarray(host)


def asnumpy(a: Any, stream: Any = None) -> np.ndarray:
    if isinstance(a, ndarray):
        return a.get()
    return np.asarray(a)


def _fn(name: str) -> Callable[..., Any]:
    f = getattr(np, name)

    def fn(*args: Any, **kwargs: Any) -> Any:
        return _call(f, args, kwargs)

    fn.__name__ = name
    return fn


class ufunc:  # noqa: N801 - CuPy's name
    def __init__(self, f: np.ufunc) -> None:
        self._f = f
        self.__name__ = f.__name__
        self.nin, self.nout = f.nin, f.nout

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        out = kwargs.get("out")
        if out is not None and not isinstance(out, (ndarray, tuple)):
            raise TypeError(f"{self.__name__}: out must be a device array, got {type(out)}")
        r = _call(self._f, args, kwargs)
        return out if isinstance(out, ndarray) else r

    def at(self, a: ndarray, indices: Any, b: Any = None) -> None:
        if not isinstance(a, ndarray):
            raise TypeError(f"{self.__name__}.at: a must be a device array")
        _call(self._f.at, (a, indices) + (() if b is None else (b,)), {})


_FUNCS = (
    "zeros ones empty full zeros_like ones_like empty_like full_like arange concatenate stack split moveaxis "
    "pad clip where tile take broadcast_to expand_dims argwhere matmul dot transpose reshape swapaxes "
    "squeeze "
    "ravel sum mean amax amin argmax argmin isfinite isnan any all "
    "eye diagonal argsort take_along_axis unique flip cumsum cumprod einsum round isinf"
).split()
_UFUNCS = (
    "add subtract multiply divide true_divide floor_divide remainder mod power maximum minimum sqrt exp log "
    "tanh abs absolute sign floor negative square equal not_equal less less_equal greater greater_equal "
    "logical_and logical_or logical_not logical_xor invert bitwise_and bitwise_or sin cos tan arcsin arccos "
    "arctan sinh cosh log1p expm1 ceil rint arctan2"
).split()
for _n in _FUNCS:
    globals()[_n] = _fn(_n)
for _n in _UFUNCS:
    globals()[_n] = ufunc(getattr(np, _n))
del _n

float16, float32, float64 = np.float16, np.float32, np.float64
int8, int16, int32, int64, uint8 = np.int8, np.int16, np.int32, np.int64, np.uint8
bool_, dtype, newaxis, inf, nan, pi = np.bool_, np.dtype, None, np.inf, np.nan, np.pi

linalg = types.SimpleNamespace(
    det=lambda a: _call(np.linalg.det, (a,), {}),
    inv=lambda a: _call(np.linalg.inv, (a,), {}),
)

lib = types.SimpleNamespace(
    stride_tricks=types.SimpleNamespace(
        sliding_window_view=lambda x, window_shape, axis=None: _call(
            np.lib.stride_tricks.sliding_window_view, (x, window_shape), {"axis": axis}
        )
    )
)


# ---- cuda -------------------------------------------------------------------------------------------
class CUDARuntimeError(RuntimeError):
    pass


class _Device:
    def __init__(self, device: int = 0) -> None:
        if not 0 <= int(device) < _state["count"]:
            raise CUDARuntimeError(f"cudaErrorInvalidDevice: invalid device ordinal {device}")
        self.id = int(device)
        self._prev: list[int] = []

    def __enter__(self) -> _Device:
        self._prev.append(_state["device"])
        _state["device"] = self.id
        return self

    def __exit__(self, *exc: Any) -> None:
        _state["device"] = self._prev.pop()

    def use(self) -> None:
        _state["device"] = self.id

    def synchronize(self) -> None:
        pass


def _get_device_count() -> int:
    if _state["count"] < 0:
        raise CUDARuntimeError("cudaErrorInsufficientDriver: CUDA driver version is insufficient")
    return _state["count"]


class OutOfMemoryError(MemoryError):
    pass


cuda = types.SimpleNamespace(
    Device=_Device,
    memory=types.SimpleNamespace(OutOfMemoryError=OutOfMemoryError),
    runtime=types.SimpleNamespace(getDeviceCount=_get_device_count, CUDARuntimeError=CUDARuntimeError),
    Stream=types.SimpleNamespace(null=types.SimpleNamespace(synchronize=lambda: None)),
)


# ---- ElementwiseKernel ------------------------------------------------------------------------------
_TWINS: dict[str, Callable[..., None]] = {}
_PARAM_RE = re.compile(r"^(raw\s+)?([A-Za-z_][A-Za-z0-9_]*)\s+([A-Za-z_][A-Za-z0-9_]*)$")
_TYPES = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"}


def register_twin(name: str, fn: Callable[..., None]) -> None:
    """The numpy function that stands in for the CUDA kernel ``name`` (outputs are written in place)."""
    _TWINS[name] = fn


def parse_params(spec: str) -> list[tuple[str, str, bool]]:
    """``"T g, raw float32 x"`` -> ``[("T", "g", False), ("float32", "x", True)]`` (CuPy's syntax)."""
    out = []
    for p in spec.split(","):
        m = _PARAM_RE.match(p.strip())
        if m is None:
            raise ValueError(f"Invalid parameter: {p.strip()!r}")
        raw, t, n = bool(m.group(1)), m.group(2), m.group(3)
        if t not in _TYPES and not (len(t) == 1 and t.isupper()):
            raise ValueError(f"Invalid type {t!r} in parameter {p.strip()!r}")
        out.append((t, n, raw))
    names = [n for _, n, _ in out]
    if len(set(names)) != len(names):
        raise ValueError(f"Duplicated parameter names in {spec!r}")
    return out


class ElementwiseKernel:
    def __init__(self, in_params: str, out_params: str, operation: str, name: str = "kernel", **kw: Any):
        self.in_params, self.out_params = parse_params(in_params), parse_params(out_params)
        self.nin, self.nout = len(self.in_params), len(self.out_params)
        self.nargs = self.nin + self.nout
        clash = {n for _, n, _ in self.in_params} & {n for _, n, _ in self.out_params}
        if clash:
            raise ValueError(f"{name}: parameters {sorted(clash)} are both inputs and outputs")
        if not operation.strip():
            raise ValueError(f"{name}: empty operation")
        if name not in _TWINS:
            raise KeyError(f"fake ElementwiseKernel {name!r}: no numpy twin registered (register_twin)")
        self.name, self.operation, self.twin = name, operation, _TWINS[name]

    def __call__(self, *args: Any) -> Any:
        if len(args) != self.nargs:
            raise TypeError(f"{self.name}: wrong number of arguments ({len(args)} for {self.nargs})")
        bound: dict[str, np.dtype] = {}
        arrays = [a for a in args if isinstance(a, ndarray)]
        shape = np.broadcast_shapes(*[a.shape for a in arrays])
        dev = _first_dev(args)
        for (t, n, _), a in zip(self.in_params + self.out_params, args, strict=True):
            if isinstance(a, np.ndarray):
                raise TypeError(f"{self.name}: argument {n} is a host numpy array")
            if isinstance(a, ndarray):
                want = bound.setdefault(t, a.dtype) if t not in _TYPES else np.dtype(t)
                if a.dtype != want:
                    raise TypeError(f"{self.name}: argument {n} has dtype {a.dtype}, expected {want} ({t})")
            elif not isinstance(a, (int, float, bool, np.generic)):
                raise TypeError(f"{self.name}: argument {n} of unsupported type {type(a)}")
        for (_, n, _), a in zip(self.out_params, args[self.nin :], strict=True):
            if not isinstance(a, ndarray) or a.shape != shape:
                raise ValueError(f"{self.name}: output {n} must be a device array of shape {shape}")
        CALLS[self.name] += 1
        self.twin(*[_unwrap(a, dev) for a in args])
        outs = args[self.nin :]
        return outs[0] if self.nout == 1 else tuple(outs)


# ---- installation -----------------------------------------------------------------------------------
def reset(device_count: int = 1) -> None:
    """Clear the transfer log; ``device_count`` devices (-1: a CUDA runtime that fails like a bad driver)."""
    LOG.clear()
    CALLS.clear()
    _state["device"] = 0
    _state["count"] = device_count


def scatter_add(a: ndarray, slices: Any, value: Any) -> None:
    """``cupyx.scatter_add``."""
    add.at(a, slices, value)  # type: ignore[name-defined]  # noqa: F821


cupyx = types.ModuleType("cupyx")
cupyx.scatter_add = scatter_add  # type: ignore[attr-defined]
