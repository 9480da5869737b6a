"""Export to the C runtime, the ``tf.lite`` counterpart: :class:`Converter` (session or frozen graph to
``.tlm`` bytes), the lowering (:mod:`trainer.lite.lowering`, through the op stanzas of
:mod:`trainer.runtime_ops`) and a numpy reference interpreter of ``.tlm`` files
(:mod:`trainer.lite.reference`)."""

from trainer.lite.converter import Converter, Optimize, TargetSpec
from trainer.lite.lowering import UnsupportedError, supported_op_types

__all__ = ["Converter", "Optimize", "TargetSpec", "UnsupportedError", "supported_op_types"]
