"""Export to the C runtime, the ``tf.lite`` counterpart: :class:`Converter` (session or frozen graph to
``.tlm`` bytes), the lowering (:mod:`trainer.lite.lowering`, through the op stanzas of
:mod:`trainer.runtime_ops`) and a numpy reference interpreter of ``.tlm`` files
(:mod:`trainer.lite.reference`); and the other way in, :func:`from_tflite` (``.tflite`` to ``.tlm`` bytes,
:mod:`trainer.lite.tflite`, docs/tflite.md)."""

from trainer.lite.converter import Converter, Optimize, TargetSpec
from trainer.lite.lowering import UnsupportedError, supported_op_types
from trainer.lite.tflite import TFLiteImportError, from_tflite

TFLiteConverter = Converter  # TF1's name: tf.lite.TFLiteConverter.from_session(sess, inputs, outputs)

__all__ = [
    "Converter",
    "Optimize",
    "TargetSpec",
    "TFLiteConverter",
    "TFLiteImportError",
    "UnsupportedError",
    "from_tflite",
    "supported_op_types",
]
