"""Export of quantization-aware-trained graphs: the fake-quant nodes (:mod:`trainer.ops.fake_quant_ops`,
inserted by :mod:`trainer.contrib.quantize`) are not runtime ops. Lowering drops each one (its output *is* its
input's model tensor) and records its nudged range for that tensor in ``LoweringContext.ranges``; the
Converter hands these ranges to :func:`trainer.quant.ptq.quantize_model`, which uses them instead of the
calibrated ones, as TFLiteConverter takes a QAT graph's ranges from its FakeQuant ops.

Fake quant on weights never reaches lowering: its inputs are constants once frozen, so freezing folds it into
the (already rounded) weights. Only 8-bit, non-narrow activation ranges are int8's; anything else is
refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer.ops.fake_quant_ops import nudge
from trainer.runtime_ops._common import const, unsupported
from trainer.runtime_ops._table import lowers


@lowers("FakeQuantWithMinMaxVars", "FakeQuantWithMinMaxArgs")
def _lower(ctx: Any, op: Any) -> None:
    a = op.attrs
    if a["num_bits"] != 8 or a["narrow_range"]:
        raise unsupported(op, "int8 activations need num_bits=8 and narrow_range=False fake quantization")
    if op.type == "FakeQuantWithMinMaxArgs":
        lo, hi = a["min"], a["max"]
    else:
        lo, hi = const(op, 1, "range minimum"), const(op, 2, "range maximum")
    nmin, nmax, _, _ = nudge(np, float(lo), float(hi), 8, False)
    idx = ctx.input(op, op.inputs[0])
    ctx.index[op.outputs[0]] = idx
    ctx.ranges[idx] = (float(nmin), float(nmax))
