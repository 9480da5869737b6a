"""Reading checkpoints without a Saver, and initializing variables from one (TF1's ``checkpoint_utils``).

``init_from_checkpoint(ckpt, assignment_map)`` replaces the initializers of the mapped variables: running
``tf.global_variables_initializer()`` (built afterwards) then loads their values from the checkpoint, the
others keep their own initializers. The assignment map has TF1's forms:

* ``{"old_scope/var": "new_scope/var"}`` (or a Variable as the value): one variable;
* ``{"old_scope/": "new_scope/"}``: every variable under ``new_scope/`` from the same name under
  ``old_scope/``;
* ``{"/": "new_scope/"}``: every variable under ``new_scope/`` from the checkpoint's top level;
* ``{"old_scope/": "/"}``: every variable of the graph from ``old_scope/<its name>``.

>>> import trainer as tf
>>> tf.train.list_variables("ckpt/model-100")            # doctest: +SKIP
[('conv/kernel', [3, 3, 1, 32]), ...]
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from trainer.errors import InvalidArgumentError, NotFoundError
from trainer.graph import get_default_graph
from trainer.ops import array_ops, state_ops
from trainer.train.saver import _read_index, _strip, latest_checkpoint, load_checkpoint
from trainer.variables import Variable


def _prefix(ckpt_dir_or_file: str | os.PathLike[str]) -> str:
    """A checkpoint prefix from a prefix, one of its files, or a folder (its latest checkpoint)."""
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        latest = latest_checkpoint(path)
        if latest is None:
            raise NotFoundError(f"no checkpoint in folder {path!r}")
        return latest
    return _strip(path)


class CheckpointReader:
    """``tf.train.NewCheckpointReader`` / ``tf.train.load_checkpoint``: the names, shapes and values of a
    checkpoint (``get_tensor``, ``get_variable_to_shape_map``, ``get_variable_to_dtype_map``,
    ``has_tensor``).

    It also unpacks as the ``(index, {name: array})`` pair that ``tf.train.load_checkpoint`` returned in
    earlier tensorlet versions (``index, arrays = tf.train.load_checkpoint(path)``); ``names`` and
    ``max_bytes`` restrict and bound that pair as before, checked when the reader is made.
    """

    def __init__(
        self,
        ckpt_dir_or_file: str | os.PathLike[str],
        names: Any = None,
        max_bytes: int | None = None,
    ) -> None:
        self.prefix = _prefix(ckpt_dir_or_file)
        self._entries = {e["name"]: e for e in _read_index(self.prefix)["variables"]}
        self._pair: tuple[dict[str, Any], dict[str, np.ndarray]] | None = None
        self._names = None if names is None else list(names)
        if names is not None or max_bytes is not None:
            self._pair = load_checkpoint(self.prefix, names=self._names, max_bytes=max_bytes)

    def _as_pair(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        if self._pair is None:
            self._pair = load_checkpoint(self.prefix)
        return self._pair

    def __iter__(self) -> Any:
        return iter(self._as_pair())

    def __getitem__(self, i: int) -> Any:
        return self._as_pair()[i]

    def __len__(self) -> int:
        return 2

    def get_variable_to_shape_map(self) -> dict[str, list[int]]:
        return {n: list(e["shape"]) for n, e in self._entries.items()}

    def get_variable_to_dtype_map(self) -> dict[str, np.dtype]:
        return {n: np.dtype(e["dtype"]) for n, e in self._entries.items()}

    def has_tensor(self, name: str) -> bool:
        return name in self._entries

    def get_tensor(self, name: str) -> np.ndarray:
        """The value of ``name`` (NotFoundError when the checkpoint has no such tensor)."""
        if name.endswith(":0"):
            name = name[:-2]
        if self._pair is not None and name in self._pair[1]:
            return self._pair[1][name]
        return load_checkpoint(self.prefix, names=[name])[1][name]


def NewCheckpointReader(ckpt_dir_or_file: str | os.PathLike[str]) -> CheckpointReader:  # noqa: N802 (TF1)
    return CheckpointReader(ckpt_dir_or_file)


def load_checkpoint_reader(
    ckpt_dir_or_file: str | os.PathLike[str], names: Any = None, max_bytes: int | None = None
) -> CheckpointReader:
    """``tf.train.load_checkpoint``: a reader for a checkpoint prefix, one of its files or a folder (its
    latest checkpoint); it also unpacks as the older ``(index, arrays)`` pair (see CheckpointReader)."""
    return CheckpointReader(ckpt_dir_or_file, names=names, max_bytes=max_bytes)


def load_variable(ckpt_dir_or_file: str | os.PathLike[str], name: str) -> np.ndarray:
    """The value of variable ``name`` (``"dense/kernel"``; a ``:0`` suffix is ignored) in a checkpoint."""
    if name.endswith(":0"):
        name = name[:-2]
    return CheckpointReader(ckpt_dir_or_file).get_tensor(name)


def _graph_variables() -> dict[str, Variable]:
    """The default graph's variables by name: ``get_variable``'s store and every global variable."""
    g = get_default_graph()
    found: dict[str, Variable] = {}
    for v in g.get_collection("variables"):
        if isinstance(v, Variable):
            found[v.op.name] = v
    for k, v in g._var_store.items():
        found.setdefault(k, v)
    return found


def _set_initializer(v: Variable, value: np.ndarray) -> None:
    """Make ``v``'s initializer assign ``value`` (a constant built next to the variable)."""
    g = v.graph
    with g._control_flow_body(None), g.control_dependencies(None), g.device(v.device or None):
        with g.name_scope(v.op.name + "/"):
            const = array_ops.constant(value.astype(v.dtype.np, copy=False), name="checkpoint_init")
            assign = state_ops.assign(v, const, name="checkpoint_init_assign")
    v.initial_value = const
    v.initializer = assign.op


def init_from_checkpoint(ckpt_dir_or_file: str | os.PathLike[str], assignment_map: Mapping[str, Any]) -> None:
    """Initialize variables from a checkpoint (TF1 semantics; see the module docstring).

    Raises ``NotFoundError`` naming the checkpoint tensor or graph variable that is missing, and
    ``InvalidArgumentError`` naming the variable and both shapes when they differ; nothing is changed then.
    """
    prefix = _prefix(ckpt_dir_or_file)
    shapes = {e["name"]: (e["shape"], e["dtype"]) for e in _read_index(prefix)["variables"]}
    graph_vars = _graph_variables()
    plan: dict[str, tuple[Variable, str]] = {}  # variable op name -> (variable, checkpoint name)
    for ckpt_name, current in sorted(assignment_map.items(), key=lambda kv: kv[0]):
        if isinstance(current, Variable):
            var: Variable | None = current
        else:
            current = str(current)
            var = graph_vars.get(current[:-2] if current.endswith(":0") else current)
        if var is not None:
            plan[var.op.name] = (var, ckpt_name)
            continue
        if not (current.endswith("/") or current == "/"):
            raise NotFoundError(f"init_from_checkpoint: no variable {current!r} in the graph")
        if not ckpt_name.endswith("/"):
            raise InvalidArgumentError(
                f"init_from_checkpoint: scope {current!r} must map from a scope ending in '/', "
                f"got {ckpt_name!r}"
            )
        scope = current[: current.rindex("/")] if "/" in current else ""
        matched = [n for n in sorted(graph_vars) if not scope or n.startswith(scope + "/")]
        if not matched:
            raise NotFoundError(f"init_from_checkpoint: no variable under scope {current!r} in the graph")
        for name in matched:
            rest = name[len(scope) :]
            if current != "/" and scope:
                rest = rest[1:]
            full = rest if ckpt_name == "/" else ckpt_name + rest
            plan[name] = (graph_vars[name], full.rstrip("/"))
    for var, ckpt_name in plan.values():  # check everything before changing anything
        if ckpt_name not in shapes:
            raise NotFoundError(
                f"init_from_checkpoint: tensor {ckpt_name!r} (for variable {var.op.name!r}) not found in "
                f"checkpoint {prefix!r}"
            )
        shape, dtype = shapes[ckpt_name]
        if not var.shape.is_compatible_with(shape):
            raise InvalidArgumentError(
                f"init_from_checkpoint: variable {var.op.name!r} has shape {var.shape.as_list()} in the "
                f"graph but {shape} in checkpoint {prefix!r} (tensor {ckpt_name!r})"
            )
        if np.dtype(dtype) != var.dtype.np:
            raise InvalidArgumentError(
                f"init_from_checkpoint: variable {var.op.name!r} has dtype {var.dtype.name} in the graph "
                f"but {dtype} in checkpoint {prefix!r} (tensor {ckpt_name!r})"
            )
    if not plan:
        return
    _, arrays = load_checkpoint(prefix, names=sorted({c for _, c in plan.values()}))
    for var, ckpt_name in plan.values():
        _set_initializer(var, arrays[ckpt_name])
