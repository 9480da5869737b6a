"""The numpy reference interpreter of ``.tlm`` files, under its export-side name.

>>> import numpy as np
>>> from trainer.tlm import ModelBuilder
>>> b = ModelBuilder()
>>> x = b.add_input("x", np.float32, [1, 2])
>>> y = b.add_tensor("y", np.float32, [1, 2])
>>> _ = b.add_op("Relu6", [x], [y])
>>> b.mark_output(y)
>>> ReferenceInterpreter(model_content=b.finish()).run(np.array([[-1.0, 7.0]], np.float32))
[array([[0., 6.]], dtype=float32)]

It lives in :mod:`trainer.runtime_ops.interpreter`, next to the op stanzas it runs, so that the quantization
tools can use it without importing the converter.
"""

from trainer.runtime_ops.interpreter import KERNELS, Kernel, ReferenceInterpreter

__all__ = ["KERNELS", "Kernel", "ReferenceInterpreter"]
