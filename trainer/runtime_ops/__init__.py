"""The runtime's ops on the Python side: the numpy reference interpreter of ``.tlm`` files
(:mod:`~trainer.runtime_ops.interpreter`, float32 and int8)."""
