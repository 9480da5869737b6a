"""A numpy interpreter of ``.tlm`` files with the C runtime's semantics, for machines without a C compiler.

>>> import numpy as np
>>> from trainer.tlm import ModelBuilder
>>> b = ModelBuilder()
>>> x = b.add_input("x", np.float32, [1, 2])
>>> y = b.add_tensor("y", np.float32, [1, 2])
>>> _ = b.add_op("Relu6", [x], [y])
>>> b.mark_output(y)
>>> ReferenceInterpreter(model_content=b.finish()).run(np.array([[-1.0, 7.0]], np.float32))
[array([[0., 6.]], dtype=float32)]

The semantics are the schema's (``schema/tensorlet.fbs``): NHWC images; SAME padding gives
``ceil(input / stride)`` outputs with the smaller half of the padding before, VALID gives
``ceil((input - effective_kernel + 1) / stride)``; average pooling divides by the number of real (unpadded)
elements of each window (TensorFlow's rule); max pooling never picks a padded position; fused activations
clamp the op's result. Each float op computes in float64 and stores its result as float32, as the runtime
stores every tensor in float32; int8 ops (and Quantize) run the int8 references of the op stanzas, the
runtime's integer arithmetic, bit for bit. This interpreter trusts the file (it is for models our exporter
wrote); the C runtime is what verifies untrusted files. :func:`reference_run` is the same without the
interpreter object.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from trainer.runtime_ops import OPS
from trainer.runtime_ops._table import FloatReference
from trainer.tlm import ModelInfo, plan_model, read_model

Kernel = FloatReference
# The float reference of every op that has one (all but Quantize / Dequantize), from the op stanzas.
KERNELS: dict[str, Kernel] = {name: op.reference for name, op in OPS.items() if op.reference is not None}


class ReferenceInterpreter:
    """Runs a ``.tlm`` model in numpy; the methods follow :class:`pyruntime.Interpreter`'s ``run`` style."""

    def __init__(self, model_path: str | os.PathLike | None = None, model_content: bytes | None = None):
        if (model_path is None) == (model_content is None):
            raise ValueError("pass exactly one of model_path and model_content")
        if model_path is not None:
            with open(model_path, "rb") as f:
                model_content = f.read()
        self.model: ModelInfo = read_model(model_content)  # type: ignore[arg-type]
        for op in self.model.ops:
            spec = OPS.get(op.opcode)
            if spec is None or (spec.reference is None and spec.int8 is None):
                raise NotImplementedError(
                    f"op {op.index} ({op.opcode}) is not supported by the reference interpreter yet"
                )

    def _details(self, indices: list[int]) -> list[dict[str, Any]]:
        return [
            {
                "index": i,
                "name": self.model.tensors[i].name,
                "shape": np.array(self.model.tensors[i].shape, np.int32),
                "dtype": self.model.tensors[i].dtype.type,
            }
            for i in indices
        ]

    def get_input_details(self) -> list[dict[str, Any]]:
        return self._details(self.model.inputs)

    def get_output_details(self) -> list[dict[str, Any]]:
        return self._details(self.model.outputs)

    @property
    def arena_bytes(self) -> int:
        """The arena the C runtime plans for this model (same algorithm)."""
        return plan_model(self.model).arena_bytes

    def run_all(self, *inputs: np.ndarray) -> dict[int, np.ndarray]:
        """Every tensor's value (constants, inputs, each op's outputs) by tensor index."""
        m = self.model
        if len(inputs) != len(m.inputs):
            raise ValueError(f"run() takes {len(m.inputs)} inputs, got {len(inputs)}")
        values: dict[int, np.ndarray] = {t.index: t.data for t in m.tensors if t.data is not None}
        for idx, value in zip(m.inputs, inputs, strict=True):
            t = m.tensors[idx]
            value = np.asarray(value)
            if value.dtype != t.dtype or value.shape != t.shape:
                raise ValueError(
                    f"input {t.name!r}: got {value.dtype} {value.shape}, expected {t.dtype} {t.shape} "
                    "(no casting)"
                )
            values[idx] = value
        return _run_ops(m, values)

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """Outputs (float32 copies) for one array per graph input."""
        values = self.run_all(*inputs)
        return [values[i].copy() for i in self.model.outputs]


# ---- whole models: float32 ops with the float references, int8 ops with the int8 references ----


def reference_run_all(model: bytes, *inputs: np.ndarray) -> dict[int, np.ndarray]:
    """Every tensor of a (possibly mixed float32 / int8) model, computed in numpy with the runtime's integer
    arithmetic for int8 ops: the bit-exact counterpart of the C runtime on whole models."""
    m = read_model(model)
    values: dict[int, np.ndarray] = {t.index: t.data for t in m.tensors if t.data is not None}
    for idx, value in zip(m.inputs, inputs, strict=True):
        values[idx] = np.asarray(value)
    return _run_ops(m, values)


def _run_ops(m: ModelInfo, values: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
    """Runs every op of ``m`` on ``values`` (constants and inputs, by tensor index): float32 ops with their
    float reference (float64 inside, stored as float32), int8 ops with the runtime's integer arithmetic."""
    for op in m.ops:
        outs = [m.tensors[i] for i in op.outputs]
        spec = OPS[op.opcode]
        # int8 ops: those reading int8, and Quantize (float32 in, int8 out), which has no float reference
        if m.tensors[op.inputs[0]].dtype == np.int8 or spec.reference is None:
            if spec.int8 is None:
                raise NotImplementedError(f"op {op.index} ({op.opcode}) has no int8 reference")
            y = spec.int8(op, [values[i] for i in op.inputs], m)
        else:
            args = [values[i].astype(np.float64) for i in op.inputs]
            shape = outs[0].shape if len(outs) == 1 else tuple(t.shape for t in outs)
            y = spec.reference(op, args, shape)
        ys = [y] if len(outs) == 1 else list(y)  # an op with several outputs returns one array per output
        for out, v in zip(outs, ys, strict=True):
            values[out.index] = np.asarray(v).reshape(out.shape).astype(out.dtype)
    return values


def reference_run(model: bytes, *inputs: np.ndarray) -> list[np.ndarray]:
    """The graph outputs of :func:`reference_run_all`."""
    values = reference_run_all(model, *inputs)
    return [values[i] for i in read_model(model).outputs]
