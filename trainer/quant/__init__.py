"""Int8 quantization, split by concern (the public facade is :mod:`trainer.quantize`).

* :mod:`~trainer.quant.fixed_point`: the runtime's fixed-point helpers (``runtime_c/src/quant.c``).
* :mod:`~trainer.quant.kernels_int8`: the int8 reference kernels and their prepare-time parameters.
* :mod:`~trainer.quant.ptq`: post-training quantization (calibration, the int8 rewrite of a float model).
* :mod:`~trainer.quant.float16`: float16 weights.
* :mod:`~trainer.quant.rewrite`: reading a model into lists and writing it back.
* :mod:`~trainer.quant.report`: the per-layer error report; the only one that uses the C runtime.

Whole models run in numpy with :func:`trainer.runtime_ops.interpreter.reference_run`.
"""
