"""``Converter``: a trained session (or a frozen graph) to ``.tlm`` bytes, like ``tf.lite.TFLiteConverter``.

>>> import numpy as np
>>> import trainer as tf
>>> from trainer.lite import Converter
>>> g = tf.Graph()
>>> with g.as_default():
...     x = tf.placeholder(tf.float32, [None, 4], name="x")
...     y = tf.nn.softmax(tf.layers.Dense(3)(x))
...     sess = tf.Session(graph=g)
...     sess.run(tf.global_variables_initializer())
>>> data = Converter.from_session(sess, [x], [y]).convert()
>>> data[4:8]
b'TLM1'

``convert()`` freezes (:func:`trainer.freeze.freeze`, inputs get batch size ``batch_size``, default 1),
lowers (:mod:`trainer.lite.lowering`) and serializes; the planned arena size goes into the metadata. It
raises :class:`~trainer.lite.lowering.UnsupportedError` for anything the C runtime cannot run, before any
byte is produced. Converting the same session twice gives byte-identical models.

Quantization options, as in TFLite: ``optimizations = [Optimize.DEFAULT]`` together with a
``representative_dataset`` gives a full-integer int8 model (:func:`trainer.quant.ptq.quantize_model`), with
float32 (default) or int8 ``inference_input_type`` / ``inference_output_type``; ``optimizations`` with
``target_spec.supported_types = [tf.float16]`` (and no dataset) stores the weights as float16
(:func:`trainer.quant.float16.float16_weights`). Any other combination of non-default values makes
``convert()`` raise ``UnimplementedError``. A graph rewritten for quantization-aware training
(:mod:`trainer.contrib.quantize`) gives int8 models whose fake-quantized activations keep the ranges learned
in training; the representative dataset calibrates the rest (the model input at least). Graph inputs are
float32, or int32 indices (the token ids of ``tf.nn.embedding_lookup``), which stay int32 in the float32 and
the int8 model alike (TFLite's rule): the representative dataset then yields int32 ids for them.

Two options of our own for int8 post-training quantization (TFLite has neither): ``calibration``
("minmax", the default, or "mse": activation ranges that minimize the int8 quantization error, see
:func:`trainer.quant.ptq.calibrate`) and ``bias_correction`` (False by default: True subtracts from every
bias the mean error the int8 weights cause on the representative dataset, see
:func:`trainer.quant.ptq.weight_error_bias`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from trainer.errors import UnimplementedError
from trainer.freeze import FrozenGraph, freeze, optimize
from trainer.graph import Graph
from trainer.lite.lowering import lower_with_ranges
from trainer.quant.float16 import float16_weights
from trainer.quant.ptq import quantize_model, type_name


class Optimize:
    """``tf.lite.Optimize`` names (any of them, with a representative dataset, means int8 quantization)."""

    DEFAULT = "DEFAULT"
    OPTIMIZE_FOR_SIZE = "OPTIMIZE_FOR_SIZE"
    OPTIMIZE_FOR_LATENCY = "OPTIMIZE_FOR_LATENCY"


class TargetSpec:
    """``tf.lite.TargetSpec``: ``supported_types = [tf.float16]`` with ``optimizations`` stores float16
    weights (expanded to float32 by the runtime at prepare)."""

    def __init__(self) -> None:
        self.supported_types: list[Any] = []


class Converter:
    """Build with :meth:`from_session` or :meth:`from_frozen_graph`, set options, call :meth:`convert`.

    Attributes (``batch_size``, ``input_shapes`` and ``constants`` are also keyword arguments of the
    constructors):
    ``batch_size`` (int, default 1: the batch dimension of inputs whose first dimension is unknown),
    ``input_shapes`` (None, or one shape per input, overriding ``batch_size``), ``constants`` (placeholders
    that are not inputs, with their inference values: see :func:`trainer.freeze.freeze`), ``description``
    (stored in the model's metadata), and the quantization options (see the module docstring).
    """

    def __init__(
        self, source: Any, inputs: Sequence[Any], outputs: Sequence[Any], from_session: bool
    ) -> None:
        self._source = source
        self._inputs = list(inputs)
        self._outputs = list(outputs)
        self._from_session = from_session
        self.batch_size: int = 1
        self.input_shapes: Sequence[Any] | None = None
        self.constants: dict[Any, Any] = {}
        self.description: str = ""
        # Quantization options, as tf.lite's (see the module docstring).
        self.optimizations: list[Any] = []
        self.representative_dataset: Any = None
        self.inference_input_type: Any = None
        self.inference_output_type: Any = None
        self.target_spec = TargetSpec()
        # Our own int8 options (TFLite has neither): see the module docstring.
        self.calibration: str = "minmax"
        self.bias_correction: bool = False

    @classmethod
    def from_session(
        cls,
        sess: Any,
        input_tensors: Sequence[Any],
        output_tensors: Sequence[Any],
        *,
        batch_size: int = 1,
        input_shapes: Sequence[Any] | None = None,
        constants: dict[Any, Any] | None = None,
    ) -> Converter:
        """Convert what ``output_tensors`` compute from ``input_tensors`` with the variables of ``sess``."""
        return cls(sess, input_tensors, output_tensors, True)._with(batch_size, input_shapes, constants)

    def _with(
        self, batch_size: int, input_shapes: Sequence[Any] | None, constants: dict[Any, Any] | None
    ) -> Converter:
        self.batch_size = batch_size
        self.input_shapes = input_shapes
        self.constants = dict(constants or {})
        return self

    @classmethod
    def from_frozen_graph(
        cls,
        graph: Graph | FrozenGraph,
        input_tensors: Sequence[Any] | None = None,
        output_tensors: Sequence[Any] | None = None,
        *,
        batch_size: int = 1,
        input_shapes: Sequence[Any] | None = None,
        constants: dict[Any, Any] | None = None,
    ) -> Converter:
        """Convert a graph without variables: a :class:`~trainer.freeze.FrozenGraph` (its own inputs and
        outputs by default) or a :class:`~trainer.graph.Graph` with tensors (or names like ``"x:0"``)."""
        if isinstance(graph, FrozenGraph):
            inputs = graph.inputs if input_tensors is None else input_tensors
            outputs = graph.outputs if output_tensors is None else output_tensors
            return cls(graph.graph, inputs, outputs, False)._with(batch_size, input_shapes, constants)
        if input_tensors is None or output_tensors is None:
            raise ValueError("from_frozen_graph(Graph, ...) needs input_tensors and output_tensors")
        return cls(graph, input_tensors, output_tensors, False)._with(batch_size, input_shapes, constants)

    def _float16_requested(self) -> bool:
        return any(type_name(t) == "float16" for t in self.target_spec.supported_types)

    def _check_quantization_options(self) -> bool:
        """True when the options ask for int8 post-training quantization (trainer.quantize)."""
        if self.optimizations and self.representative_dataset is not None:
            return True
        if self.optimizations and self._float16_requested():
            return False  # float16 weights (convert() applies them)
        if self.optimizations:
            # TensorFlow would fall back to dynamic-range quantization here, which the runtime lacks.
            raise UnimplementedError(
                f"optimizations={self.optimizations!r} needs one of the two implemented quantizations: "
                "full-integer int8 (also set representative_dataset) or float16 weights (also set "
                "target_spec.supported_types = [tf.float16]); dynamic-range quantization is not implemented"
            )
        unsupported = []
        if self.representative_dataset is not None:
            unsupported.append("representative_dataset")
        for name in ("inference_input_type", "inference_output_type"):
            value = getattr(self, name)
            if value is not None and type_name(value) != "float32":
                unsupported.append(f"{name}={value!r}")
        if unsupported:
            raise UnimplementedError(
                f"{', '.join(unsupported)} without optimizations: int8 quantization needs both "
                "optimizations = [Optimize.DEFAULT] and a representative_dataset"
            )
        return False

    def freeze(self) -> FrozenGraph:
        """The frozen, fused graph that :meth:`convert` lowers (static input shapes)."""
        kw = {"input_shapes": self.input_shapes, "batch_size": self.batch_size, "constants": self.constants}
        if self._from_session:
            return freeze(self._source, self._inputs, self._outputs, **kw)
        return optimize(self._source, self._inputs, self._outputs, **kw)

    def convert(self) -> bytes:
        """The ``.tlm`` model as bytes."""
        quantize = self._check_quantization_options()
        builder, qat_ranges = lower_with_ranges(self.freeze(), description=self.description)
        data = builder.finish()
        if self.optimizations and not quantize and self._float16_requested():
            return float16_weights(data)
        if quantize:
            data = quantize_model(
                data,
                self.representative_dataset,
                inference_input_type=self.inference_input_type or "float32",
                inference_output_type=self.inference_output_type or "float32",
                ranges=qat_ranges,
                calibration=self.calibration,
                bias_correction=self.bias_correction,
            )
        return data

    def save(self, path: str | os.PathLike) -> int:
        """Convert and write the model to ``path``; returns its size in bytes. Nothing is written (and an
        existing file is left alone) when the conversion fails."""
        data = self.convert()
        tmp = f"{os.fspath(path)}.tmp{os.getpid()}"
        try:
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return len(data)
