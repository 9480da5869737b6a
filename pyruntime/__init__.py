"""Python inference on the tensorlet C runtime, with the ``tflite_runtime`` Interpreter API.

    from pyruntime import Interpreter
    interp = Interpreter(model_path="mnist.tlm")
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    interp.set_tensor(inp["index"], image)          # exact dtype and shape; never cast
    interp.invoke()
    scores = interp.get_tensor(interp.get_output_details()[0]["index"])
    # or simply: scores, = interp.run(image)

Tensor indices in the details are handles of this interpreter: graph inputs are 0..n-1 and graph outputs
n..n+m-1 (in model order). The C extension ``pyruntime._tensorlet`` is compiled from ``runtime_c/`` by cffi at
install time (``pip install -e . --no-build-isolation``; re-run after changing the C sources). This package
depends on numpy and cffi only.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np

from pyruntime._tensorlet import ffi, lib

_invoke = lib.tl_interpreter_invoke

__all__ = ["Interpreter", "TensorletRuntimeError", "version"]

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
        raise ImportError(f"loading a .tflite model needs the importer trainer.lite.tflite: {e}") from e
    return from_tflite(data)  # a model it cannot represent raises TFLiteImportError (a ValueError), one line


class Interpreter:
    """Runs a ``.tlm`` model on the C runtime (a ``.tflite`` one is imported first: docs/tflite.md).

    Exactly one of ``model_path`` and ``model_content`` (bytes) must be given. The model is copied by the C
    runtime and verified completely at construction; an invalid model raises :class:`TensorletRuntimeError`.

    ``num_threads`` (as in ``tflite_runtime``; ``None``: 1) is the number of threads an invoke uses, the
    calling one included, from 1 to 64: the C runtime starts ``num_threads - 1`` worker threads with the
    interpreter (stopped by :meth:`close`) that split the FullyConnected, Conv2D and DepthwiseConv2D work
    (float32 and int8). The results are bit-identical for every thread count. Builds of the runtime without
    threads run on one thread.

    ``max_work`` (``None`` or 0: the runtime's default, ``TL_DEFAULT_MAX_WORK``) is the work budget of
    :meth:`allocate_tensors`, in units of about a nanosecond (``tl_options.max_work``, docs/runtime.md): a
    model whose operators and arena plan would cost more is refused with ``TL_ERROR_LIMIT_EXCEEDED``, so no
    file can make an invoke run for hours. :attr:`work` is the prepared model's cost.

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
        if (
            isinstance(num_threads, bool)
            or not isinstance(num_threads, int)
            or not 1 <= num_threads <= lib.TL_MAX_THREADS
        ):
            raise ValueError(f"num_threads must be an int in [1, {lib.TL_MAX_THREADS}], got {num_threads!r}")
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
        self._allocated = False
        self._n_inputs = lib.tl_interpreter_input_count(self._interp)
        self._n_outputs = lib.tl_interpreter_output_count(self._interp)
        self._inputs = [self._info(i, True) for i in range(self._n_inputs)]
        self._outputs = [self._info(i, False) for i in range(self._n_outputs)]

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

    def _info(self, position: int, is_input: bool) -> dict[str, Any]:
        info = ffi.new("tl_tensor_info *")
        getter = lib.tl_interpreter_input_info if is_input else lib.tl_interpreter_output_info
        status = getter(self._interp, position, info)
        if status != lib.TL_OK:
            self._raise(status, f"cannot describe {'input' if is_input else 'output'} {position}")
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
        return {
            "name": _decode(info.name),
            "index": position if is_input else self._n_inputs + position,
            "shape": np.array([info.dims[i] for i in range(info.rank)], dtype=np.int32),
            "shape_signature": np.array([info.dims[i] for i in range(info.rank)], dtype=np.int32),
            "dtype": _NUMPY_TYPES[info.dtype],
            "quantization": per_tensor,
            "quantization_parameters": {
                "scales": scales,
                "zero_points": zero_points,
                "quantized_dimension": int(info.quant_axis) if n else 0,
            },
            "sparsity_parameters": {},
            "_tl_dtype": int(info.dtype),
            "_bytes": int(info.bytes),
        }

    @staticmethod
    def _public(details: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in details.items() if not k.startswith("_")}
        out["shape"] = out["shape"].copy()
        out["shape_signature"] = out["shape_signature"].copy()
        return out

    def get_input_details(self) -> list[dict[str, Any]]:
        """One dict per graph input: index, name, shape (np.int32), dtype, quantization, ..."""
        return [self._public(d) for d in self._inputs]

    def get_output_details(self) -> list[dict[str, Any]]:
        """One dict per graph output (indices follow the inputs')."""
        return [self._public(d) for d in self._outputs]

    def _lookup(self, index: Any) -> tuple[bool, int, dict[str, Any]]:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise ValueError(f"tensor index must be an int, got {index!r}")
        index = int(index)
        if 0 <= index < self._n_inputs:
            return True, index, self._inputs[index]
        if self._n_inputs <= index < self._n_inputs + self._n_outputs:
            pos = index - self._n_inputs
            return False, pos, self._outputs[pos]
        raise ValueError(
            f"tensor index {index} out of range: inputs are 0..{self._n_inputs - 1}, outputs "
            f"{self._n_inputs}..{self._n_inputs + self._n_outputs - 1}"
        )

    # ---- running ----

    def allocate_tensors(self) -> None:
        """Prepare the model: per-op checks and the arena plan. Must precede set_tensor/invoke."""
        with self._lock:
            status = lib.tl_interpreter_prepare(self._live())
            if status != lib.TL_OK:
                self._allocated = False
                self._raise(status, "tl_interpreter_prepare failed")
            self._allocated = True

    @property
    def arena_bytes(self) -> int:
        """Bytes of the planned activation arena (0 before allocate_tensors)."""
        with self._lock:
            return int(lib.tl_interpreter_arena_bytes(self._live()))

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

    def set_tensor(self, tensor_index: int, value: np.ndarray) -> None:
        """Copy ``value`` into graph input ``tensor_index``. Dtype and shape must match exactly."""
        is_input, pos, d = self._lookup(tensor_index)
        if not is_input:
            raise ValueError(f"tensor {tensor_index} ({d['name']!r}) is an output; only inputs can be set")
        if not isinstance(value, (np.ndarray, np.generic)):
            raise ValueError(f"input {d['name']!r}: expected a numpy array, got {type(value).__name__}")
        value = np.asarray(value)
        if value.dtype != np.dtype(d["dtype"]):
            raise ValueError(
                f"input {d['name']!r}: got dtype {value.dtype}, expected {np.dtype(d['dtype'])} (no casting)"
            )
        shape = tuple(int(s) for s in d["shape"])
        if value.shape != shape:
            raise ValueError(f"input {d['name']!r}: got shape {value.shape}, expected {shape}")
        data = np.ascontiguousarray(value)
        with self._lock:
            status = lib.tl_interpreter_set_input(
                self._live(), pos, ffi.from_buffer(data), data.nbytes, d["_tl_dtype"]
            )
            if status != lib.TL_OK:
                self._raise(status, f"cannot set input {d['name']!r}")

    def invoke(self) -> None:
        """Run the model on the current inputs."""
        # hot path for small models (~2 us): no method call before the C call; a NULL cdata is falsy. The lock
        # stays held while the C call runs without the GIL: close() in another thread waits for it.
        with self._lock:
            interp = self._interp
            if not interp:
                raise ValueError("interpreter is closed")
            status = _invoke(interp)
            if status:
                self._raise(status, "tl_interpreter_invoke failed")

    def get_tensor(self, tensor_index: int) -> np.ndarray:
        """A copy of a graph input's or output's current value (inputs keep their value across invokes)."""
        is_input, pos, d = self._lookup(tensor_index)
        out = np.empty(tuple(int(s) for s in d["shape"]), dtype=d["dtype"])
        with self._lock:  # the copy out of the arena included: close() must not free it meanwhile
            if is_input:
                ptr = ffi.new("void **")
                status = lib.tl_interpreter_input_data(self._live(), pos, ptr)
                if status != lib.TL_OK:
                    self._raise(status, f"cannot read input {d['name']!r}")
                ffi.memmove(ffi.from_buffer(out), ptr[0], out.nbytes)
                return out
            status = lib.tl_interpreter_get_output(
                self._live(), pos, ffi.from_buffer(out), out.nbytes, d["_tl_dtype"]
            )
            if status != lib.TL_OK:
                self._raise(status, f"cannot read output {d['name']!r}")
            return out

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """Set every graph input (in order), invoke, and return copies of all outputs."""
        if len(inputs) != self._n_inputs:
            raise ValueError(f"run() takes {self._n_inputs} inputs, got {len(inputs)}")
        if not self._allocated:
            self.allocate_tensors()
        for i, value in enumerate(inputs):
            self.set_tensor(i, value)
        self.invoke()
        return [self.get_tensor(self._n_inputs + j) for j in range(self._n_outputs)]
