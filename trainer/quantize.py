"""Int8 quantization, the public facade: every name is re-exported from where it lives.

* :mod:`trainer.quant.fixed_point`: the fixed-point helpers of ``runtime_c/src/quant.c``, name for name
  (C ``tl_<name>`` is Python ``<name>``, same arithmetic).
* :mod:`trainer.quant.kernels_int8`: the int8 kernels of ``runtime_c/src/kernels/*_int8.c`` and the
  parameter computations of ``runtime_c/src/ops/*_int8.c`` (``prepare_*``), bit for bit.
* :mod:`trainer.runtime_ops`: one stanza per runtime op (its int8 preparation among its rules);
  :func:`reference_run` runs a whole ``.tlm`` with them and gives the C runtime's bytes.
* :mod:`trainer.quant.ptq`: :func:`calibrate` (min/max or percentile ranges over a representative dataset)
  and :func:`quantize_model` (the int8 rewrite), also reached through ``trainer.lite.Converter``
  (``optimizations`` + ``representative_dataset``); :mod:`trainer.quant.float16`: :func:`float16_weights`.
* :mod:`trainer.quant.report`: :func:`compare_models` runs a float model and its int8 version on the C
  runtime and lists every shared tensor's max abs error, SQNR and argmax agreement, worst first
  (``tensorlet compare``).

The scheme is TFLite's: ``real = scale * (q - zero_point)``; int8 activations per tensor; symmetric
int8 weights per output channel; int32 bias with scale ``input_scale * weight_scale[c]``; requantization by
an int32 multiplier and shift (gemmlowp's rounding doubling high multiply and rounding right shift).

>>> m, s = quantize_multiplier(0.25)
>>> int(m), int(s)
(1073741824, -1)
>>> int(multiply_by_quantized_multiplier(100, m, s))
25
"""

from __future__ import annotations

from trainer.quant.fixed_point import (
    activation_range_int8,
    conv_multiplier,
    exp_on_interval_between_negative_one_quarter_and_0_excl,
    exp_on_negative_values,
    get_reciprocal,
    input_radius,
    logistic,
    multiply_by_quantized_multiplier,
    one_minus_x_over_one_plus_x_for_x_in_0_1,
    one_over_one_plus_x_for_x_in_0_1,
    quantize_multiplier,
    requant_ratio,
    round_half_away,
    rounding_divide_by_pot,
    rounding_half_sum,
    saturating_left_shift,
    srdhm,
    tanh,
)
from trainer.quant.float16 import (
    float16_weights,
)
from trainer.quant.kernels_int8 import (
    ActivationInt8Params,
    BinaryInt8Params,
    ConvGeom,
    PoolGeom,
    RequantInt8,
    RequantizeInt8Params,
    SoftmaxInt8Params,
    add_int8,
    average_pool2d_int8,
    concat_int8,
    conv2d_int8,
    conv_geom,
    depthwise_conv2d_int8,
    dequantize,
    fc_int8,
    logistic_int8,
    max_pool2d_int8,
    mean_int8,
    mul_int8,
    prepare_activation,
    prepare_add_sub,
    prepare_channel_requant,
    prepare_mean,
    prepare_mul,
    prepare_requantize,
    prepare_softmax,
    quantize,
    requantize_centered_int8,
    requantize_channel_int8,
    requantize_int8,
    softmax_int8,
    sub_int8,
    tanh_int8,
    window,
)
from trainer.quant.ptq import (
    calibrate,
    choose_params,
    quantize_model,
    quantize_weights,
)
from trainer.quant.report import (
    LayerReport,
    compare_models,
    format_report,
)
from trainer.quant.rewrite import tensor_dicts as _tensor_dicts  # noqa: F401  (older name)
from trainer.quant.rewrite import (
    with_all_outputs,
)
from trainer.quant.rewrite import write_model as _write_model  # noqa: F401  (older name)
from trainer.runtime_ops.interpreter import (
    reference_run,
    reference_run_all,
)

__all__ = [
    "srdhm",
    "rounding_divide_by_pot",
    "saturating_left_shift",
    "multiply_by_quantized_multiplier",
    "quantize_multiplier",
    "round_half_away",
    "activation_range_int8",
    "input_radius",
    "rounding_half_sum",
    "exp_on_interval_between_negative_one_quarter_and_0_excl",
    "exp_on_negative_values",
    "one_over_one_plus_x_for_x_in_0_1",
    "one_minus_x_over_one_plus_x_for_x_in_0_1",
    "logistic",
    "tanh",
    "get_reciprocal",
    "RequantInt8",
    "requantize_channel_int8",
    "fc_int8",
    "conv2d_int8",
    "depthwise_conv2d_int8",
    "RequantizeInt8Params",
    "requantize_centered_int8",
    "requantize_int8",
    "PoolGeom",
    "max_pool2d_int8",
    "average_pool2d_int8",
    "mean_int8",
    "BinaryInt8Params",
    "add_int8",
    "sub_int8",
    "mul_int8",
    "ActivationInt8Params",
    "logistic_int8",
    "tanh_int8",
    "SoftmaxInt8Params",
    "softmax_int8",
    "concat_int8",
    "quantize",
    "dequantize",
    "requant_ratio",
    "conv_multiplier",
    "prepare_channel_requant",
    "prepare_requantize",
    "prepare_mean",
    "prepare_add_sub",
    "prepare_mul",
    "prepare_activation",
    "prepare_softmax",
    "ConvGeom",
    "window",
    "conv_geom",
    "reference_run",
    "reference_run_all",
    "calibrate",
    "choose_params",
    "quantize_weights",
    "quantize_model",
    "with_all_outputs",
    "LayerReport",
    "compare_models",
    "format_report",
    "float16_weights",
]
