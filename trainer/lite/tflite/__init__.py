"""TFLite models in and out: ``.tflite`` -> ``.tlm`` (:func:`from_tflite`) and back (:func:`to_tflite`),
docs/tflite.md.

>>> from trainer.lite.tflite import from_tflite
>>> from_tflite(b"not a model")
Traceback (most recent call last):
...
trainer.lite.tflite.errors.TFLiteImportError: not a TFLite model: file identifier b' a m', expected b'TFL3'

Modules: :mod:`~trainer.lite.tflite.flatbuf` (bounds-checked FlatBuffers reads), :mod:`~.schema` (the field
slots and enums of TFLite's schema), :mod:`~.reader` (the file as Python objects, limits checked),
:mod:`~.ops` (the mapping table, one entry per TFLite builtin), :mod:`~.importer` and :mod:`~.exporter`.
Pure Python: numpy and flatbuffers, as the rest of tensorlet's model writer.
"""

from trainer.lite.tflite.errors import TFLiteImportError
from trainer.lite.tflite.exporter import to_tflite
from trainer.lite.tflite.importer import from_tflite
from trainer.lite.tflite.ops import TABLE, markdown_table

__all__ = ["TABLE", "TFLiteImportError", "from_tflite", "markdown_table", "to_tflite"]
