"""Our Graph as a TensorFlow ``GraphDef`` protobuf, for TensorBoard's graph tab.

Each op becomes a ``NodeDef``: its name, type, inputs (``"op"`` for output 0, ``"op:1"``, ``"^op"`` for a
control input), device, its plain attrs (ints, floats, bools, strings, dtypes, lists of ints) and two attrs
TensorBoard reads: ``dtype`` (the first output's type) and ``_output_shapes``. The graph is for viewing; it
is not meant to be imported into TensorFlow.
"""

from __future__ import annotations

from typing import Any

from trainer import dtypes as _dt
from trainer.graph import Graph, Tensor

_TF_TYPES = {
    "float32": 1,  # DT_FLOAT
    "float64": 2,
    "int32": 3,
    "uint8": 4,
    "int16": 5,
    "int8": 6,
    "string": 7,
    "int64": 9,
    "bool": 10,
    "float16": 19,
}


def _input_name(t: Tensor) -> str:
    return t.op.name if t.value_index == 0 else f"{t.op.name}:{t.value_index}"


def _shape_proto(pb: Any, shape: Any) -> Any:
    tsp = pb.tensor_shape_pb2.TensorShapeProto
    if shape.dims is None:
        return tsp(unknown_rank=True)
    return tsp(dim=[tsp.Dim(size=-1 if d is None else int(d)) for d in shape.dims])


def _attr_value(pb: Any, v: Any) -> Any:
    """An ``AttrValue`` for a plain attr, or None for what a GraphDef cannot hold (callables, arrays)."""
    av = pb.attr_value_pb2.AttrValue
    if isinstance(v, bool):
        return av(b=v)
    if isinstance(v, int):
        return av(i=v)
    if isinstance(v, float):
        return av(f=v)
    if isinstance(v, str):
        return av(s=v.encode("utf-8"))
    if isinstance(v, _dt.DType):
        return av(type=_TF_TYPES.get(v.name, 0))
    if isinstance(v, (tuple, list)) and all(isinstance(x, int) and not isinstance(x, bool) for x in v):
        return av(list=av.ListValue(i=list(v)))
    return None


def to_graph_def(graph: Graph, pb: Any) -> Any:
    """``graph`` as a ``GraphDef`` built from the tensorboard protobufs ``pb``."""
    gd = pb.graph_pb2.GraphDef()
    for op in graph.get_operations():
        node = gd.node.add()
        node.name = op.name
        node.op = op.type
        node.device = op.device or ""
        node.input.extend([_input_name(t) for t in op.inputs] + [f"^{c.name}" for c in op.control_inputs])
        for k, v in sorted(op.attrs.items()):
            a = _attr_value(pb, v)
            if a is not None:
                node.attr[k].CopyFrom(a)
        if op.outputs:
            if "dtype" not in node.attr:
                node.attr["dtype"].CopyFrom(_attr_value(pb, op.outputs[0].dtype))
            shapes = [_shape_proto(pb, t.shape) for t in op.outputs]
            node.attr["_output_shapes"].list.shape.extend(shapes)
    return gd


def node_defs_to_graph_def(nodes: list[dict[str, Any]], pb: Any) -> Any:
    """A ``GraphDef`` from ``Session.graph_def`` (a list of node dicts: name, op, input, attr, device), what
    older TF1 programs hand to ``FileWriter(logdir, sess.graph_def)``. Output shapes are not in the dicts."""
    gd = pb.graph_pb2.GraphDef()
    for nd in nodes:
        node = gd.node.add()
        node.name, node.op, node.device = str(nd["name"]), str(nd["op"]), str(nd.get("device") or "")
        node.input.extend(n[: -len(":0")] if str(n).endswith(":0") else str(n) for n in nd.get("input", []))
        for k, v in sorted(dict(nd.get("attr", {})).items()):
            a = _attr_value(pb, v)
            if a is not None:
                node.attr[k].CopyFrom(a)
    return gd
