"""float16 weights, the converter's second option: half the bytes for the weights, float32 arithmetic."""

from __future__ import annotations

import numpy as np

from trainer.quant.rewrite import tensor_dicts, write_model
from trainer.runtime_ops import OPS
from trainer.tlm import read_model


def float16_weights(model: bytes) -> bytes:
    """The same float model with the constant weights and biases of FullyConnected / Conv2D /
    DepthwiseConv2D stored as float16 (half the bytes); the C runtime expands them to float32 at prepare, so
    its outputs equal those of the float32 model whose weights went through float16 rounding."""
    m = read_model(model)
    tensors = tensor_dicts(m)
    for op in m.ops:
        if OPS[op.opcode].weight_axis is not None:
            for i in op.inputs[1:]:
                t = m.tensors[i]
                if t.data is not None and t.dtype == np.float32:
                    tensors[i].update(dtype=np.float16, data=t.data.astype(np.float16))
    ops = [(op.opcode, op.inputs, op.outputs, op.options) for op in m.ops]
    return write_model(m, tensors, ops, list(m.inputs), list(m.outputs))
