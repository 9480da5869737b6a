"""Rewriting a ``.tlm``: read it into plain tensor and op lists, change them, write them back with the
deterministic :class:`~trainer.tlm.ModelBuilder` (the same lists always give the same bytes)."""

from __future__ import annotations

from trainer.tlm import ModelBuilder, read_model
from trainer.tlm.builder import Quantization


def tensor_qparams(t) -> tuple[float, int]:
    """Per-tensor (scale, zero point) of a TensorInfo."""
    return float(t.quantization.scale[0]), int(t.quantization.zero_point[0])


def write_model(m, tensors: list[dict], ops: list[tuple], inputs: list[int], outputs: list[int]) -> bytes:
    """Serialize tensors (dicts: name, dtype, shape, quant, data) and ops (opcode, ins, outs, options)."""
    b = ModelBuilder(description=m.metadata.description)
    ids = []
    for k, t in enumerate(tensors):
        qz = t.get("quant")
        quant = None if qz is None else Quantization(qz[0], qz[1], qz[2] if len(qz) > 2 else 0)
        if t.get("data") is not None:
            ids.append(b.add_constant(t["name"], t["data"], quantization=quant))
        elif k in inputs:
            ids.append(b.add_input(t["name"], t["dtype"], list(t["shape"]), quantization=quant))
        else:
            ids.append(b.add_tensor(t["name"], t["dtype"], list(t["shape"]), quantization=quant))
    for opcode, ins, outs, options in ops:
        b.add_op(
            opcode,
            [ids[i] for i in ins],
            [ids[i] for i in outs],
            **{k: v for k, v in options.items() if v is not None},
        )
    for i in outputs:
        b.mark_output(ids[i])
    return b.finish()


def tensor_dicts(m) -> list[dict]:
    """The tensors of ModelInfo ``m`` as :func:`write_model` takes them (unchanged)."""
    out = []
    for t in m.tensors:
        qz = t.quantization
        quant = None if qz is None else (qz.scale, qz.zero_point, qz.axis)
        out.append(dict(name=t.name, dtype=t.dtype, shape=t.shape, data=t.data, quant=quant))
    return out


def with_all_outputs(model: bytes) -> tuple[bytes, list[int]]:
    """The same model with every non-constant tensor also listed as a graph output (to read intermediates on
    a runtime that only returns outputs); returns (model, tensor index of each output)."""
    m = read_model(model)
    tensors = tensor_dicts(m)
    outs = list(m.outputs) + [t.index for t in m.tensors if t.data is None and t.index not in m.outputs]
    ops = [(op.opcode, op.inputs, op.outputs, op.options) for op in m.ops]
    return write_model(m, tensors, ops, list(m.inputs), outs), outs
