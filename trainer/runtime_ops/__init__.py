"""The runtime's ops on the Python side, one stanza per op (or small family), JAX ``lax.py`` style: each
module holds, for its ops, the lowering from trainer ops, the float reference, the int8 preparation and
reference, the weight axis and any fixed output quantization, registered in :data:`OPS` right below them
(:mod:`~trainer.runtime_ops._table`). Importing this package registers every op.

The readers of the table: :mod:`trainer.lite.lowering` (export), :mod:`~trainer.runtime_ops.interpreter`
(the numpy reference interpreter, float32 and int8), :mod:`trainer.quant.ptq` and
:mod:`trainer.quant.float16`. The float formulas (``conv2d``, ``softmax``, ...) are public: the C runtime's
parity tests take their expected values from them (``tests/runtime_refs.py``). What stays outside a stanza:
the int8 kernels themselves (:mod:`trainer.quant.kernels_int8`, the C kernels' mirror, name for name) and the
option fields of each op, which are the file format's (``trainer.tlm.builder``, checked against the schema).

Adding an op on the Python side: a stanza (lowering, float formula, int8 reference, quantization rules, one
``register`` call) in a new module imported below, or in the module of its family.
"""

from trainer.runtime_ops import (  # noqa: F401  (each registers its ops)
    activation,
    arg_max,
    batch_matmul,
    binary,
    conv,
    div,
    fully_connected,
    gather,
    gelu,
    hard_swish,
    l2_normalization,
    leaky_relu,
    maximum,
    mean,
    minimum,
    movement,
    pack,
    pool,
    prelu,
    quantize,
    reduce,
    resize,
    softmax,
    split,
    squared_difference,
    strided_slice,
    transpose_conv,
    unary_math,
)
from trainer.runtime_ops._table import LOWERINGS, OPS, RuntimeOp

__all__ = ["LOWERINGS", "OPS", "RuntimeOp"]
