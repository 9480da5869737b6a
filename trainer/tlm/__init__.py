"""The ``.tlm`` model format in Python: writer, reader, arena planner and the generated schema code."""

from trainer.tlm.builder import ModelBuilder, Quantization
from trainer.tlm.planner import Plan, plan
from trainer.tlm.reader import ModelInfo, OpInfo, TensorInfo, plan_model, read_model

__all__ = [
    "ModelBuilder",
    "ModelInfo",
    "OpInfo",
    "Plan",
    "Quantization",
    "TensorInfo",
    "plan",
    "plan_model",
    "read_model",
]
