"""What a converter of the op table works with: :class:`ImportContext` (the TFLite model's tensors and the
builder to emit into) and its helpers. Its own module so that the op table (:mod:`trainer.lite.tflite.ops`)
and the importer that drives it (:mod:`trainer.lite.tflite.importer`) both import it without importing
each other."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trainer.lite.tflite.errors import Refusal
from trainer.lite.tflite.reader import Operator, Quant, TFLiteModel
from trainer.tlm import ModelBuilder, Quantization

NUMPY_TYPES = {
    "FLOAT32": np.dtype("<f4"),
    "FLOAT16": np.dtype("<f2"),
    "INT32": np.dtype("<i4"),
    "UINT8": np.dtype("u1"),
    "INT64": np.dtype("<i8"),
    "BOOL": np.dtype("?"),
    "INT16": np.dtype("<i2"),
    "INT8": np.dtype("i1"),
}
ACTIVATION_TYPES = ("FLOAT32", "INT8")  # what tensorlet's compute ops take as activations
NO_BIAS = "/tensorlet_no_bias"  # name suffix of the zero bias the exporter adds where TFLite needs one


class ImportContext:
    """What a converter of the op table uses: the TFLite model's tensors and a builder to emit into."""

    def __init__(self, model: TFLiteModel) -> None:
        self.model = model
        self.builder = ModelBuilder(description=model.description[:4096])
        self.tlm: dict[tuple[int, str], int] = {}  # (tflite tensor, form) -> tlm tensor
        self.folded: dict[int, np.ndarray] = {}  # tflite tensor -> value of a folded DEQUANTIZE
        self.produced: set[int] = set(model.inputs)
        self.origin: list[int] = []  # tlm op -> TFLite operator index
        self.writing: set[int] = set()  # the outputs of the op being converted
        self.indices: set[int] = set()  # int32 / int64 outputs of ARG_MAX / ARG_MIN (indices, not values)
        self.folded_from: dict[int, int] = {}  # folded DEQUANTIZE output -> its constant input
        self.alias: dict[int, int] = {}  # output of an absorbed requantization -> its input
        self.sort_keys: list[tuple[int, int]] = []  # tlm tensor -> (TFLite tensor it stands for, rank)

    # ---- tensors ----

    def shape(self, i: int) -> list[int]:
        self._check_index(i)
        return list(self.model.tensors[i].shape)

    def dtype(self, i: int) -> str:
        self._check_index(i)
        if i in self.folded:
            return "FLOAT32"
        return self.model.tensors[i].type

    def quant(self, i: int) -> Quant | None:
        self._check_index(i)
        return self.model.tensors[i].quant

    def _check_index(self, i: int) -> None:
        if not 0 <= i < len(self.model.tensors):
            raise Refusal(f"an optional input ({i}) left out where tensorlet needs it")

    def is_const(self, i: int) -> bool:
        t = self.model.tensors[i]
        return i in self.folded or (t.buffer != 0 and self.model.buffers[t.buffer] is not None)

    def const(self, i: int, what: str) -> np.ndarray:
        """The value of a constant tensor (folded or from its buffer); refused when it is not constant."""
        self._check_index(i)
        if i in self.folded:
            return self.folded[i]
        t = self.model.tensors[i]
        if not self.is_const(i):
            raise Refusal(f"{what} (tensor {i}) is not a constant")
        if t.type not in NUMPY_TYPES:
            raise Refusal(f"tensor {i} ({short(t.name)}) of type {t.type}")
        raw = self.model.buffer_bytes(t.buffer)
        need = math.prod(t.shape) * NUMPY_TYPES[t.type].itemsize
        if len(raw) != need:
            raise Refusal(
                f"tensor {i} ({short(t.name)}): buffer holds {len(raw)} bytes, shape {t.shape} needs {need}"
            )
        return np.frombuffer(raw, NUMPY_TYPES[t.type]).reshape(t.shape)

    def _quantization(self, i: int) -> Quantization | None:
        t = self.model.tensors[i]
        if t.quant is None or t.type in ("FLOAT32", "FLOAT16") or i in self.folded:
            return None
        return Quantization(t.quant.scale, t.quant.zero_point, t.quant.axis)

    def _name(self, i: int, suffix: str = "") -> str | None:
        """The tensor's name (utf-8 at most 1024 bytes, the .tlm cap; a longer one is cut)."""
        name = self.model.tensors[i].name
        if not name:
            return None
        return (name + suffix).encode()[:1024].decode("utf-8", "ignore")

    def t(self, i: int) -> int:
        """The tlm tensor of TFLite tensor ``i``, created on first use (constant, graph input, activation)."""
        return self._form(i, "plain")

    def _form(self, i: int, form: str) -> int:
        self._check_index(i)
        i = self.alias.get(i, i)
        key = (i, form)
        if key in self.tlm:
            return self.tlm[key]
        t = self.model.tensors[i]
        b = self.builder
        if form == "float16":
            idx = b.add_constant(self._name(i), self.folded[i].astype(np.float16))
        elif form == "dequantized":
            idx = b.add_constant(self._name(i), dequantize(self.const(i, "weights"), t.quant))
        elif i in self.folded:
            idx = b.add_constant(self._name(i), self.folded[i].astype(np.float32))
        elif self.is_const(i):
            if t.type not in NUMPY_TYPES:
                raise Refusal(f"constant tensor {i} ({short(t.name)}) of type {t.type}")
            idx = b.add_constant(self._name(i), self.const(i, "constant"), self._quantization(i))
        else:
            if t.type not in ACTIVATION_TYPES and not (i in self.indices and t.type in ("INT32", "INT64")):
                what = "int16 activations" if t.type == "INT16" else f"{t.type} activations"
                raise Refusal(f"tensor {i} ({short(t.name)}): {what} (tensorlet computes float32 and int8)")
            if i not in self.produced and i not in self.writing:
                raise Refusal(f"tensor {i} ({short(t.name)}) is read before any op writes it")
            idx = b.add_tensor(self._name(i), NUMPY_TYPES[t.type], t.shape, self._quantization(i))
        self.tlm[key] = idx
        self.sort_keys.append((self.folded_from.get(i, i), 0))
        return idx

    def weight(self, op: Operator, slot: int) -> int:
        """A weights/bias input: float16 folded weights stay FLOAT16; int8 weights of a float op (hybrid
        models) are dequantized to float32; anything else as it is."""
        i = op.inputs[slot]
        self._check_index(i)
        x = op.inputs[0]
        if i in self.folded and self.folded[i].dtype == np.float16:
            return self._form(i, "float16")
        t = self.model.tensors[i]
        if (
            0 <= x < len(self.model.tensors)
            and self.dtype(x) == "FLOAT32"
            and t.type == "INT8"
            and self.is_const(i)
            and i not in self.folded
        ):
            if t.quant is None:
                raise Refusal(f"int8 weights (tensor {i}) without quantization parameters")
            return self._form(i, "dequantized")
        return self.t(i)

    def optional_bias(self, op: Operator, slot: int) -> list[int]:
        if len(op.inputs) <= slot or op.inputs[slot] < 0:
            return []
        i = op.inputs[slot]
        if self.model.tensors[i].name.endswith(NO_BIAS) and not self.const(i, "bias").any():
            return []  # the zeros tensorlet's exporter writes where TFLite needs a bias and the .tlm has none
        return [self.weight(op, slot)]

    def reshaped(self, i: int, shape: list[int], op: Operator) -> int:
        """A new tensor holding TFLite tensor ``i`` reshaped (emits a Reshape)."""
        src = self.t(i)
        name = self._name(i, f"/reshaped_{'x'.join(map(str, shape))}")
        t = self.model.tensors[i]
        dst = self.builder.add_tensor(name, NUMPY_TYPES[t.type], shape, self._quantization(i))
        self.sort_keys.append((i, 1))
        self.emit("Reshape", op, [src], [dst], new_shape=shape)
        return dst

    # ---- ops ----

    def emit(self, opcode: str, op: Operator, inputs: list[int], outputs: list[int], **options: Any) -> None:
        self.builder.add_op(opcode, inputs, outputs, **options)
        self.origin.append(op.index)

    def mark_produced(self, op: Operator) -> None:
        self.produced.update(i for i in op.outputs if i >= 0)


def short(name: str, limit: int = 48) -> str:
    """A tensor name for a message: quoted, at most ``limit`` characters (converter names can be long)."""
    return repr(name if len(name) <= limit else name[: limit - 3] + "...")


def dequantize(q: np.ndarray, quant: Quant | None) -> np.ndarray:
    """``scale * (q - zero_point)`` in float32 (one rounding, as TFLite's Dequantize), per axis if need be."""
    if quant is None:
        raise Refusal("int8 constant without quantization parameters")
    scale = np.asarray(quant.scale, np.float32)
    zp = np.asarray(quant.zero_point, np.int64)
    if scale.size > 1:
        shape = [1] * q.ndim
        shape[quant.axis] = scale.size
        scale, zp = scale.reshape(shape), zp.reshape(shape)
    return (scale.astype(np.float64) * (q.astype(np.int64) - zp)).astype(np.float32)
