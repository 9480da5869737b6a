"""Python inference on the tensorlet C runtime, with the ``tflite_runtime`` Interpreter API.

    from pyruntime import Interpreter
    interp = Interpreter(model_path="mnist.tlm")
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    interp.set_tensor(inp["index"], image)          # exact dtype and shape; never cast
    interp.invoke()
    scores = interp.get_tensor(interp.get_output_details()[0]["index"])
    # or simply: scores, = interp.run(image)

Tensor indices are the model's, as in TFLite: ``get_tensor_details()`` lists every tensor, and
``get_input_details()[k]["index"]`` is the model's index of input k. The C extension ``pyruntime._tensorlet``
is compiled from ``runtime_c/`` by cffi at install time (``pip install -e . --no-build-isolation``; re-run
after changing the C sources). This package depends on numpy and cffi only.
"""

from __future__ import annotations

import os
import re
import threading
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from pyruntime._tensorlet import ffi, lib

_invoke = lib.tl_interpreter_invoke

__all__ = ["Interpreter", "SignatureRunner", "TensorletRuntimeError", "version"]

# the one signature of a tensorlet model (TFLite's key for a single-signature model)
SIGNATURE_KEY = "serving_default"


_ERR_SIZE = 512

# tl_dtype -> numpy type (the schema's DType enum has the same values).
_NUMPY_TYPES: dict[int, type] = {
    lib.TL_FLOAT32: np.float32,
    lib.TL_FLOAT16: np.float16,
    lib.TL_INT8: np.int8,
    lib.TL_UINT8: np.uint8,
    lib.TL_INT16: np.int16,
    lib.TL_INT32: np.int32,
    lib.TL_INT64: np.int64,
    lib.TL_BOOL: np.bool_,
}


class TensorletRuntimeError(RuntimeError):
    """An error status from the C runtime, with its name ("TL_ERROR_BAD_GRAPH") and the C message."""

    def __init__(self, status: int, message: str) -> None:
        self.status = int(status)
        self.status_name = ffi.string(lib.tl_status_name(status)).decode()
        self.message = message
        super().__init__(f"{self.status_name}: {message}" if message else self.status_name)


def version() -> str:
    """Version string of the compiled C runtime."""
    return ffi.string(lib.tl_version_string()).decode()


def _decode(ptr: Any) -> str:
    return ffi.string(ptr).decode("utf-8", "replace") if ptr != ffi.NULL else ""


def _import_tflite(data: bytes) -> bytes:
    """``.tflite`` bytes -> ``.tlm`` bytes through tensorlet's importer (pure Python, imported only here)."""
    try:
        from trainer.lite.tflite import from_tflite
    except ImportError as e:
        raise ImportError(
            "loading a .tflite model needs the full tensorlet package (its importer, trainer.lite.tflite, is "
            "not part of tensorlet-runtime): pip install tensorlet, or convert once elsewhere with "
            f"`tensorlet import-tflite model.tflite model.tlm` ({e})"
        ) from e
    return from_tflite(data)  # a model it cannot represent raises TFLiteImportError (a ValueError), one line


class Interpreter:
    """Runs a ``.tlm`` model on the C runtime (a ``.tflite`` one is imported first: docs/tflite.md).

    Exactly one of ``model_path`` and ``model_content`` (bytes) must be given. The model is copied by the C
    runtime and verified completely at construction; an invalid model raises :class:`TensorletRuntimeError`.

    ``num_threads`` (as in ``tflite_runtime``; ``None``: 1; -1: "auto", the number of CPUs, at most 64) is the
    number of threads an invoke uses, the calling one included, from 1 to 64: the C runtime starts
    ``num_threads - 1`` worker threads with the interpreter (stopped by :meth:`close`) that split the
    FullyConnected, Conv2D and DepthwiseConv2D work (float32 and int8). The results are bit-identical for
    every thread count. Builds of the runtime without threads run on one thread.

    ``max_work`` (``None`` or 0: the runtime's default, ``TL_DEFAULT_MAX_WORK``) is the work budget of
    :meth:`allocate_tensors`, in units of about a nanosecond (``tl_options.max_work``, docs/runtime.md): a
    model whose operators and arena plan would cost more is refused with ``TL_ERROR_LIMIT_EXCEEDED``, so no
    file can make an invoke run for hours. :attr:`work` is the prepared model's cost.

    ``experimental_preserve_all_tensors`` (as in ``tflite_runtime``): every tensor keeps its value in the
    arena, so :meth:`get_tensor` and :meth:`tensor` can read intermediate values after :meth:`invoke`; the
    arena grows to the sum of all activations (a Reshape's output shares its input's bytes, which hold the
    same value). Without it, reading an intermediate tensor raises ``ValueError``.

    ``release_inputs`` (``tl_options.release_inputs``): an input's arena bytes are reused once the last
    operator reading it has run, as TFLite Micro plans them: a smaller arena, but the input's value is not
    kept through :meth:`invoke`, so set every input before each invoke (:meth:`run` does).

    Python threads: one object may be shared by several threads. Every method that touches the C interpreter
    holds the object's lock for the length of its C call, and the C call of :meth:`invoke` runs with the GIL
    released. So calls on one interpreter run one at a time: a second :meth:`invoke`, :meth:`set_tensor`,
    :meth:`get_tensor` or :meth:`allocate_tensors` waits for a running invoke to end, and :meth:`close` (or
    collection) waits for it too and only then frees the interpreter, arena and model; a call after ``close``
    raises ``ValueError("interpreter is closed")``. Never call ``close`` from inside a method of the same
    object (there is none that could). For parallel inference use one interpreter per thread.
    """

    def __init__(
        self,
        model_path: str | os.PathLike | None = None,
        model_content: bytes | None = None,
        num_threads: int | None = None,
        kernels: str | None = None,
        max_work: int | None = None,
        experimental_preserve_all_tensors: bool = False,
        release_inputs: bool = False,
    ) -> None:
        self._model = ffi.NULL
        self._interp = ffi.NULL
        # Held around every C call that uses _interp/_model (invoke's included, which releases the GIL), so
        # close() can never free what a running call uses. Not reentrant: no method calls another under it.
        self._lock = threading.Lock()
        if (model_path is None) == (model_content is None):
            raise ValueError("pass exactly one of model_path and model_content")
        if num_threads is None:
            num_threads = 1
        elif num_threads == -1 and not isinstance(num_threads, bool):  # tflite's "auto": one per CPU
            num_threads = max(1, min(os.cpu_count() or 1, lib.TL_MAX_THREADS))
        if (
            isinstance(num_threads, bool)
            or not isinstance(num_threads, int)
            or not 1 <= num_threads <= lib.TL_MAX_THREADS
        ):
            raise ValueError(
                f"num_threads must be -1 (auto) or an int in [1, {lib.TL_MAX_THREADS}], got {num_threads!r}"
            )
        self._num_threads = num_threads
        # max_work: allocate_tensors' work budget (tl_options.max_work; None or 0: TL_DEFAULT_MAX_WORK units
        # of about a nanosecond each); a model above it is refused at prepare
        if max_work is None:
            max_work = 0
        if isinstance(max_work, bool) or not isinstance(max_work, int) or not 0 <= max_work < 2**64:
            raise ValueError(f"max_work must be an int in [0, 2**64), got {max_work!r}")
        if model_path is not None:
            with open(model_path, "rb") as f:
                data = f.read()
        else:
            try:
                data = bytes(memoryview(model_content))  # type: ignore[arg-type]
            except TypeError as e:
                raise TypeError(
                    f"model_content must be bytes-like, got {type(model_content).__name__}"
                ) from e

        if len(data) >= 8 and data[4:8] == b"TFL3":  # a TFLite FlatBuffer: import it on load (docs/tflite.md)
            data = _import_tflite(data)

        err = ffi.new("char[]", _ERR_SIZE)
        model_out = ffi.new("tl_model **")
        status = lib.tl_model_load(data, len(data), model_out, err, _ERR_SIZE)
        if status != lib.TL_OK:
            raise TensorletRuntimeError(status, _decode(err))
        self._model = model_out[0]

        options = ffi.new("tl_options *")
        options.max_arena_bytes = 0
        options.num_threads = num_threads
        options.max_work = max_work
        options.preserve_all_tensors = 1 if experimental_preserve_all_tensors else 0
        options.release_inputs = 1 if release_inputs else 0
        # kernels: "auto" (fastest for this CPU), "reference", or one level ("portable", "neon", "avx2",
        # "avx512"); default: the environment variable TENSORLET_KERNELS, else "auto"
        name = os.environ.get("TENSORLET_KERNELS", "") if kernels is None else kernels
        options.kernels = lib.tl_kernels_from_name(name.encode())
        if options.kernels < 0:
            raise ValueError(f"kernels must be auto, reference, portable, neon, avx2 or avx512, got {name!r}")
        interp_out = ffi.new("tl_interpreter **")
        status = lib.tl_interpreter_create(self._model, options, interp_out)
        if status != lib.TL_OK:
            raise TensorletRuntimeError(status, f"tl_interpreter_create failed (num_threads={num_threads})")
        self._interp = interp_out[0]
        self._init_tensors()

    @property
    def num_threads(self) -> int:
        """Threads per invoke, the caller's included (the constructor's ``num_threads``)."""
        return self._num_threads

    # ---- lifetime ----

    def close(self) -> None:
        """Free the C interpreter and model (also done when the object is collected). Idempotent.

        Waits for a call running in another thread (an :meth:`invoke`) to end first; later calls raise
        ``ValueError``."""
        lock = getattr(self, "_lock", None)
        if lock is None:  # __init__ failed before the lock existed: nothing was allocated
            return
        with lock:
            if len(getattr(self, "_views", ())) > 0:  # an array from tensor() still points into the arena
                raise RuntimeError(
                    "cannot close the interpreter while an array from tensor() is alive; delete it first"
                )
            if self._interp != ffi.NULL:
                lib.tl_interpreter_destroy(self._interp)
                self._interp = ffi.NULL
            if self._model != ffi.NULL:
                lib.tl_model_destroy(self._model)
                self._model = ffi.NULL

    def __del__(self) -> None:
        self.close()

    def __enter__(self) -> Interpreter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _live(self) -> Any:
        if self._interp == ffi.NULL:
            raise ValueError("interpreter is closed")
        return self._interp

    def _raise(self, status: int, fallback: str) -> None:
        message = _decode(lib.tl_interpreter_error(self._interp)) if self._interp != ffi.NULL else ""
        raise TensorletRuntimeError(status, message or fallback)

    # ---- tensor details ----

    def _init_tensors(self) -> None:
        """The tables of the tensors, read once: every tensor's signature (the model's shape), the graph
        inputs' and outputs' model indices, and the shapes of inputs resized since the last allocate."""
        self._allocated = False
        self._views: weakref.WeakSet[Any] = weakref.WeakSet()  # holders of arrays from tensor()
        self._n_tensors = int(lib.tl_model_tensor_count(self._model))
        self._n_inputs = int(lib.tl_interpreter_input_count(self._interp))
        self._n_outputs = int(lib.tl_interpreter_output_count(self._interp))
        self._input_tensors = [
            int(lib.tl_interpreter_input_tensor(self._interp, k)) for k in range(self._n_inputs)
        ]
        self._output_tensors = [
            int(lib.tl_interpreter_output_tensor(self._interp, k)) for k in range(self._n_outputs)
        ]
        self._signatures = [self._tensor_info(t)["shape"] for t in range(self._n_tensors)]
        self._pending: dict[int, np.ndarray] = {}  # input tensor -> shape given to resize_tensor_input
        self._details: dict[int, dict[str, Any]] = {}  # tensor -> details, cleared by allocate/resize

    def _tensor_info(self, tensor: int) -> dict[str, Any]:
        info = ffi.new("tl_tensor_info *")
        status = lib.tl_interpreter_tensor_info(self._interp, tensor, info)
        if status != lib.TL_OK:
            self._raise(status, f"cannot describe tensor {tensor}")
        if info.dtype not in _NUMPY_TYPES:
            raise TensorletRuntimeError(lib.TL_ERROR_UNSUPPORTED_DTYPE, f"dtype {info.dtype}")
        n = info.quant_count
        scales = np.array([info.scales[i] for i in range(n)], dtype=np.float32)
        # int32 as in tflite_runtime; the format stores int64, and a value outside int32 (legal on a float
        # tensor, whose quantization the runtime ignores) is kept exact in an int64 array, never truncated
        zps = [int(info.zero_points[i]) for i in range(n)]
        fits = all(-(2**31) <= z < 2**31 for z in zps)
        zero_points = np.array(zps, dtype=np.int32 if fits else np.int64)
        per_tensor = (float(scales[0]), int(zero_points[0])) if n == 1 else (0.0, 0)
        shape = np.array([info.dims[i] for i in range(info.rank)], dtype=np.int32)
        return {
            "name": _decode(info.name),
            "index": tensor,
            "shape": shape,
            "shape_signature": shape.copy(),
            "dtype": _NUMPY_TYPES[info.dtype],
            "quantization": per_tensor,
            "quantization_parameters": {
                "scales": scales,
                "zero_points": zero_points,
                "quantized_dimension": int(info.quant_axis) if n else 0,
                "block_size": 0,  # LiteRT's key for blockwise quantization, which the format has not
            },
            "sparsity_parameters": {},
            "_tl_dtype": int(info.dtype),
        }

    def _detail(self, tensor: int) -> dict[str, Any]:
        """Details of a tensor as tflite_runtime gives them; the shape is the current one (a resized input's
        new shape at once, the other tensors' after allocate_tensors), shape_signature the model's."""
        d = self._details.get(tensor)
        if d is None:
            d = self._tensor_info(tensor)
            d["shape_signature"] = self._signatures[tensor].copy()
            if tensor in self._pending:
                d["shape"] = self._pending[tensor].copy()
            self._details[tensor] = d
        return d

    @staticmethod
    def _public(details: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in details.items() if not k.startswith("_")}
        out["shape"] = out["shape"].copy()
        out["shape_signature"] = out["shape_signature"].copy()
        return out

    def get_input_details(self) -> list[dict[str, Any]]:
        """One dict per graph input: index (the model's tensor index), name, shape (np.int32), dtype, ..."""
        with self._lock:
            self._live()
            return [self._public(self._detail(t)) for t in self._input_tensors]

    def get_output_details(self) -> list[dict[str, Any]]:
        """One dict per graph output, as :meth:`get_input_details`."""
        with self._lock:
            self._live()
            return [self._public(self._detail(t)) for t in self._output_tensors]

    def get_tensor_details(self) -> list[dict[str, Any]]:
        """One dict per tensor of the model (constants, intermediates, inputs and outputs), in index order,
        with the keys of :meth:`get_input_details`."""
        with self._lock:
            self._live()
            return [self._public(self._detail(t)) for t in range(self._n_tensors)]

    def _lookup(self, index: Any) -> tuple[int, dict[str, Any]]:
        """(tensor index, details) of a valid tensor index."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise ValueError(f"tensor index must be an int, got {index!r}")
        index = int(index)
        if not 0 <= index < self._n_tensors:
            raise ValueError(
                f"tensor index {index} out of range: the model has tensors 0..{self._n_tensors - 1}"
            )
        return index, self._detail(index)

    # ---- signatures (one, as TFLite gives a single-signature model) ----

    def _signature_names(self, tensors: list[int], kind: str) -> list[str]:
        """Signature names of tensors: the tensor's name made an identifier, or ``input_<k>``/``output_<k>``
        when it has none (or two would collide)."""
        names: list[str] = []
        for k, t in enumerate(tensors):
            name = re.sub(r"\W", "_", self._detail(t)["name"])
            if not name or name[0].isdigit() or name in names:
                name = f"{kind}_{k}"
            names.append(name)
        return names

    def get_signature_list(self) -> dict[str, dict[str, list[str]]]:
        """``{"serving_default": {"inputs": [...], "outputs": [...]}}``: the model's one signature."""
        with self._lock:
            self._live()
            return {
                SIGNATURE_KEY: {
                    "inputs": self._signature_names(self._input_tensors, "input"),
                    "outputs": self._signature_names(self._output_tensors, "output"),
                }
            }

    def get_signature_runner(self, signature_key: str | None = None) -> SignatureRunner:
        """A callable running the model by input and output names (TFLite's SignatureRunner)."""
        if signature_key not in (None, SIGNATURE_KEY):
            raise ValueError(f"no signature {signature_key!r}: the model has one, {SIGNATURE_KEY!r}")
        return SignatureRunner(self)

    # ---- running ----

    def _ensure_safe(self) -> None:
        """Refuse to move the arena while a numpy array from :meth:`tensor` is alive (as tflite_runtime)."""
        if len(self._views) > 0:
            raise RuntimeError(
                "there is at least 1 reference to internal data in the interpreter in the form of a numpy "
                "array or slice (from tensor()); hold only the function tensor() returns and call it again "
                "after allocate_tensors()"
            )

    def allocate_tensors(self) -> None:
        """Prepare the model: per-op checks and the arena plan (re-planned after resize_tensor_input). Must
        precede set_tensor/invoke. Outputs read before the first invoke are zeros."""
        with self._lock:
            self._ensure_safe()
            status = lib.tl_interpreter_prepare(self._live())
            self._details.clear()
            if status != lib.TL_OK:
                self._allocated = False
                self._raise(status, "tl_interpreter_prepare failed")
            self._pending.clear()
            self._allocated = True

    def resize_tensor_input(self, input_index: int, tensor_size: Any, strict: bool = False) -> None:
        """Give input ``input_index`` (its tensor index) the shape ``tensor_size``; call allocate_tensors()
        before the next invoke. The runtime changes the batch (dim 0) only; with ``strict`` only dims that are
        -1 in shape_signature may change, and tensorlet models have none."""
        with self._lock:
            self._live()
            tensor, d = self._lookup(input_index)
            if tensor not in self._input_tensors:
                raise ValueError(
                    f"tensor {tensor} ({d['name']!r}) is not an input; only inputs can be resized"
                )
            shape = np.array(tensor_size, dtype=np.int64).reshape(-1)
            if not (shape >= 1).all() or (shape > 2**31 - 1).any():
                raise ValueError(f"input {d['name']!r}: every dim of {list(shape)} must be in [1, 2**31)")
            signature = self._signatures[tensor]
            if strict and list(shape) != list(signature):
                raise ValueError(
                    f"input {d['name']!r}: strict resize of shape_signature {list(signature)} to "
                    f"{list(shape)}: only dims that are -1 in the signature may change"
                )
            self._ensure_safe()
            dims = ffi.new("int32_t[]", [int(v) for v in shape] or [0])
            status = lib.tl_interpreter_resize_input(
                self._interp, self._input_tensors.index(tensor), dims, len(shape)
            )
            if status != lib.TL_OK:
                self._raise(status, f"cannot resize input {d['name']!r}")
            self._allocated = False
            self._details.clear()
            self._pending[tensor] = shape.astype(np.int32)

    @property
    def arena_bytes(self) -> int:
        """Bytes of the planned activation arena (0 before allocate_tensors)."""
        with self._lock:
            return int(lib.tl_interpreter_arena_bytes(self._live()))

    @property
    def required_memory_bytes(self) -> int:
        """Bytes of memory the prepared interpreter needs in all: arena, tables and per-op memory (packed
        weights), i.e. ``tl_interpreter_required_memory_bytes`` (0 before allocate_tensors)."""
        with self._lock:
            return int(lib.tl_interpreter_required_memory_bytes(self._live()))

    @property
    def work(self) -> int:
        """The prepared model's work in budget units (about a nanosecond each); 0 before allocate_tensors."""
        with self._lock:
            return int(lib.tl_interpreter_work(self._live()))

    @property
    def planned_arena_bytes(self) -> int:
        """Arena bytes the exporter wrote into the model's metadata."""
        with self._lock:
            self._live()
            return int(lib.tl_model_planned_arena_bytes(self._model))

    def _data(self, tensor: int, d: dict[str, Any]) -> Any:
        """The C pointer to a tensor's value (held lock); a clear error for what cannot be read."""
        ptr = ffi.new("void **")
        status = lib.tl_interpreter_tensor_data(self._live(), tensor, ptr)
        if status == lib.TL_ERROR_BAD_STATE and self._allocated:  # an intermediate, not preserved
            raise ValueError(
                f"tensor {tensor} ({d['name']!r}) is an intermediate whose memory later ops reuse; create "
                "the Interpreter with experimental_preserve_all_tensors=True to read it"
            )
        if status != lib.TL_OK:
            self._raise(status, f"cannot read tensor {tensor} ({d['name']!r})")
        if ptr[0] == ffi.NULL:
            raise ValueError(f"tensor {tensor} ({d['name']!r}) is used by no op: it has no value")
        return ptr[0]

    def set_tensor(self, tensor_index: int, value: np.ndarray) -> None:
        """Copy ``value`` into graph input ``tensor_index``. Dtype and shape must match exactly."""
        with self._lock:
            self._live()
            tensor, d = self._lookup(tensor_index)
            if tensor not in self._input_tensors:
                kind = "an output" if tensor in self._output_tensors else "not an input"
                raise ValueError(f"tensor {tensor_index} ({d['name']!r}) is {kind}; only inputs can be set")
            if not isinstance(value, (np.ndarray, np.generic)):
                raise ValueError(f"input {d['name']!r}: expected a numpy array, got {type(value).__name__}")
            value = np.asarray(value)
            if value.dtype != np.dtype(d["dtype"]):
                raise ValueError(
                    f"input {d['name']!r}: got dtype {value.dtype}, expected {np.dtype(d['dtype'])} "
                    "(no casting)"
                )
            shape = tuple(int(s) for s in d["shape"])
            if value.shape != shape:
                raise ValueError(f"input {d['name']!r}: got shape {value.shape}, expected {shape}")
            data = np.ascontiguousarray(value)
            status = lib.tl_interpreter_set_input(
                self._interp,
                self._input_tensors.index(tensor),
                ffi.from_buffer(data),
                data.nbytes,
                d["_tl_dtype"],
            )
            if status != lib.TL_OK:
                self._raise(status, f"cannot set input {d['name']!r}")

    def invoke(self) -> None:
        """Run the model on the current inputs."""
        # hot path for small models (~2 us): no method call before the C call; a NULL cdata is falsy. The lock
        # stays held while the C call runs without the GIL: close() in another thread waits for it. `with`,
        # not acquire() + try/finally: CPython checks for signals after every call, so a Ctrl-C landing just
        # after acquire() returned raised KeyboardInterrupt before the try and left the lock held for good
        # (close() at exit then waited forever); the interpreter gives `with` no such gap.
        with self._lock:
            interp = self._interp
            if not interp:
                raise ValueError("interpreter is closed")
            status = _invoke(interp)
            if status:
                self._raise(status, "tl_interpreter_invoke failed")

    def profile(self, runs: int = 10) -> list[dict[str, Any]]:
        """Time each op over ``runs`` invokes on the current inputs (``tl_interpreter_invoke_profiled`` with
        the library's monotonic clock): one dict per op in execution order, ``{"index", "type",
        "output_shape", "avg_us", "min_us"}`` (the mean and the fastest of the runs), whose averages add up
        to about the invoke's. The outputs are those of a normal invoke."""
        if runs < 1:
            raise ValueError(f"profile: runs must be >= 1, got {runs}")
        with self._lock:
            interp = self._live()
            count = int(lib.tl_model_op_count(self._model))
            ops = ffi.new("tl_op_profile[]", max(count, 1))
            clock = ffi.addressof(lib, "tl_clock_monotonic_ns")
            total = [0] * count
            fastest = [0] * count
            for run in range(runs):
                for i in range(count):
                    ops[i].ticks = 0  # one run per table: the sums and minima are taken here
                status = lib.tl_interpreter_invoke_profiled(interp, clock, ffi.NULL, ops, count)
                if status:
                    self._raise(status, "tl_interpreter_invoke_profiled failed")
                for i in range(count):
                    ticks = int(ops[i].ticks)
                    total[i] += ticks
                    fastest[i] = ticks if run == 0 else min(fastest[i], ticks)
            out = []
            for i in range(count):
                shape: tuple[int, ...] = ()
                if ops[i].output >= 0:
                    shape = tuple(int(s) for s in self._lookup(int(ops[i].output))[1]["shape"])
                out.append({"index": i, "type": ffi.string(ops[i].type).decode(), "output_shape": shape,
                            "avg_us": total[i] / runs / 1e3, "min_us": fastest[i] / 1e3})
            return out

    def get_tensor(self, tensor_index: int) -> np.ndarray:
        """A copy of a tensor's current value: graph inputs (they keep their value across invokes, unless
        ``release_inputs``), outputs
        (zeros before the first invoke), constants, and with experimental_preserve_all_tensors every
        intermediate tensor."""
        with self._lock:  # the copy out of the arena included: close() must not free it meanwhile
            self._live()
            tensor, d = self._lookup(tensor_index)
            out = np.empty(tuple(int(s) for s in d["shape"]), dtype=d["dtype"])
            ptr = self._data(tensor, d)
            ffi.memmove(ffi.from_buffer(out), ptr, out.nbytes)
            return out

    def tensor(self, tensor_index: int) -> Callable[[], np.ndarray]:
        """A function returning a numpy view (no copy) of the tensor's memory, as tflite_runtime: call it
        again after each allocate_tensors(), which refuses to run while a view is alive (the arena may move).
        A constant's view is read-only."""
        with self._lock:
            self._live()
            tensor, _ = self._lookup(tensor_index)
        return lambda: self._view(tensor)

    def _view(self, tensor: int) -> np.ndarray:
        with self._lock:
            self._live()
            d = self._detail(tensor)
            shape = tuple(int(s) for s in d["shape"])
            address = int(ffi.cast("uintptr_t", self._data(tensor, d)))
            holder = _ViewHolder(self, address, shape, np.dtype(d["dtype"]))
            self._views.add(holder)
        return np.asarray(holder)  # its base is holder, which keeps the interpreter alive

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """Set every graph input (in order), invoke, and return copies of all outputs."""
        if len(inputs) != self._n_inputs:
            raise ValueError(f"run() takes {self._n_inputs} inputs, got {len(inputs)}")
        if not self._allocated:
            self.allocate_tensors()
        for t, value in zip(self._input_tensors, inputs, strict=True):
            self.set_tensor(t, value)
        self.invoke()
        return [self.get_tensor(t) for t in self._output_tensors]


class _ViewHolder:
    """The memory behind an array from Interpreter.tensor() (numpy's array interface over a C address): it
    keeps the interpreter alive while the array lives, and the interpreter counts the live ones
    (allocate_tensors and resize_tensor_input refuse to move the arena under them)."""

    def __init__(self, interp: Interpreter, address: int, shape: tuple[int, ...], dtype: np.dtype) -> None:
        self._interp = interp
        self.__array_interface__ = {
            "shape": shape,
            "typestr": dtype.str,
            "data": (address, False),
            "version": 3,
        }


class SignatureRunner:
    """TFLite's SignatureRunner for the model's one signature: ``runner(x=image)`` sets the inputs by their
    signature names (resizing an input whose shape differs, as TFLite does), invokes, and returns the outputs
    as a dict by name."""

    def __init__(self, interpreter: Interpreter) -> None:
        self._interp = interpreter
        sig = interpreter.get_signature_list()[SIGNATURE_KEY]
        self._inputs = dict(zip(sig["inputs"], interpreter._input_tensors, strict=True))
        self._outputs = dict(zip(sig["outputs"], interpreter._output_tensors, strict=True))

    def get_input_details(self) -> dict[str, dict[str, Any]]:
        """Input details by signature name."""
        details = {d["index"]: d for d in self._interp.get_input_details()}
        return {name: details[t] for name, t in self._inputs.items()}

    def get_output_details(self) -> dict[str, dict[str, Any]]:
        """Output details by signature name."""
        details = {d["index"]: d for d in self._interp.get_output_details()}
        return {name: details[t] for name, t in self._outputs.items()}

    def __call__(self, **kwargs: np.ndarray) -> dict[str, np.ndarray]:
        unknown = sorted(set(kwargs) - set(self._inputs))
        missing = sorted(set(self._inputs) - set(kwargs))
        if unknown or missing:
            raise ValueError(
                f"signature {SIGNATURE_KEY!r} takes inputs {sorted(self._inputs)}"
                + (f"; unknown {unknown}" if unknown else "")
                + (f"; missing {missing}" if missing else "")
            )
        interp = self._interp
        details = self.get_input_details()
        resized = False
        for name, value in kwargs.items():
            shape = np.shape(value)
            if tuple(details[name]["shape"]) != shape:
                interp.resize_tensor_input(self._inputs[name], shape)
                resized = True
        if resized or not interp._allocated:
            interp.allocate_tensors()
        for name, value in kwargs.items():
            interp.set_tensor(self._inputs[name], value)
        interp.invoke()
        return {name: interp.get_tensor(t) for name, t in self._outputs.items()}
