"""The runtime's ops on the Python side, one stanza per op (or small family), JAX ``lax.py`` style: each
module holds, for its ops, the lowering from trainer ops, the float reference, the int8 preparation and
reference, the weight axis and any fixed output quantization, registered in :data:`OPS` right below them
(:mod:`~trainer.runtime_ops._table`). Importing this package registers every op.

The readers of the table: :mod:`trainer.lite.lowering` (export), :mod:`~trainer.runtime_ops.interpreter`
(the numpy reference interpreter, float32 and int8), :mod:`trainer.quant.ptq` and
:mod:`trainer.quant.float16`. The option fields of each op are the schema's (``trainer.tlm.builder``).
"""

from trainer.runtime_ops import (  # noqa: F401  (each registers its ops)
    activation,
    binary,
    conv,
    fully_connected,
    mean,
    movement,
    pool,
    quantize,
    softmax,
)
from trainer.runtime_ops._table import LOWERINGS, OPS, RuntimeOp

__all__ = ["LOWERINGS", "OPS", "RuntimeOp"]
