"""Post-training int8 quantization of a float ``.tlm`` (TFLite's scheme): :func:`calibrate` measures the
activation ranges on a representative dataset with the numpy reference interpreter, :func:`quantize_model`
rewrites the model to int8 (also reached through ``trainer.lite.Converter`` with ``optimizations`` and
``representative_dataset``).

The scheme: ``real = scale * (q - zero_point)``; int8 activations per tensor; symmetric int8 weights per
output channel; int32 bias with scale ``input_scale * weight_scale[c]``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from trainer.quant.fixed_point import conv_multiplier, round_half_away
from trainer.quant.kernels_int8 import quantize
from trainer.quant.rewrite import write_model
from trainer.runtime_ops import OPS
from trainer.runtime_ops.interpreter import ReferenceInterpreter
from trainer.tlm import OpInfo, read_model


def representative_samples(representative_dataset: Any) -> Iterable[Any]:
    """The samples of a representative dataset given as TensorFlow accepts it: a generator function (or any
    callable returning an iterable), a generator, or an iterable such as a list of samples."""
    source = representative_dataset
    if callable(source) and not hasattr(source, "__iter__"):
        source = source()
    if not hasattr(source, "__iter__"):
        raise TypeError(
            "representative_dataset must be a generator function, a generator or an iterable of samples "
            f"(each a list with one array per model input), got {type(representative_dataset).__name__}"
        )
    return source


def type_name(value: Any) -> str:
    """``"int8"`` for ``"int8"``, ``tf.int8``, ``np.int8`` or ``np.dtype("int8")``: the inference types
    of :func:`quantize_model` and the Converter spelled any of these ways."""
    if isinstance(value, str):
        return value
    name = getattr(value, "name", None)
    if isinstance(name, str):
        return name
    try:
        return np.dtype(value).name
    except TypeError:
        return repr(value)


CALIBRATIONS = ("minmax", "mse")
MSE_VALUES_PER_SAMPLE = 1024  # values of each tensor per sample kept for the MSE search (a fixed random draw)


def calibrate(
    model: bytes, representative_dataset, percentile: float | None = None, calibration: str = "minmax"
) -> dict[int, tuple]:
    """Activation ranges of a float model: {tensor index: (min, max)} over every non-constant tensor.

    ``representative_dataset`` is TFLite's: a callable returning an iterable of samples (or, as TensorFlow
    also accepts, a generator or an iterable), each sample a list with one array per graph input (shaped like
    the model's inputs). With ``percentile`` (e.g. 99.99) the range is the
    [100 - p, p] percentiles of all values seen instead of the min/max. With ``calibration="mse"`` the range
    of every tensor but the graph outputs is the min/max scaled by the factor (1/100 .. 1) whose int8 grid
    gives the least mean squared error (clipping included) on the values seen (:func:`mse_range`); the
    outputs keep their min/max, so a classifier's top logits are never clipped into ties.
    """
    return _calibration_pass(model, representative_dataset, percentile, (), calibration)[0]


def quantization_mse(values: np.ndarray, rmin: float, rmax: float) -> float:
    """Mean squared error of ``values`` quantized to int8 with the parameters of :func:`choose_params`."""
    scale, zp = choose_params(rmin, rmax)
    q = quantize(values, scale, zp).astype(np.float64)  # the runtime's Quantize, in float32
    return float(np.mean((values - (q - zp) * scale) ** 2))


def mse_range(values: np.ndarray, rmin: float, rmax: float, steps: int = 100) -> tuple[float, float]:
    """The range ``(a rmin, a rmax)``, ``a`` in {1/steps, 2/steps, .., 1}, whose int8 grid quantizes
    ``values`` with the least mean squared error (the widest of equals): it trades the clipping of rare
    large values against a finer step for the common ones."""
    best, best_err = (rmin, rmax), math.inf
    for k in range(steps, 0, -1):
        a = k / steps
        err = quantization_mse(values, a * rmin, a * rmax)
        if err < best_err:
            best, best_err = (a * rmin, a * rmax), err
    return best


def _calibration_pass(
    model: bytes,
    representative_dataset: Any,
    percentile: float | None,
    mean_of: Iterable[int],
    calibration: str = "minmax",
) -> tuple[dict[int, tuple], dict[int, np.ndarray]]:
    """One pass of the float model over the representative dataset: the ranges of :func:`calibrate` and the
    element-wise mean over the samples of each tensor in ``mean_of`` (what bias correction needs)."""
    if calibration not in CALIBRATIONS:
        raise ValueError(f"calibration must be one of {', '.join(CALIBRATIONS)}, got {calibration!r}")
    if calibration == "mse" and percentile is not None:
        raise ValueError("calibration='mse' chooses the ranges itself: pass no percentile with it")
    draw = np.random.default_rng(0)
    interp = ReferenceInterpreter(model_content=model)
    m = interp.model
    live = [t.index for t in m.tensors if t.data is None]
    seen: dict[int, list[np.ndarray]] = {i: [] for i in live}
    lo = {i: math.inf for i in live}
    hi = {i: -math.inf for i in live}
    sums: dict[int, np.ndarray] = {i: np.zeros(m.tensors[i].shape) for i in mean_of}
    n = 0
    for sample in representative_samples(representative_dataset):
        arrays = [np.asarray(a, m.tensors[i].dtype) for a, i in zip(sample, m.inputs, strict=True)]
        for a, i in zip(arrays, m.inputs, strict=True):
            if a.shape != tuple(m.tensors[i].shape):
                raise ValueError(
                    f"representative sample for input {m.tensors[i].name!r} has shape {a.shape}, the model "
                    f"takes {tuple(m.tensors[i].shape)} (convert with a matching batch size)"
                )
        values = interp.run_all(*arrays)
        for i in live:
            v = values[i].astype(np.float64).reshape(-1)
            v = v[np.isfinite(v)]  # NaN / Inf samples say nothing about the range
            if v.size == 0:
                continue
            if percentile is None:
                lo[i], hi[i] = min(lo[i], float(v.min())), max(hi[i], float(v.max()))
            else:
                seen[i].append(v)
            if calibration == "mse":
                keep = v if v.size <= MSE_VALUES_PER_SAMPLE else draw.choice(v, MSE_VALUES_PER_SAMPLE, False)
                seen[i].append(keep)
        for i in sums:
            sums[i] += np.nan_to_num(values[i].astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        n += 1
    if n == 0:
        raise ValueError("representative_dataset yielded no samples")
    if percentile is not None:
        for i in live:
            if seen[i]:
                allv = np.concatenate(seen[i])
                lo[i] = float(np.percentile(allv, 100 - percentile))
                hi[i] = float(np.percentile(allv, percentile))
    if calibration == "mse":
        for i in live:
            if seen[i] and i not in m.outputs:
                lo[i], hi[i] = mse_range(np.concatenate(seen[i]), lo[i], hi[i])
    # a tensor never finite: (0, 0), which choose_params turns into scale 1
    ranges = {i: (lo[i], hi[i]) if lo[i] <= hi[i] else (0.0, 0.0) for i in live}
    return ranges, {i: s / n for i, s in sums.items()}


def choose_params(rmin: float, rmax: float) -> tuple[float, int]:
    """Asymmetric int8 (scale, zero point) covering [min(rmin, 0), max(rmax, 0)]; zero is exact."""
    rmin, rmax = min(float(rmin), 0.0), max(float(rmax), 0.0)
    scale = (rmax - rmin) / 255.0
    if not math.isfinite(scale) or scale <= 0.0:
        scale = 1.0  # a constant-zero tensor: any scale represents it
    scale = float(np.float32(max(scale, 1e-30)))
    zp = int(np.clip(round_half_away(-128.0 - rmin / scale), -128, 127))
    return scale, zp


def quantize_weights(w: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-channel int8 weights in [-127, 127] along ``axis``: (q, float32 scales)."""
    w = np.asarray(w, np.float64)
    red = tuple(k for k in range(w.ndim) if k != axis)
    amax = np.abs(w).max(axis=red) if w.size else np.zeros(w.shape[axis])
    top = float(amax.max()) if amax.size else 0.0
    if top == 0.0:
        top = 1.0
    amax = np.maximum(amax, top * 1e-6)  # keep every channel's multiplier within the shift range
    scales = (amax / 127.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    qw = np.clip(np.rint(w / scales.astype(np.float64).reshape(shape)), -127, 127).astype(np.int8)
    return qw, scales


def _index_tensor(t) -> bool:
    """An int32 or int64 tensor of a float model: indices or bounds (StridedSlice's begin, end, strides,
    Gather's indices; the output of ArgMax / ArgMin), a constant, a graph input (token ids) or an op's output,
    not values; quantization leaves it as it is, without parameters."""
    return t.dtype in (np.int32, np.int64)


def _ranges(
    m: Any,
    model: bytes,
    representative_dataset: Any,
    percentile: float | None,
    given: dict[str, tuple],
    mean_of: Iterable[int] = (),
    calibration: str = "minmax",
) -> tuple[dict[int, tuple], dict[int, np.ndarray]]:
    """Calibrated ranges by tensor index, overridden by the ``given`` ranges (by tensor name), and the mean
    of each tensor of ``mean_of`` over the representative dataset."""
    by_name = {t.name: t.index for t in m.tensors}
    unknown = sorted(set(given) - set(by_name))
    if unknown:
        raise ValueError(f"ranges name tensors the model does not have: {unknown}")
    fixed = {by_name[k]: (float(lo), float(hi)) for k, (lo, hi) in given.items()}
    if representative_dataset is None:
        needed = list(m.inputs)  # outputs of ops with fixed or inherited parameters need no range
        for op in m.ops:
            spec = OPS[op.opcode]
            if spec.fixed_output_quant is None and not spec.keeps_input_quant:
                needed.extend(op.outputs)
        missing = [m.tensors[i].name for i in needed if i not in fixed]
        if missing:
            raise ValueError(
                f"quantize_model needs a representative_dataset: no range for {len(missing)} tensors "
                f"({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''})"
            )
        return fixed, {}
    ranges, means = _calibration_pass(model, representative_dataset, percentile, mean_of, calibration)
    return {**ranges, **fixed}, means


def weight_error_bias(
    op: Any, mean_input: np.ndarray, w: np.ndarray, qw: np.ndarray, scales: np.ndarray, out_shape: tuple
) -> np.ndarray:
    """The mean error per output channel that quantizing ``op``'s weights causes, ``E[(W_q - W) x]`` over the
    representative dataset (Nagel et al. 2019, "Data-free quantization through weight equalization and bias
    correction", section 4.2, with the expectation taken on calibration data, not batch-norm statistics).

    The op is linear in its input, so the mean of ``(W_q - W) x`` over the samples is the op applied to the
    mean input ``mean_input`` with the weights ``W_q - W`` (no bias, no activation), averaged over every
    output position (the channel is the last axis)."""
    spec = OPS[op.opcode]
    shape = [1] * w.ndim
    shape[spec.weight_axis] = -1
    dw = qw.astype(np.float64) * scales.astype(np.float64).reshape(shape) - w.astype(np.float64)
    options = {**op.options, "activation": "NONE"}
    linear = OpInfo(op.index, op.opcode, list(op.inputs), list(op.outputs), op.options_type, options)
    y = spec.reference(linear, [mean_input.astype(np.float64), dw, np.zeros(len(scales))], out_shape)
    return np.asarray(y, np.float64).reshape(-1, len(scales)).mean(axis=0)


def quantize_model(
    model: bytes,
    representative_dataset,
    *,
    inference_input_type: str = "float32",
    inference_output_type: str = "float32",
    percentile: float | None = None,
    ranges: dict[str, tuple[float, float]] | None = None,
    bias_correction: bool = False,
    calibration: str = "minmax",
) -> bytes:
    """Post-training int8 quantization of a float ``.tlm`` (the TFLite int8 scheme).

    ``ranges`` ({tensor name: (min, max)}, e.g. learned by quantization-aware training and collected by
    the Converter from the fake-quant nodes) replace the calibrated ranges of those tensors;
    ``representative_dataset`` may be None when they cover every activation.

    Activations int8 per tensor from calibrated ranges (:func:`calibrate`); weights of FullyConnected /
    Conv2D / DepthwiseConv2D symmetric int8 per output channel; biases int32 with scale input_scale x
    weight_scale[c]; Softmax / Sigmoid outputs (1/256, -128), Tanh (1/128, 0); MaxPool2D / AveragePool2D /
    Reshape / Transpose / Pad keep their input's parameters (TFLite's rule). With float32 inference types the
    graph inputs get a Quantize op and the outputs a Dequantize op (graph I/O names are kept; the int8
    tensors inside are named ``<name>_int8``); with "int8" the graph I/O themselves are int8. int32 inputs
    (token ids, as TFLite keeps them) and int32 constants stay int32 either way.

    ``bias_correction`` (needs a representative dataset) subtracts from the float bias of every Conv2D,
    DepthwiseConv2D and FullyConnected with a bias the mean error its int8 weights cause on the
    representative dataset (:func:`weight_error_bias`) before the bias is quantized, so the int8 op's
    output is unbiased per channel; ops without a bias are left as they are. ``calibration`` ("minmax" or
    "mse") is how the activation ranges are chosen (:func:`calibrate`).
    """
    for what, v in (
        ("inference_input_type", inference_input_type),
        ("inference_output_type", inference_output_type),
    ):
        if type_name(v) not in ("float32", "int8"):
            raise ValueError(f"{what} must be float32 or int8 (a string, tf.int8 or np.int8), got {v!r}")
    in_float = type_name(inference_input_type) == "float32"
    out_float = type_name(inference_output_type) == "float32"
    m = read_model(model)
    for op in m.ops:
        if OPS[op.opcode].reference is None or any(  # Quantize / Dequantize: already an int8 model
            m.tensors[i].dtype != np.float32 and not _index_tensor(m.tensors[i]) for i in op.inputs
        ):
            raise ValueError(f"op {op.index} ({op.opcode}): quantize_model takes a float32 model")
    if bias_correction and representative_dataset is None:
        raise ValueError("bias_correction needs a representative_dataset (the mean input of every layer)")
    corrected = [
        op for op in m.ops if bias_correction and OPS[op.opcode].bias_correctable and len(op.inputs) == 3
    ]
    ranges, means = _ranges(
        m,
        model,
        representative_dataset,
        percentile,
        ranges or {},
        {op.inputs[0] for op in corrected},
        calibration,
    )
    op_inputs = {op.index: list(op.inputs) for op in m.ops}
    corrected = {op.index for op in corrected}
    quantized_biases: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # tensor -> (scales, int32 values)
    params: dict[int, tuple[float, int]] = {}
    for i in m.inputs:
        if not _index_tensor(m.tensors[i]):
            params[i] = choose_params(*ranges[i])
    tensors: list[dict] = [
        dict(name=t.name, dtype=np.int8, shape=t.shape, data=None, quant=None)
        if not _index_tensor(t)
        else dict(name=t.name, dtype=t.dtype, shape=t.shape, data=t.data, quant=None)  # kept as they are
        for t in m.tensors
    ]
    for op in m.ops:
        spec = OPS[op.opcode]
        x = op.inputs[0]
        for k, i in enumerate(op.inputs):  # constants that are not weights or biases: per-tensor int8
            t = m.tensors[i]
            if _index_tensor(t):
                continue
            if t.data is not None and not (spec.weight_axis is not None and k >= 1) and i not in params:
                params[i] = choose_params(float(t.data.min()), float(t.data.max()))
                s, z = params[i]
                tensors[i]["data"] = quantize(t.data, s, z)
        y = op.outputs[0]
        for out in op.outputs:
            if _index_tensor(m.tensors[out]):
                continue
            if spec.fixed_output_quant is not None:
                params[out] = spec.fixed_output_quant
            elif spec.keeps_input_quant:
                params[out] = params[x]
            else:
                params[out] = choose_params(*ranges[out])
        if spec.weight_axis is not None:
            w = m.tensors[op.inputs[1]]
            axis = spec.weight_axis
            qw, ws = quantize_weights(w.data, axis)
            tensors[w.index].update(data=qw, quant=(ws, [0] * len(ws), axis))
            s_in = float(np.float32(params[x][0]))
            s_out, zp_out = params[y]
            worst = conv_multiplier(s_in, float(ws.max()), s_out)
            if worst >= 1.0:  # a near-constant output: widen its scale so that every multiplier is < 1
                s_out = float(np.float32(s_in * float(ws.max()) * 1.001))
                params[y] = (s_out, zp_out)
            if len(op.inputs) == 3:
                bt = m.tensors[op.inputs[2]]
                bias = bt.data.astype(np.float64)
                if op.index in corrected:
                    out_shape = tuple(m.tensors[y].shape)
                    bias = bias - weight_error_bias(op, means[x], w.data, qw, ws, out_shape)
                bs = (np.float64(s_in) * ws.astype(np.float64)).astype(np.float32)
                qb = np.clip(np.rint(bias / bs.astype(np.float64)), -(2**31), 2**31 - 1).astype(np.int32)
                b_index = bt.index
                # A bias read by several ops (a layer applied twice shares its variables; the exporter
                # shares equal constants) is int32 at one scale: an op that needs other values (another
                # input scale, its own correction) gets its own copy, ops that agree keep sharing it.
                earlier = quantized_biases.get(b_index)
                if earlier is not None and not all(map(np.array_equal, earlier, (bs, qb))):
                    tensors.append(dict(tensors[b_index]))
                    b_index = len(tensors) - 1
                    tensors[b_index]["name"] = f"{bt.name}_op{op.index}"
                    op_inputs[op.index][2] = b_index
                quantized_biases[b_index] = (bs, qb)
                tensors[b_index].update(dtype=np.int32, data=qb, quant=(bs, [0] * len(bs), 0))
    for i, (s, z) in params.items():
        if tensors[i]["quant"] is None:
            tensors[i]["quant"] = ([s], [z], 0)
    ops = [(op.opcode, op_inputs[op.index], op.outputs, op.options) for op in m.ops]
    inputs, outputs = list(m.inputs), list(m.outputs)
    pre, post = [], []
    for k, i in enumerate(m.inputs):
        t = m.tensors[i]
        tensors[i]["name"] = t.name
        if in_float and not _index_tensor(t):  # int32 ids stay the int32 input they are
            tensors.append(dict(name=t.name, dtype=np.float32, shape=t.shape, data=None, quant=None))
            tensors[i]["name"] = f"{t.name}_int8"
            inputs[k] = len(tensors) - 1
            pre.append(("Quantize", [inputs[k]], [i], {}))
    for k, i in enumerate(m.outputs):
        t = m.tensors[i]
        if out_float and not _index_tensor(t):
            tensors.append(dict(name=t.name, dtype=np.float32, shape=t.shape, data=None, quant=None))
            tensors[i]["name"] = f"{t.name}_int8"
            outputs[k] = len(tensors) - 1
            post.append(("Dequantize", [i], [outputs[k]], {}))
    for t in tensors:
        if t["dtype"] == np.int8 and t["data"] is not None and t["data"].dtype != np.int8:
            raise AssertionError(f"constant {t['name']} was not quantized")  # internal invariant
    return write_model(m, tensors, pre + ops + post, inputs, outputs)
