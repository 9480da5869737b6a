"""Meta graphs: a graph written to a file and rebuilt without the Python code that built it (TF1 idioms).

``Saver.save`` writes ``<prefix>.meta`` next to the checkpoint; in another process::

    saver = tf.train.import_meta_graph("ckpt/model-100.meta")
    with tf.Session() as sess:
        saver.restore(sess, "ckpt/model-100")
        logits = tf.get_default_graph().get_tensor_by_name("dense_1/BiasAdd:0")

**Format** (our own, not TensorFlow's ``MetaGraphDef`` protobuf): a zip file holding ``meta_graph.json``
and one ``.npy`` member per array attr. The JSON lists every op in creation order (a topological order):
type, name, input tensor names, attrs, device, control inputs, colocation, output shapes and dtypes; then the
collections, the variables (their op, initializer, initial value, trainable flag), the graph seed and the
Saver's ``{checkpoint name: variable op}`` map. Attr values are JSON values tagged by kind (tuple, array,
dtype, shape, tensor or op reference); arrays are loaded with ``allow_pickle=False``.

**Rebuilding** is generic: each op is recreated from its type and attrs through the registry
(``Graph.create_op`` runs the op's own shape function, then the saved static shapes are applied), so a new op
type needs no code here.

**Refused**: an op whose attrs hold something that is not plain data (a Python callable, an object) cannot
be written; control-flow ops (``If``, ``While`` from ``tf.cond``/``tf.while_loop``) hold their branches as
Python sub-graph bodies, so a graph using them is refused with an error naming the op (``Saver.save`` then
warns and writes the checkpoint without a ``.meta``); rebuild such models in code. Collection items that
are not variables, tensors, operations or plain strings/numbers are skipped with a warning, as TF1 does.
"""

from __future__ import annotations

import base64
import io
import json
import os
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.errors import DataLossError, InvalidArgumentError, NotFoundError, TensorletError
from trainer.graph import Graph, Operation, Tensor, get_default_graph
from trainer.tensor_shape import TensorShape
from trainer.train.atomic_file import atomic_write
from trainer.variables import Variable

FORMAT = "tensorlet-meta-graph"
VERSION = 1
META_SUFFIX = ".meta"
_JSON_MEMBER = "meta_graph.json"
_MAX_JSON_BYTES = 1 << 28


class _Encoder:
    """Attr values to tagged JSON; arrays go to ``self.arrays`` (member ``a<N>.npy``)."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []

    def array(self, value: np.ndarray) -> dict[str, Any]:
        self.arrays.append(np.asarray(value))
        return {"k": "array", "v": len(self.arrays) - 1}

    def encode(self, value: Any, where: str) -> Any:
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        if isinstance(value, bytes):
            return {"k": "bytes", "v": base64.b64encode(value).decode("ascii")}
        if isinstance(value, np.ndarray):
            if value.dtype.hasobject or value.dtype.kind in "USV":
                raise InvalidArgumentError(f"export_meta_graph: {where} is a {value.dtype} array")
            return self.array(value)
        if isinstance(value, np.generic):
            return {"k": "scalar", "v": self.array(np.asarray(value))["v"]}
        if isinstance(value, _dt.DType):
            return {"k": "dtype", "v": value.name}
        if isinstance(value, TensorShape):
            return {"k": "shape", "v": None if value.dims is None else value.as_list()}
        if isinstance(value, list):
            return [self.encode(v, where) for v in value]
        if isinstance(value, tuple):
            return {"k": "tuple", "v": [self.encode(v, where) for v in value]}
        if isinstance(value, dict):
            pairs = [[self.encode(k, where), self.encode(v, where)] for k, v in value.items()]
            return {"k": "dict", "v": pairs}
        if isinstance(value, Tensor):
            return {"k": "tensor", "v": value.name}
        if isinstance(value, Operation):
            return {"k": "op", "v": value.name}
        kind = "a Python callable" if callable(value) else f"a {type(value).__name__}"
        raise InvalidArgumentError(
            f"export_meta_graph: {where} holds {kind}, which a meta graph cannot store "
            "(control-flow ops keep Python sub-graph bodies; save with write_meta_graph=False and rebuild "
            "such models in code)"
        )


# The Saver class import_meta_graph returns. trainer.train.saver installs it when imported (TF1's pattern of
# the owner installing itself): the saver depends on this module for Saver.save's meta graph, and this module
# never imports the saver back.
_SAVER_CLASS: list[type] = []


def install_saver(cls: type) -> None:
    """Called once by trainer.train.saver with its Saver class."""
    _SAVER_CLASS[:] = [cls]


def _installed_saver() -> type:
    if not _SAVER_CLASS:
        raise TensorletError("import_meta_graph needs trainer.train (import trainer, or trainer.train)")
    return _SAVER_CLASS[0]


def _graph_of(graph: Graph | None) -> Graph:
    return graph if graph is not None else get_default_graph()


def _collection_item(item: Any) -> dict[str, Any] | None:
    if isinstance(item, Variable):
        return {"k": "variable", "v": item.op.name}
    if isinstance(item, Tensor):
        return {"k": "tensor", "v": item.name}
    if isinstance(item, Operation):
        return {"k": "op", "v": item.name}
    if isinstance(item, (str, int, float)) and not isinstance(item, bool):
        return {"k": "value", "v": item}
    return None


def meta_graph_bytes(graph: Graph | None = None, saver_vars: Mapping[str, Any] | None = None) -> bytes:
    """The meta graph file of ``graph`` (default graph) as bytes; ``saver_vars`` is the Saver's map."""
    g = _graph_of(graph)
    enc = _Encoder()
    ops = []
    for op in g.get_operations():
        if op._cf is not None:
            raise InvalidArgumentError(
                f"export_meta_graph: op {op.name!r} ({op.type}) lives inside a control-flow body "
                "(tf.cond/tf.while_loop), which a meta graph cannot store; save with write_meta_graph=False"
            )
        ops.append(
            {
                "name": op.name,
                "type": op.type,
                "inputs": [t.name for t in op.inputs],
                "attrs": {
                    k: enc.encode(v, f"op {op.name!r} ({op.type}) attr {k!r}") for k, v in op.attrs.items()
                },
                "device": op.device,
                "control_inputs": [c.name for c in op.control_inputs],
                "colocate": [c.name for c in op.colocate],
                "outputs": [
                    {"dtype": t.dtype.name, "shape": None if t.shape.dims is None else t.shape.as_list()}
                    for t in op.outputs
                ],
            }
        )
    variables: dict[str, dict[str, Any]] = {}
    collections: dict[str, list[Any]] = {}
    skipped = []
    for key in g.get_all_collection_keys():
        items = []
        for item in g.get_collection(key):
            if isinstance(item, Variable):
                variables[item.op.name] = {
                    "op": item.op.name,
                    "initializer": item.initializer.name,
                    "initial_value": item.initial_value.name,
                    "trainable": bool(item.trainable),
                }
            enc_item = _collection_item(item)
            if enc_item is None:
                skipped.append(f"{key}: {type(item).__name__}")
            else:
                items.append(enc_item)
        collections[str(key)] = items
    if skipped:
        warnings.warn(
            f"export_meta_graph: skipped collection items that are not graph elements: {skipped}",
            stacklevel=3,
        )
    store = {k: v.op.name for k, v in g._var_store.items() if isinstance(v, Variable)}
    saver = None if saver_vars is None else {k: v.op.name for k, v in saver_vars.items()}
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "seed": g.seed,
        "ops": ops,
        "variables": list(variables.values()),
        "var_store": store,
        "collections": collections,
        "saver": saver,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(_JSON_MEMBER, json.dumps(doc, separators=(",", ":")))
        for i, a in enumerate(enc.arrays):
            member = io.BytesIO()
            np.save(member, a, allow_pickle=False)
            zf.writestr(f"a{i}.npy", member.getvalue())
    return buf.getvalue()


def export_meta_graph(
    filename: str | os.PathLike[str] | None = None,
    graph: Graph | None = None,
    clear_devices: bool = False,
    saver: Any = None,
    **_ignored: Any,
) -> bytes:
    """Write the meta graph of ``graph`` (default graph) to ``filename`` (when given) and return its bytes.

    ``saver`` (a :class:`~trainer.train.Saver`) records which variables ``import_meta_graph``'s Saver
    restores; default: every global variable. ``clear_devices`` drops the ops' device strings."""
    g = _graph_of(graph)
    data = meta_graph_bytes(g, None if saver is None else saver.var_list)
    if clear_devices:
        data = _rewrite_devices(data)
    if filename is not None:
        atomic_write(Path(os.fspath(filename)), data)
    return data


def _rewrite_devices(data: bytes) -> bytes:
    doc, arrays = _read(io.BytesIO(data), "<bytes>")
    for op in doc["ops"]:
        op["device"] = ""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(_JSON_MEMBER, json.dumps(doc, separators=(",", ":")))
        for i, a in enumerate(arrays):
            member = io.BytesIO()
            np.save(member, a, allow_pickle=False)
            zf.writestr(f"a{i}.npy", member.getvalue())
    return buf.getvalue()


def _read(source: Any, where: str) -> tuple[dict[str, Any], list[np.ndarray]]:
    try:
        with zipfile.ZipFile(source) as zf:
            info = zf.getinfo(_JSON_MEMBER)
            if info.file_size > _MAX_JSON_BYTES:
                raise DataLossError(f"meta graph {where}: its JSON claims {info.file_size} bytes")
            doc = json.loads(zf.read(info).decode("utf-8"))
            if not isinstance(doc, dict) or doc.get("format") != FORMAT:
                raise DataLossError(f"{where} is not a tensorlet meta graph")
            if doc.get("version") != VERSION:
                raise InvalidArgumentError(
                    f"meta graph {where}: version {doc.get('version')!r}, this build reads {VERSION}"
                )
            names = [i.filename for i in zf.infolist() if i.filename != _JSON_MEMBER]
            arrays = []
            for i in range(len(names)):
                info = zf.getinfo(f"a{i}.npy")
                if info.file_size > 1032 * info.compress_size + 4096:  # deflate's ratio limit: a zip bomb
                    raise DataLossError(
                        f"meta graph {where}: member {info.filename} claims {info.file_size} bytes"
                    )
                with zf.open(info) as f:
                    arrays.append(np.load(io.BytesIO(f.read()), allow_pickle=False))
    except TensorletError:
        raise
    except (KeyError, ValueError, zipfile.BadZipFile, OSError, EOFError, RecursionError) as e:
        raise DataLossError(f"meta graph {where} is corrupt or truncated ({e})") from e
    for key in ("ops", "variables", "collections"):
        if not isinstance(doc.get(key), (list, dict)):
            raise DataLossError(f"meta graph {where}: field {key!r} is missing")
    return doc, arrays


class _Decoder:
    def __init__(self, g: Graph, arrays: list[np.ndarray], rename: Any) -> None:
        self.g, self.arrays, self.rename = g, arrays, rename

    def decode(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.rename.name_ref(value)
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if not isinstance(value, dict) or "k" not in value:
            raise DataLossError(f"meta graph: bad attr value {str(value)[:80]}")
        k, v = value["k"], value.get("v")
        if k == "array":
            return self.arrays[v]
        if k == "scalar":
            return self.arrays[v][()]
        if k == "bytes":
            return base64.b64decode(v)
        if k == "dtype":
            return _dt.as_dtype(v)
        if k == "shape":
            return TensorShape(v)
        if k == "tuple":
            return tuple(self.decode(x) for x in v)
        if k == "dict":
            return {self.decode(a): self.decode(b) for a, b in v}
        if k == "tensor":
            return self.g.get_tensor_by_name(self.rename.tensor(v))
        if k == "op":
            return self.g.get_operation_by_name(self.rename.op(v))
        raise DataLossError(f"meta graph: unknown attr kind {k!r}")


class _Rename:
    """Names under ``import_scope``: op and tensor names, and string attrs naming an op of the meta graph
    (a stateful op names its variable by op name, ``attrs["var"]``)."""

    def __init__(self, scope: str | None, op_names: set[str]) -> None:
        self.prefix = scope.rstrip("/") + "/" if scope else ""
        self.op_names = op_names

    def op(self, name: str) -> str:
        return self.prefix + name

    def tensor(self, name: str) -> str:
        return self.prefix + name

    def name_ref(self, value: str) -> str:
        return self.prefix + value if self.prefix and value in self.op_names else value


def _mark_names_used(g: Graph, name: str) -> None:
    """Scopes of an imported op count as used: a new ``name_scope("dense")`` becomes ``dense_1``."""
    parts = name.split("/")
    for i in range(1, len(parts) + 1):
        key = "/".join(parts[:i])
        g._names_in_use.setdefault(key.lower(), 1)
        if i < len(parts):
            g._var_scope_counts[key] = max(g._var_scope_counts.get(key, 0), 1)


def import_meta_graph(
    meta_graph_or_file: str | os.PathLike[str] | bytes,
    clear_devices: bool = False,
    import_scope: str | None = None,
    graph: Graph | None = None,
    **_ignored: Any,
) -> Any:
    """Rebuild a meta graph in the default graph (or ``graph``); return a Saver over its variables (the
    saved Saver's variables when it was written by ``Saver.save``), or None when it has no variables.

    ``meta_graph_or_file``: the ``.meta`` file, its checkpoint prefix, or the bytes. ``import_scope``
    prefixes every imported name (``"scope/dense/kernel"``); the checkpoint names stay the saved ones, so
    the returned Saver restores the original checkpoint. ``clear_devices`` drops device placements.
    """
    if isinstance(meta_graph_or_file, bytes):
        doc, arrays = _read(io.BytesIO(meta_graph_or_file), "<bytes>")
    else:
        path = os.fspath(meta_graph_or_file)
        if not path.endswith(META_SUFFIX) and os.path.exists(path + META_SUFFIX):
            path += META_SUFFIX
        if not os.path.isfile(path):
            raise NotFoundError(f"import_meta_graph: no meta graph file {path!r}")
        doc, arrays = _read(path, repr(path))
    g = _graph_of(graph)
    try:
        return _rebuild(doc, arrays, g, clear_devices, import_scope)
    except (KeyError, TypeError, IndexError, AttributeError, ValueError) as e:
        if isinstance(e, TensorletError):
            raise
        raise DataLossError(
            f"import_meta_graph: the meta graph is malformed ({type(e).__name__}: {e})"
        ) from e


def _rebuild(
    doc: dict[str, Any], arrays: list[np.ndarray], g: Graph, clear_devices: bool, import_scope: str | None
) -> Any:
    """The ops, variables, collections and Saver of a parsed meta graph, built in ``g``."""
    saver_class = _installed_saver()
    rename = _Rename(import_scope, {op["name"] for op in doc["ops"]})
    dec = _Decoder(g, arrays, rename)
    if doc.get("seed") is not None and g.seed is None:
        g.seed = int(doc["seed"])
    with g._control_flow_body(None), g.control_dependencies(None), g.device(None), g.name_scope(None):
        for rec in doc["ops"]:
            name = rename.op(rec["name"])
            try:
                inputs = [g.get_tensor_by_name(rename.tensor(t)) for t in rec["inputs"]]
                attrs = {k: dec.decode(v) for k, v in rec["attrs"].items()}
                op = g.create_op(rec["type"], inputs, attrs, name + "/")
            except NotFoundError as e:
                raise NotFoundError(f"import_meta_graph: op {name!r} ({rec['type']}): {e}") from None
            except InvalidArgumentError as e:
                raise InvalidArgumentError(f"import_meta_graph: op {name!r} ({rec['type']}): {e}") from None
            op.device = "" if clear_devices else str(rec.get("device", ""))
            op.control_inputs = tuple(g.get_operation_by_name(rename.op(c)) for c in rec["control_inputs"])
            op.colocate = tuple(g.get_operation_by_name(rename.op(c)) for c in rec.get("colocate", []))
            if len(rec["outputs"]) != len(op.outputs):
                raise InvalidArgumentError(
                    f"import_meta_graph: op {name!r} ({rec['type']}) has {len(op.outputs)} outputs here, "
                    f"{len(rec['outputs'])} in the meta graph"
                )
            for t, out in zip(op.outputs, rec["outputs"], strict=True):
                if t.dtype.name != out["dtype"]:
                    raise InvalidArgumentError(
                        f"import_meta_graph: {t.name} has dtype {t.dtype.name} here, {out['dtype']} in the "
                        "meta graph"
                    )
                t._shape = TensorShape(out["shape"])
            _mark_names_used(g, name)
    by_op: dict[str, Variable] = {}
    for rec in doc["variables"]:
        by_op[rec["op"]] = _rebuild_variable(g, rename, rec)
    for key, items in doc["collections"].items():
        ref = g.get_collection_ref(key)
        for item in items:
            k, v = item["k"], item["v"]
            if k == "variable":
                ref.append(by_op[v])
            elif k == "tensor":
                ref.append(g.get_tensor_by_name(rename.tensor(v)))
            elif k == "op":
                ref.append(g.get_operation_by_name(rename.op(v)))
            else:
                ref.append(v)
    for key, op_name in (doc.get("var_store") or {}).items():
        if op_name in by_op:
            g._var_store[rename.op(key)] = by_op[op_name]
    if not by_op:
        return None
    saver_map = doc.get("saver")
    if saver_map:
        return saver_class({ckpt: by_op[op_name] for ckpt, op_name in saver_map.items()})
    return saver_class({op_name: v for op_name, v in by_op.items()})


def _rebuild_variable(g: Graph, rename: _Rename, rec: Mapping[str, Any]) -> Variable:
    """A :class:`Variable` around imported ops (no new op is built)."""
    v = Variable.__new__(Variable)
    v.graph = g
    v.op = g.get_operation_by_name(rename.op(rec["op"]))
    v._ref = v.op.outputs[0]
    v.initializer = g.get_operation_by_name(rename.op(rec["initializer"]))
    v.initial_value = g.get_tensor_by_name(rename.tensor(rec["initial_value"]))
    v._snapshot = None
    v.trainable = bool(rec["trainable"])
    return v
