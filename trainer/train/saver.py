"""Checkpoints: ``Saver`` writes variables to ``<prefix>.npz`` plus a JSON index; ``restore`` checks them.

Files for ``saver.save(sess, "ckpt/model", global_step=100)``::

    ckpt/model-100.npz          the arrays, one entry per variable, keyed by variable name ("dense/kernel")
    ckpt/model-100.index.json   format, step, data file name and its sha256, and each variable's name,
                                shape and dtype
    ckpt/checkpoint             JSON state: the latest prefix and the ones kept (for latest_checkpoint)

Every file is written to a temporary file in the same folder and renamed over the old one, so a crash never
leaves a half-written checkpoint behind a valid name. ``restore`` verifies the checksum before trusting the
data, and the names, shapes and dtypes of the variables it restores; values round-trip exactly.

Checkpoint files are untrusted input. The index is type-checked field by field; every array's size is
checked against the index (zip member sizes and each ``.npy`` header's shape and dtype) before a byte of it
is inflated, and ``restore`` compares the index with the graph's variables before reading any data, so a
small file cannot make the loader allocate more than the variables it restores. Names in the ``checkpoint``
state file are confined to its folder: an entry with a path separator, ``..`` or an absolute path is never
followed (``latest_checkpoint`` refuses it) and never deleted. Every failure is a ``TensorletError``:
``NotFoundError``, ``DataLossError`` (corrupt or inconsistent files) or ``InvalidArgumentError``.

    >>> saver = tf.train.Saver(max_to_keep=3)                    # doctest: +SKIP
    >>> path = saver.save(sess, "/tmp/ckpt/model", global_step=step)   # doctest: +SKIP
    >>> saver.restore(sess, tf.train.latest_checkpoint("/tmp/ckpt"))   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import io
import json
import lzma
import os
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from trainer.errors import DataLossError, InvalidArgumentError, NotFoundError
from trainer.variables import global_variables

FORMAT = "tensorlet-checkpoint"
VERSION = 1
STATE_FILE = "checkpoint"
INDEX_SUFFIX = ".index.json"
DATA_SUFFIX = ".npz"
# dtypes a checkpoint may hold (plain numbers: nothing numpy would need pickle or a structured dtype for)
DTYPES = frozenset(
    np.dtype(t).name
    for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)
    + (np.float16, np.float32, np.float64, np.complex64, np.complex128)
)
MAX_RANK = 32  # numpy's own limit is 64; no variable comes near
# Deflate never expands a member by more than ~1032x: a zip member claiming more is a lie, refused before
# inflating it (and a stored member's size equals its stored bytes).
_MAX_INFLATE_RATIO = 1032
_ZIP_ERRORS = (
    ValueError,
    OSError,
    EOFError,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    lzma.LZMAError,
    NotImplementedError,
    RuntimeError,
    struct.error,
    UnicodeDecodeError,
)


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
            var_list = global_variables()
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
        if not self._kept:  # continue the list an earlier Saver left in this folder (its own files only)
            listed = _read_state(folder).get("all_model_checkpoint_paths", [])
            listed = listed if isinstance(listed, list) else []
            self._kept = [str(folder / p) for p in listed if _in_folder(p)]
        if prefix in self._kept:
            self._kept.remove(prefix)
        self._kept.append(prefix)
        if self.max_to_keep:
            while len(self._kept) > self.max_to_keep:
                old = self._kept.pop(0)
                for suffix in (DATA_SUFFIX, INDEX_SUFFIX):
                    if os.path.exists(old + suffix):
                        os.unlink(old + suffix)
        state = {  # only names in this folder: the state file never points elsewhere
            "model_checkpoint_path": os.path.basename(prefix),
            "all_model_checkpoint_paths": [
                os.path.basename(p) for p in self._kept if Path(p).parent == folder
            ],
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
        prefix = _strip(save_path)
        index = _read_index(prefix)
        entries = {e["name"]: e for e in index["variables"]}
        for name, v in self._vars.items():  # the index against the graph first: no data read for a mismatch
            if name not in entries:
                raise NotFoundError(
                    f"Saver.restore: variable {name!r} not found in checkpoint {prefix!r} "
                    f"(it has {sorted(entries)})"
                )
            shape, dtype = entries[name]["shape"], entries[name]["dtype"]
            want_shape = v.shape.as_list()
            if shape != want_shape:
                raise InvalidArgumentError(
                    f"Saver.restore: variable {name!r} has shape {want_shape} in the graph but "
                    f"{shape} in checkpoint {prefix!r}"
                )
            if dtype != v.dtype.np.name:
                raise InvalidArgumentError(
                    f"Saver.restore: variable {name!r} has dtype {v.dtype.name} in the graph but "
                    f"{dtype} in checkpoint {prefix!r}"
                )
        _, arrays = load_checkpoint(prefix, names=list(self._vars))
        # Only after every check passed: a failed restore leaves the session as it was.
        for name, v in self._vars.items():
            v.load(arrays[name], sess)


def _fail(path: Path | str, what: str) -> DataLossError:
    return DataLossError(f"checkpoint index {str(path)!r}: {what}")


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _read_index(prefix: str) -> dict[str, Any]:
    """The index of checkpoint ``prefix``, every field type-checked (DataLossError naming the field)."""
    index_path = Path(prefix + INDEX_SUFFIX)
    if not index_path.is_file():
        raise NotFoundError(f"checkpoint {prefix!r} not found: no file {str(index_path)!r}")
    try:
        index = json.loads(index_path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise DataLossError(f"checkpoint index {str(index_path)!r} is corrupt or truncated ({e})") from e
    except OSError as e:
        raise DataLossError(f"cannot read checkpoint index {str(index_path)!r}: {e.strerror}") from e
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise DataLossError(f"{str(index_path)!r} is not a tensorlet checkpoint index")
    if index.get("version") != VERSION or not _is_int(index.get("version")):
        raise InvalidArgumentError(
            f"checkpoint {prefix!r}: version {index.get('version')!r}, this build reads version {VERSION}"
        )
    if index.get("step") is not None and not _is_int(index["step"]):
        raise _fail(index_path, f"step {index['step']!r} is not an integer")
    if not isinstance(index.get("data_file", ""), str):
        raise _fail(index_path, "data_file is not a string")
    if not _is_int(index.get("data_bytes")) or index["data_bytes"] < 0:
        raise _fail(index_path, f"data_bytes {index.get('data_bytes')!r} is not a byte count")
    if not isinstance(index.get("sha256"), str):
        raise _fail(index_path, "sha256 is not a string")
    variables = index.get("variables")
    if not isinstance(variables, list):
        raise _fail(index_path, "variables is not a list")
    seen: set[str] = set()
    for k, e in enumerate(variables):
        if not isinstance(e, dict):
            raise _fail(index_path, f"variables[{k}] is not an object")
        name, shape, dtype = e.get("name"), e.get("shape"), e.get("dtype")
        if not isinstance(name, str) or not name or "\0" in name:
            raise _fail(index_path, f"variables[{k}] has no valid name")
        if name in seen:
            raise _fail(index_path, f"variable {name!r} is listed twice")
        seen.add(name)
        if (
            not isinstance(shape, list)
            or len(shape) > MAX_RANK
            or not all(_is_int(d) and 0 <= d < 2**63 for d in shape)
        ):
            raise _fail(index_path, f"variable {name!r}: shape {shape!r} is not a list of sizes")
        if not isinstance(dtype, str) or dtype not in DTYPES:
            raise _fail(index_path, f"variable {name!r}: dtype {dtype!r} is not one of {sorted(DTYPES)}")
    return index


def _nbytes(entry: Mapping[str, Any]) -> int:
    count = 1
    for d in entry["shape"]:
        count *= d  # Python ints: exact
    return count * np.dtype(entry["dtype"]).itemsize


def _read_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, entry: Mapping[str, Any], where: str
) -> np.ndarray:
    """One ``.npy`` member, its header checked against the index entry before its data is inflated."""
    name = entry["name"]
    if info.file_size > _MAX_INFLATE_RATIO * info.compress_size + 4096:
        raise DataLossError(
            f"{where}: member {info.filename!r} claims {info.file_size} bytes from {info.compress_size}"
        )
    with zf.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise DataLossError(f"{where}: member {info.filename!r} has .npy version {version}")
        header = f.tell()
        if dtype.hasobject or dtype.name != entry["dtype"] or list(shape) != entry["shape"]:
            raise DataLossError(
                f"{where}: entry {name!r} disagrees with its index (file: {dtype.str} {list(shape)}, index: "
                f"{entry['dtype']} {entry['shape']})"
            )
        nbytes = _nbytes(entry)
        if info.file_size != header + nbytes:
            raise DataLossError(
                f"{where}: entry {name!r} holds {info.file_size - header} data bytes, "
                f"its shape needs {nbytes}"
            )
        try:
            raw = np.empty(nbytes, dtype=np.uint8)
        except MemoryError:
            raise InvalidArgumentError(f"{where}: entry {name!r} needs {nbytes} bytes of memory") from None
        view, pos = memoryview(raw), 0
        while pos < nbytes:  # bounded reads straight into the array: no second copy
            got = f.readinto(view[pos : pos + (1 << 24)])
            if not got:
                raise DataLossError(f"{where}: entry {name!r} is truncated ({pos} of {nbytes} bytes)")
            pos += got
        if f.read(1):
            raise DataLossError(f"{where}: entry {name!r} has bytes after its data")
    array = raw.view(dtype).reshape(shape, order="F" if fortran else "C")
    return array.astype(dtype.newbyteorder("="), copy=False)


def load_checkpoint(
    save_path: str | os.PathLike[str], names: Iterable[str] | None = None, max_bytes: int | None = None
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read and verify a checkpoint: ``(index, {name: array})``. No graph needed.

    ``names``: only these variables (default: all); ``max_bytes``: refuse (``InvalidArgumentError``) when
    their arrays together would take more. Sizes come from the type-checked index and are checked against
    the data file's zip and ``.npy`` headers before any array is inflated.
    """
    prefix = _strip(save_path)
    index = _read_index(prefix)
    data_path = Path(prefix + DATA_SUFFIX)
    entries = {e["name"]: e for e in index["variables"]}
    wanted = list(entries) if names is None else list(names)
    for n in wanted:
        if n not in entries:
            raise NotFoundError(f"checkpoint {prefix!r}: no variable {n!r} (it has {sorted(entries)})")
    total = sum(_nbytes(entries[n]) for n in wanted)
    if max_bytes is not None and total > max_bytes:
        raise InvalidArgumentError(
            f"checkpoint {prefix!r}: its variables take {total} bytes, more than {max_bytes}"
        )
    if not data_path.is_file():
        raise NotFoundError(f"checkpoint {prefix!r}: data file {str(data_path)!r} is missing")
    expected = index["data_bytes"]
    try:
        size = data_path.stat().st_size
        data = data_path.read_bytes() if size == expected else b""
    except OSError as e:
        raise DataLossError(f"checkpoint {prefix!r}: cannot read {str(data_path)!r}: {e.strerror}") from e
    if size != expected or hashlib.sha256(data).hexdigest() != index["sha256"]:
        raise DataLossError(
            f"checkpoint {prefix!r}: data file {str(data_path)!r} is truncated or corrupt "
            f"({size} bytes, expected {expected}; checksum mismatch)"
        )
    where = f"checkpoint {prefix!r}: {str(data_path)!r}"
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            members = {i.filename: i for i in infos}
            want_members = {n + ".npy" for n in entries}
            if len(members) != len(infos) or set(members) != want_members:
                raise DataLossError(
                    f"{where}: its members {sorted(members)[:20]} are not the index's variables "
                    f"{sorted(entries)[:20]}"
                )
            for n in wanted:
                arrays[n] = _read_member(zf, members[n + ".npy"], entries[n], where)
    except _ZIP_ERRORS as e:
        raise DataLossError(f"checkpoint {prefix!r}: cannot read {str(data_path)!r} ({e})") from e
    return index, arrays


def _read_state(folder: Path) -> dict[str, Any]:
    path = folder / STATE_FILE
    if not path.is_file():
        return {}
    try:
        state = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise DataLossError(f"checkpoint state file {str(path)!r} is corrupt ({e})") from e
    except OSError as e:
        raise DataLossError(f"cannot read checkpoint state file {str(path)!r}: {e.strerror}") from e
    return state if isinstance(state, dict) else {}


def _in_folder(name: Any) -> bool:
    """A state-file entry names a checkpoint in the state file's own folder: a plain name, no path."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and not any(c in name for c in ("/", "\\", "\0", os.sep, os.altsep or "/"))
        and not os.path.isabs(name)
        and not os.path.splitdrive(name)[0]
    )


def latest_checkpoint(checkpoint_dir: str | os.PathLike[str]) -> str | None:
    """The prefix of the newest checkpoint recorded in ``checkpoint_dir``'s state file, or None.

    Raises ``DataLossError`` when the state file names something outside ``checkpoint_dir``."""
    folder = Path(checkpoint_dir)
    name = _read_state(folder).get("model_checkpoint_path")
    if name is None or name == "":
        return None
    if not _in_folder(name):
        raise DataLossError(
            f"checkpoint state file {str(folder / STATE_FILE)!r}: {name!r} is not a checkpoint name in "
            "its folder"
        )
    prefix = str(folder / name)
    return prefix if os.path.exists(prefix + INDEX_SUFFIX) else None


def list_variables(save_path: str | os.PathLike[str]) -> list[tuple[str, list[int]]]:
    """``[(name, shape)]`` of a checkpoint (TF1 ``tf.train.list_variables``)."""
    index, _ = load_checkpoint(save_path)
    return [(e["name"], e["shape"]) for e in index["variables"]]
