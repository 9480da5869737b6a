"""Summary ops: ``tf.summary.scalar/histogram/image/text`` and ``merge``/``merge_all``.

As in TF1, a summary is a graph op whose value, when run, is a serialized ``Summary`` protobuf (bytes); it is
added to the ``GraphKeys.SUMMARIES`` collection, ``merge_all`` concatenates every summary of the collection,
and ``FileWriter.add_summary`` writes the bytes to an event file. The tag of a summary is its name scope
(``"loss"``, ``"train/loss"``, ``"loss_1"`` for a second one), which is also the op's name.

The protobufs come from the optional ``tensorboard`` package; without it every summary op returns ``b""``.

>>> import trainer as tf
>>> loss = tf.placeholder(tf.float32, [])
>>> s = tf.summary.scalar("loss", loss)
>>> merged = tf.summary.merge_all()
>>> (s.op.name, s.dtype.name)
('loss', 'string')
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.errors import InvalidArgumentError
from trainer.graph import (
    GraphKeys,
    Tensor,
    apply_op,
    convert_to_tensor,
    get_collection,
    get_default_graph,
    name_scope,
)
from trainer.registry import register
from trainer.summary._protos import protos
from trainer.tensor_shape import TensorShape


def _scalar_string(inputs: list[Tensor], attrs: dict) -> Any:
    return TensorShape([]), _dt.string


def _on_host() -> Any:
    """Summary kernels are host code (protobufs, PNG): pin them to the CPU of the current job and task, as
    TensorFlow does (it has no GPU kernel for them); their inputs reach them through _Send/_Recv."""
    return get_default_graph().device("/device:CPU:0")


def _summary_op(
    op_type: str, name: str, inputs: list[Any], attrs: dict, collections: Any, family: str | None
) -> Tensor:
    """Build a summary op named (and tagged) by its unique name scope; add it to ``collections``."""
    if family:
        name = f"{family}/{name}"
    tensors = [convert_to_tensor(x) for x in inputs]
    with name_scope(name) as scope, _on_host():
        tag = scope[:-1]
        out = apply_op(op_type, tensors, {**attrs, "tag": tag}, scope)
    for key in collections if collections is not None else [GraphKeys.SUMMARIES]:
        out.graph.add_to_collection(key, out)
    return out


# ---- ScalarSummary ----------------------------------------------------------------------------------
def scalar(
    name: str, tensor: Any, collections: Sequence[str] | None = None, family: str | None = None
) -> Tensor:
    """A ``Summary`` with one scalar value tagged ``name`` (TensorBoard's scalars tab)."""
    return _summary_op("ScalarSummary", name, [tensor], {}, collections, family)


def _scalar_shape(inputs: list[Tensor], attrs: dict) -> Any:
    x = inputs[0]
    if x.shape.num_elements() not in (None, 1):
        raise InvalidArgumentError(f"tf.summary.scalar needs a single value, got shape {x.shape}")
    return _scalar_string(inputs, attrs)


def _scalar_kernel(ctx: Any, x: Any) -> Any:
    pb = protos()
    if pb is None:
        return b""
    if np.size(x) != 1:
        raise InvalidArgumentError(
            f"tf.summary.scalar {ctx.attrs['tag']}: needs one value, got {np.shape(x)}"
        )
    value = pb.summary_pb2.Summary.Value(tag=ctx.attrs["tag"], simple_value=float(np.asarray(x).reshape(())))
    return pb.summary_pb2.Summary(value=[value]).SerializeToString()


register("ScalarSummary", shape=_scalar_shape, kernel=_scalar_kernel, not_differentiable=True)


# ---- HistogramSummary -------------------------------------------------------------------------------
def histogram(
    name: str, values: Any, collections: Sequence[str] | None = None, family: str | None = None
) -> Tensor:
    """A ``Summary`` with a histogram of ``values`` (any shape), TensorBoard's histogram/distribution tabs."""
    return _summary_op("HistogramSummary", name, [values], {}, collections, family)


def _bucket_limits() -> np.ndarray:
    """TensorFlow's default histogram buckets: +-1e-12 * 1.1^k up to 1e20, 0, and +-DBL_MAX at the ends."""
    pos = [1e-12]
    while pos[-1] * 1.1 < 1e20:
        pos.append(pos[-1] * 1.1)
    pos.append(np.finfo(np.float64).max)
    return np.array([-v for v in reversed(pos)] + [0.0] + pos)


_LIMITS = _bucket_limits()


def histogram_proto(values: np.ndarray) -> Any:
    """A ``HistogramProto`` of ``values``: bucket ``i`` counts values in ``(limit[i-1], limit[i]]``; each run
    of empty buckets is written as one bucket (as TensorFlow does)."""
    pb = protos()
    v = np.asarray(values, np.float64).ravel()
    if v.size and not np.all(np.isfinite(v)):
        raise InvalidArgumentError("tf.summary.histogram: values contain NaN or Inf")
    counts = np.bincount(np.searchsorted(_LIMITS, v, side="left"), minlength=len(_LIMITS))[: len(_LIMITS)]
    limits: list[float] = []
    buckets: list[float] = []
    for i, c in enumerate(counts):
        if c == 0 and buckets and buckets[-1] == 0:
            limits[-1] = float(_LIMITS[i])  # extend the run of empty buckets
        else:
            limits.append(float(_LIMITS[i]))
            buckets.append(float(c))
    return pb.summary_pb2.HistogramProto(
        min=float(v.min()) if v.size else 0.0,
        max=float(v.max()) if v.size else 0.0,
        num=float(v.size),
        sum=float(v.sum()),
        sum_squares=float(np.dot(v, v)),
        bucket_limit=limits,
        bucket=buckets,
    )


def _histogram_kernel(ctx: Any, x: Any) -> Any:
    pb = protos()
    if pb is None:
        return b""
    value = pb.summary_pb2.Summary.Value(tag=ctx.attrs["tag"], histo=histogram_proto(x))
    return pb.summary_pb2.Summary(value=[value]).SerializeToString()


register("HistogramSummary", shape=_scalar_string, kernel=_histogram_kernel, not_differentiable=True)


# ---- ImageSummary -----------------------------------------------------------------------------------
def image(
    name: str,
    tensor: Any,
    max_outputs: int = 3,
    collections: Sequence[str] | None = None,
    family: str | None = None,
) -> Tensor:
    """PNG images from a ``[batch, height, width, channels]`` tensor (1, 3 or 4 channels), at most
    ``max_outputs`` of them, tagged ``name/image`` (one) or ``name/image/0``, ``name/image/1``... uint8 images
    are written as they are; float images are scaled per image: non-negative ones so the largest value is
    255, others so the largest magnitude is 127 around 127 (TF1's rule)."""
    if int(max_outputs) < 1:
        raise InvalidArgumentError(f"tf.summary.image: max_outputs must be >= 1, got {max_outputs}")
    return _summary_op("ImageSummary", name, [tensor], {"max_outputs": int(max_outputs)}, collections, family)


def _image_shape(inputs: list[Tensor], attrs: dict) -> Any:
    s = inputs[0].shape
    if s.ndims is not None and (s.ndims != 4 or s.dims[-1] not in (None, 1, 3, 4)):
        raise InvalidArgumentError(f"tf.summary.image needs [batch, h, w, 1|3|4], got shape {s}")
    return _scalar_string(inputs, attrs)


def to_uint8_image(img: np.ndarray) -> np.ndarray:
    """One ``[h, w, c]`` image as uint8 by TF1's image-summary scaling."""
    if img.dtype == np.uint8:
        return img
    f = np.asarray(img, np.float64)
    if f.size == 0:
        return f.astype(np.uint8)
    lo, hi = float(f.min()), float(f.max())
    if lo >= 0:
        scale = 255.0 / hi if hi > 0 else 0.0
        out = f * scale
    else:
        m = max(abs(lo), abs(hi))
        out = f * (127.0 / m) + 127.0
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def encode_png(img: np.ndarray) -> bytes:
    """A PNG file (8-bit, no filtering) of a uint8 ``[h, w, c]`` image; ``c``: 1 gray, 3 RGB, 4 RGBA."""
    h, w, c = img.shape
    color = {1: 0, 3: 2, 4: 6}[c]
    rows = np.concatenate([np.zeros((h, 1), np.uint8), img.reshape(h, w * c)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
        + chunk(b"IEND", b"")
    )


def _image_kernel(ctx: Any, x: Any) -> Any:
    pb = protos()
    if pb is None:
        return b""
    tag, n = ctx.attrs["tag"], min(ctx.attrs["max_outputs"], x.shape[0])
    values = []
    for i in range(n):
        img = to_uint8_image(np.asarray(x[i]))
        h, w, c = img.shape
        enc = pb.summary_pb2.Summary.Image(
            height=h, width=w, colorspace=c, encoded_image_string=encode_png(img)
        )
        sub = f"{tag}/image" if ctx.attrs["max_outputs"] == 1 else f"{tag}/image/{i}"
        values.append(pb.summary_pb2.Summary.Value(tag=sub, image=enc))
    return pb.summary_pb2.Summary(value=values).SerializeToString()


register("ImageSummary", shape=_image_shape, kernel=_image_kernel, not_differentiable=True)


# ---- TensorSummaryV2 (text) -------------------------------------------------------------------------
def text(name: str, tensor: Any, collections: Sequence[str] | None = None) -> Tensor:
    """A text summary (TensorBoard's text tab) of a Python string or a list of strings."""
    if isinstance(tensor, Tensor):
        raise InvalidArgumentError("tf.summary.text takes a Python string (or list of strings) here")
    items = [tensor] if isinstance(tensor, (str, bytes)) else list(tensor)
    data = tuple(s.encode("utf-8") if isinstance(s, str) else bytes(s) for s in items)
    scalar_text = isinstance(tensor, (str, bytes))
    with name_scope(name) as scope, _on_host():
        out = apply_op("TensorSummaryV2", [], {"tag": scope[:-1], "text": data, "scalar": scalar_text}, scope)
    for key in collections if collections is not None else [GraphKeys.SUMMARIES]:
        out.graph.add_to_collection(key, out)
    return out


def _text_kernel(ctx: Any) -> Any:
    pb = protos()
    if pb is None:
        return b""
    a = ctx.attrs
    dims = [] if a["scalar"] else [pb.tensor_shape_pb2.TensorShapeProto.Dim(size=len(a["text"]))]
    tensor = pb.tensor_pb2.TensorProto(
        dtype=pb.types_pb2.DT_STRING,
        tensor_shape=pb.tensor_shape_pb2.TensorShapeProto(dim=dims),
        string_val=list(a["text"]),
    )
    meta = pb.summary_pb2.SummaryMetadata(
        plugin_data=pb.summary_pb2.SummaryMetadata.PluginData(plugin_name="text")
    )
    value = pb.summary_pb2.Summary.Value(tag=a["tag"], metadata=meta, tensor=tensor)
    return pb.summary_pb2.Summary(value=[value]).SerializeToString()


register("TensorSummaryV2", shape=_scalar_string, kernel=_text_kernel, not_differentiable=True)


# ---- MergeSummary -----------------------------------------------------------------------------------
def merge(inputs: Sequence[Any], collections: Sequence[str] | None = None, name: str | None = None) -> Tensor:
    """One ``Summary`` holding the values of all ``inputs`` (serialized summaries)."""
    tensors = [convert_to_tensor(x) for x in inputs]
    for t in tensors:
        if t.dtype is not _dt.string:
            raise InvalidArgumentError(f"tf.summary.merge: {t.name} is not a summary (dtype {t.dtype.name})")
    with _on_host():
        out = apply_op("MergeSummary", tensors, {}, name or "Merge/MergeSummary")
    for key in collections or []:
        out.graph.add_to_collection(key, out)
    return out


def merge_all(
    key: str = GraphKeys.SUMMARIES, scope: str | None = None, name: str | None = None
) -> Tensor | None:
    """``merge`` of every summary in collection ``key`` (None when there is none, as in TF1)."""
    summaries = get_collection(key, scope)
    if not summaries:
        return None
    return merge(summaries, name=name)


def _merge_kernel(ctx: Any, *parts: Any) -> Any:
    pb = protos()
    if pb is None:
        return b""
    merged = pb.summary_pb2.Summary()
    seen: set[str] = set()
    for p in parts:
        s = pb.summary_pb2.Summary.FromString(bytes(p))
        for v in s.value:
            if v.tag in seen:
                raise InvalidArgumentError(f"tf.summary.merge: duplicate tag {v.tag!r}")
            seen.add(v.tag)
        merged.value.extend(s.value)
    return merged.SerializeToString()


register("MergeSummary", shape=_scalar_string, kernel=_merge_kernel, not_differentiable=True)
