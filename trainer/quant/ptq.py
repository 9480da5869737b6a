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
from trainer.tlm import read_model


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


def calibrate(model: bytes, representative_dataset, percentile: float | None = None) -> dict[int, tuple]:
    """Activation ranges of a float model: {tensor index: (min, max)} over every non-constant tensor.

    ``representative_dataset`` is TFLite's: a callable returning an iterable of samples (or, as TensorFlow
    also accepts, a generator or an iterable), each sample a list with one array per graph input (shaped like
    the model's inputs). With ``percentile`` (e.g. 99.99) the range is the
    [100 - p, p] percentiles of all values seen instead of the min/max.
    """
    interp = ReferenceInterpreter(model_content=model)
    m = interp.model
    live = [t.index for t in m.tensors if t.data is None]
    seen: dict[int, list[np.ndarray]] = {i: [] for i in live}
    lo = {i: math.inf for i in live}
    hi = {i: -math.inf for i in live}
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
        n += 1
    if n == 0:
        raise ValueError("representative_dataset yielded no samples")
    if percentile is not None:
        for i in live:
            if seen[i]:
                allv = np.concatenate(seen[i])
                lo[i] = float(np.percentile(allv, 100 - percentile))
                hi[i] = float(np.percentile(allv, percentile))
    # a tensor never finite: (0, 0), which choose_params turns into scale 1
    return {i: (lo[i], hi[i]) if lo[i] <= hi[i] else (0.0, 0.0) for i in live}


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
    m: Any, model: bytes, representative_dataset: Any, percentile: float | None, given: dict[str, tuple]
) -> dict[int, tuple]:
    """Calibrated ranges by tensor index, overridden by the ``given`` ranges (by tensor name)."""
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
        return fixed
    return {**calibrate(model, representative_dataset, percentile), **fixed}


def quantize_model(
    model: bytes,
    representative_dataset,
    *,
    inference_input_type: str = "float32",
    inference_output_type: str = "float32",
    percentile: float | None = None,
    ranges: dict[str, tuple[float, float]] | None = None,
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
    ranges = _ranges(m, model, representative_dataset, percentile, ranges or {})
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
                bs = (np.float64(s_in) * ws.astype(np.float64)).astype(np.float32)
                qb = np.clip(np.rint(bt.data.astype(np.float64) / bs.astype(np.float64)), -(2**31), 2**31 - 1)
                tensors[bt.index].update(
                    dtype=np.int32, data=qb.astype(np.int32), quant=(bs, [0] * len(bs), 0)
                )
    for i, (s, z) in params.items():
        if tensors[i]["quant"] is None:
            tensors[i]["quant"] = ([s], [z], 0)
    ops = [(op.opcode, op.inputs, op.outputs, op.options) for op in m.ops]
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
