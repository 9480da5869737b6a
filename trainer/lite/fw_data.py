"""``fw_data.c`` / ``fw_data.h``: test inputs for a firmware, written by ``tensorlet export-c --samples N``.

A firmware that checks itself on the device (``runtime_c/port/mps2-an386/firmware.c``, docs/embedded.md)
needs, next to the model array, N inputs, their labels and the outputs the host runtime computes for them;
it runs every input and compares its outputs byte for byte. The arrays (int8 models: int8 input, int8
output, one of each):

    #define TL_FW_DIGITS N           /* samples */
    #define TL_FW_IN_BYTES I         /* int8 elements of one input */
    #define TL_FW_OUT_BYTES O        /* int8 elements of one output */
    extern const int8_t tl_fw_digits[TL_FW_DIGITS][TL_FW_IN_BYTES];     /* the inputs, quantized */
    extern const uint8_t tl_fw_labels[TL_FW_DIGITS];                    /* the true classes */
    extern const int8_t tl_fw_expected[TL_FW_DIGITS][TL_FW_OUT_BYTES];  /* the host runtime's outputs */

The inputs are the bundled MNIST-10k test digits (the last 2,000, scaled to [0, 1]) for a model with 784
input elements, or an array given by the caller (float32, quantized with the model's input scale and zero
point, or int8 as is); labels are the bundled digits' labels, the caller's, or else the expected outputs'
argmax. The expected outputs come from pyruntime (the C runtime) when it is installed, else from the
bit-exact numpy reference (:func:`trainer.runtime_ops.interpreter.reference_run`).
"""

from __future__ import annotations

import numpy as np

from trainer.quant.kernels_int8 import quantize
from trainer.runtime_ops.interpreter import reference_run
from trainer.tlm import read_model


def _host_outputs(model: bytes, inputs: np.ndarray) -> np.ndarray:
    try:
        import pyruntime
    except ImportError:  # a trainer-only install: the numpy twin of the C runtime
        return np.stack([reference_run(model, x[None])[0].reshape(-1) for x in inputs])
    interp = pyruntime.Interpreter(model_content=model)
    return np.stack([interp.run(x[None])[0].reshape(-1) for x in inputs])


def firmware_samples(
    model: bytes, count: int, inputs: np.ndarray | None = None, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(inputs, labels, expected)`` for ``count`` samples: int8 ``(count, I)``, uint8 ``(count,)``, int8
    ``(count, O)``. Raises ValueError (one line) for a model or data the firmware arrays cannot hold."""
    info = read_model(model)
    if len(info.inputs) != 1 or len(info.outputs) != 1:
        raise ValueError("firmware samples need a model with one input and one output")
    xin, yout = info.tensors[info.inputs[0]], info.tensors[info.outputs[0]]
    if xin.dtype != np.int8 or yout.dtype != np.int8 or xin.quantization is None:
        raise ValueError(
            "firmware samples need an int8 model with int8 input and output (convert with "
            "inference_input_type = inference_output_type = tf.int8)"
        )
    if count < 1:
        raise ValueError(f"the number of samples must be positive, got {count}")
    if xin.shape and xin.shape[0] != 1:
        raise ValueError(f"firmware samples need a batch-1 model, its input has shape {list(xin.shape)}")
    nin = int(np.prod(xin.shape, dtype=np.int64))
    if inputs is None:
        if nin != 784:
            raise ValueError(f"the model takes {nin} input elements, not a digit's 784: give the inputs")
        from trainer import datasets

        (_, _), (images, digit_labels) = datasets.mnist10k_split()
        inputs = images.astype(np.float32) / np.float32(255.0)
        labels = digit_labels if labels is None else labels
    arr = np.asarray(inputs)
    if arr.size % nin or arr.size // nin < count:
        have = arr.size // nin if arr.size % nin == 0 else "no whole"
        raise ValueError(
            f"{have} samples of {nin} elements in inputs of shape {list(arr.shape)}, {count} asked for"
        )
    arr = arr.reshape(-1, nin)[:count]
    if arr.dtype != np.int8:
        scale, zero_point = float(xin.quantization.scale[0]), int(xin.quantization.zero_point[0])
        arr = quantize(arr.astype(np.float32), scale, zero_point)
    expected = _host_outputs(model, arr.reshape(count, *xin.shape[1:])).astype(np.int8)
    if labels is None:
        labels = expected.argmax(1)
    labels = np.asarray(labels).reshape(-1)
    if labels.size < count:
        raise ValueError(f"{labels.size} labels for {count} samples")
    return arr, labels[:count].astype(np.uint8), expected


def firmware_data_c(inputs: np.ndarray, labels: np.ndarray, expected: np.ndarray) -> tuple[str, str]:
    """The text of ``fw_data.c`` and ``fw_data.h`` for arrays from :func:`firmware_samples`."""
    n, nin = inputs.shape
    nout = expected.shape[1]
    header = (
        "/* fw_data: test inputs of a firmware (written by `tensorlet export-c --samples`). */\n"
        "#ifndef TL_FW_DATA_H\n#define TL_FW_DATA_H\n#include <stdint.h>\n"
        f"#define TL_FW_DIGITS {n}\n#define TL_FW_IN_BYTES {nin}\n#define TL_FW_OUT_BYTES {nout}\n"
        "extern const int8_t tl_fw_digits[TL_FW_DIGITS][TL_FW_IN_BYTES];\n"
        "extern const uint8_t tl_fw_labels[TL_FW_DIGITS];\n"
        "extern const int8_t tl_fw_expected[TL_FW_DIGITS][TL_FW_OUT_BYTES];\n"
        "#endif\n"
    )

    def rows(a: np.ndarray) -> str:
        return ",\n".join("{" + ", ".join(str(int(v)) for v in r) + "}" for r in a)

    source = (
        '#include "fw_data.h"\n'
        f"const int8_t tl_fw_digits[TL_FW_DIGITS][TL_FW_IN_BYTES] = {{\n{rows(inputs)}}};\n"
        f"const uint8_t tl_fw_labels[TL_FW_DIGITS] = {{{', '.join(str(int(v)) for v in labels)}}};\n"
        f"const int8_t tl_fw_expected[TL_FW_DIGITS][TL_FW_OUT_BYTES] = {{\n{rows(expected)}}};\n"
    )
    return source, header
