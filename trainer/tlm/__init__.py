"""The ``.tlm`` model format in Python: writer, reader, arena planner and the generated schema code."""

from trainer.tlm.builder import ModelBuilder, Quantization
from trainer.tlm.planner import Plan, plan

__all__ = ["ModelBuilder", "Plan", "Quantization", "plan"]
