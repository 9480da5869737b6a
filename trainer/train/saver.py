"""Checkpoints: ``Saver`` writes variables to ``<prefix>.npz`` plus a JSON index; ``restore`` checks them.

Files for ``saver.save(sess, "ckpt/model", global_step=100)``::

    ckpt/model-100.npz          the arrays, one entry per variable, keyed by variable name ("dense/kernel")
    ckpt/model-100.index.json   format, step, data file name and its sha256, and each variable's name,
                                shape and dtype
    ckpt/checkpoint             JSON state: the latest prefix and the ones kept (for latest_checkpoint)

Every file is written to a temporary file in the same folder and renamed over the old one, so a crash never
leaves a half-written checkpoint behind a valid name. ``restore`` verifies the checksum before trusting the
data, and the names, shapes and dtypes of the variables it restores; values round-trip exactly.

    >>> saver = tf.train.Saver(max_to_keep=3)                    # doctest: +SKIP
    >>> path = saver.save(sess, "/tmp/ckpt/model", global_step=step)   # doctest: +SKIP
    >>> saver.restore(sess, tf.train.latest_checkpoint("/tmp/ckpt"))   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

import trainer as tf
from trainer.errors import DataLossError, InvalidArgumentError, NotFoundError

FORMAT = "tensorlet-checkpoint"
VERSION = 1
STATE_FILE = "checkpoint"
INDEX_SUFFIX = ".index.json"
DATA_SUFFIX = ".npz"


def _var_name(v: Any) -> str:
    return v.op.name


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _strip(path: str | os.PathLike[str]) -> str:
    """Accept the prefix, or either of its files, and return the prefix."""
    p = os.fspath(path)
    for suffix in (INDEX_SUFFIX, DATA_SUFFIX):
        if p.endswith(suffix):
            return p[: -len(suffix)]
    return p


class Saver:
    """Save and restore variables (default: every global variable, slot variables and global_step included).

    ``var_list`` may be a list of variables or a dict ``{checkpoint_name: variable}``.
    ``max_to_keep`` most recent checkpoints are kept in the folder's state file; older ones are deleted
    (``None`` or 0 keeps all).
    """

    def __init__(
        self, var_list: Iterable[Any] | Mapping[str, Any] | None = None, max_to_keep: int | None = 5
    ) -> None:
        if var_list is None:
            var_list = tf.global_variables()
        if isinstance(var_list, Mapping):
            items = list(var_list.items())
        else:
            items = [(_var_name(v), v) for v in var_list]
        if not items:
            raise InvalidArgumentError("Saver: no variables to save")
        names = [n for n, _ in items]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise InvalidArgumentError(f"Saver: duplicate variable names {dupes}")
        self._vars: dict[str, Any] = dict(items)
        self.max_to_keep = max_to_keep
        self._kept: list[str] = []

    @property
    def var_list(self) -> dict[str, Any]:
        return dict(self._vars)

    @property
    def last_checkpoints(self) -> list[str]:
        """Prefixes of the checkpoints this Saver keeps, oldest first."""
        return list(self._kept)

    # ------------------------------------------------------------------ save
    def save(
        self,
        sess: Any,
        save_path: str | os.PathLike[str],
        global_step: Any = None,
        write_state: bool = True,
    ) -> str:
        """Write a checkpoint and return its prefix (``save_path`` or ``save_path-<step>``)."""
        prefix = os.fspath(save_path)
        step = None
        if global_step is not None:
            step = int(global_step if isinstance(global_step, (int, np.integer)) else sess.run(global_step))
            prefix = f"{prefix}-{step}"
        names = list(self._vars)
        values = sess.run([self._vars[n] for n in names])
        arrays = {n: np.asarray(a) for n, a in zip(names, values, strict=True)}
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        data = buf.getvalue()
        index = {
            "format": FORMAT,
            "version": VERSION,
            "step": step,
            "data_file": os.path.basename(prefix) + DATA_SUFFIX,
            "data_bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "variables": [
                {"name": n, "shape": list(arrays[n].shape), "dtype": arrays[n].dtype.name} for n in names
            ],
        }
        _atomic_write(Path(prefix + DATA_SUFFIX), data)
        _atomic_write(Path(prefix + INDEX_SUFFIX), (json.dumps(index, indent=1) + "\n").encode())
        if write_state:
            self._update_state(prefix)
        return prefix

    def _update_state(self, prefix: str) -> None:
        folder = Path(prefix).parent
        if not self._kept:  # continue the list an earlier Saver left in this folder
            self._kept = [str(folder / p) for p in _read_state(folder).get("all_model_checkpoint_paths", [])]
        if prefix in self._kept:
            self._kept.remove(prefix)
        self._kept.append(prefix)
        if self.max_to_keep:
            while len(self._kept) > self.max_to_keep:
                old = self._kept.pop(0)
                for suffix in (DATA_SUFFIX, INDEX_SUFFIX):
                    if os.path.exists(old + suffix):
                        os.unlink(old + suffix)
        state = {
            "model_checkpoint_path": os.path.basename(prefix),
            "all_model_checkpoint_paths": [os.path.relpath(p, folder) for p in self._kept],
        }
        _atomic_write(folder / STATE_FILE, (json.dumps(state, indent=1) + "\n").encode())

    # ------------------------------------------------------------------ restore
    def restore(self, sess: Any, save_path: str | os.PathLike[str] | None) -> None:
        """Load every variable of this Saver from the checkpoint ``save_path`` (a prefix from :meth:`save`).

        Raises ``NotFoundError`` (missing checkpoint or variable), ``DataLossError`` (truncated or corrupt
        files) or ``InvalidArgumentError`` (shape or dtype differs from the graph's variable).
        """
        if save_path is None:
            raise NotFoundError("Saver.restore: no checkpoint path given (latest_checkpoint found none?)")
        index, arrays = load_checkpoint(save_path)
        checked = []
        for name, v in self._vars.items():
            if name not in arrays:
                raise NotFoundError(
                    f"Saver.restore: variable {name!r} not found in checkpoint {_strip(save_path)!r} "
                    f"(it has {sorted(arrays)})"
                )
            a = arrays[name]
            want_shape = v.shape.as_list()
            if list(a.shape) != want_shape:
                raise InvalidArgumentError(
                    f"Saver.restore: variable {name!r} has shape {want_shape} in the graph but "
                    f"{list(a.shape)} in checkpoint {_strip(save_path)!r}"
                )
            if a.dtype != v.dtype.np:
                raise InvalidArgumentError(
                    f"Saver.restore: variable {name!r} has dtype {v.dtype.name} in the graph but "
                    f"{a.dtype.name} in checkpoint {_strip(save_path)!r}"
                )
            checked.append((v, a))
        # Only after every check passed: a failed restore leaves the session as it was.
        for v, a in checked:
            v.load(a, sess)


def load_checkpoint(save_path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read and verify a checkpoint: ``(index, {name: array})``. No graph needed."""
    prefix = _strip(save_path)
    index_path, data_path = Path(prefix + INDEX_SUFFIX), Path(prefix + DATA_SUFFIX)
    if not index_path.is_file():
        raise NotFoundError(f"checkpoint {prefix!r} not found: no file {str(index_path)!r}")
    try:
        index = json.loads(index_path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataLossError(f"checkpoint index {str(index_path)!r} is corrupt or truncated ({e})") from e
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise DataLossError(f"{str(index_path)!r} is not a tensorlet checkpoint index")
    if index.get("version") != VERSION:
        raise InvalidArgumentError(
            f"checkpoint {prefix!r}: version {index.get('version')!r}, this build reads version {VERSION}"
        )
    if not data_path.is_file():
        raise NotFoundError(f"checkpoint {prefix!r}: data file {str(data_path)!r} is missing")
    data = data_path.read_bytes()
    if len(data) != index.get("data_bytes") or hashlib.sha256(data).hexdigest() != index.get("sha256"):
        raise DataLossError(
            f"checkpoint {prefix!r}: data file {str(data_path)!r} is truncated or corrupt "
            f"({len(data)} bytes, expected {index.get('data_bytes')}; checksum mismatch)"
        )
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile, KeyError) as e:
        raise DataLossError(f"checkpoint {prefix!r}: cannot read {str(data_path)!r} ({e})") from e
    for entry in index.get("variables", []):
        a = arrays.get(entry["name"])
        if a is None or list(a.shape) != entry["shape"] or a.dtype.name != entry["dtype"]:
            raise DataLossError(f"checkpoint {prefix!r}: entry {entry['name']!r} disagrees with its index")
    return index, arrays


def _read_state(folder: Path) -> dict[str, Any]:
    path = folder / STATE_FILE
    if not path.is_file():
        return {}
    try:
        state = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataLossError(f"checkpoint state file {str(path)!r} is corrupt ({e})") from e
    return state if isinstance(state, dict) else {}


def latest_checkpoint(checkpoint_dir: str | os.PathLike[str]) -> str | None:
    """The prefix of the newest checkpoint recorded in ``checkpoint_dir``'s state file, or None."""
    folder = Path(checkpoint_dir)
    name = _read_state(folder).get("model_checkpoint_path")
    if not name:
        return None
    prefix = str(folder / name)
    return prefix if os.path.exists(prefix + INDEX_SUFFIX) else None


def list_variables(save_path: str | os.PathLike[str]) -> list[tuple[str, list[int]]]:
    """``[(name, shape)]`` of a checkpoint (TF1 ``tf.train.list_variables``)."""
    index, _ = load_checkpoint(save_path)
    return [(e["name"], e["shape"]) for e in index["variables"]]
