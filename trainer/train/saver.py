"""Checkpoints: ``Saver`` writes variables to ``<prefix>.npz`` plus a JSON index; ``restore`` checks them.

Files for ``saver.save(sess, "ckpt/model", global_step=100)``::

    ckpt/model-100.npz          the arrays, one entry per variable, keyed by variable name ("dense/kernel")
    ckpt/model-100.index.json   format, step, data file name and its sha256, and each variable's name,
                                shape and dtype
    ckpt/model-100.meta         the graph (``write_meta_graph=True``, the default): ops, attrs,
                                collections and variables, for ``tf.train.import_meta_graph``
                                (trainer/train/meta_graph.py)
    ckpt/checkpoint             the state: the latest prefix and the ones kept (for latest_checkpoint), in
                                TensorFlow's text format (``model_checkpoint_path: "model-100"`` lines);
                                the JSON state files of earlier tensorlet versions are still read

Every file is written to a temporary file in the same folder and renamed over the old one, so a crash never
leaves a half-written checkpoint behind a valid name. ``restore`` verifies the checksum before trusting the
data, and the names, shapes and dtypes of the variables it restores; values round-trip exactly.

Checkpoint files are untrusted input. The index is type-checked field by field; every array's size is
checked against the index (zip member sizes and each ``.npy`` header's shape and dtype) before a byte of it
is inflated, and ``restore`` compares the index with the graph's variables before reading any data, so a
small file cannot make the loader allocate more than the variables it restores. Names in the ``checkpoint``
state file are confined to its folder: an entry with ``..`` or a path to another folder is never followed
(``latest_checkpoint`` refuses it) and never deleted; an absolute path into the state file's own folder (what
TensorFlow writes for an absolute ``save_path``) counts as the plain name. Every failure is a
``TensorletError``: ``NotFoundError``, ``DataLossError`` (corrupt or inconsistent files) or
``InvalidArgumentError``.

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
import string
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from trainer.errors import DataLossError, InvalidArgumentError, NotFoundError
from trainer.train import meta_graph
from trainer.train.atomic_file import atomic_write as _atomic_write
from trainer.variables import global_variables

FORMAT = "tensorlet-checkpoint"
VERSION = 1
STATE_FILE = "checkpoint"
INDEX_SUFFIX = ".index.json"
DATA_SUFFIX = ".npz"
META_SUFFIX = ".meta"  # the graph, written by Saver.save (trainer/train/meta_graph.py)
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


def _strip(path: str | os.PathLike[str]) -> str:
    """Accept the prefix, or either of its files, and return the prefix."""
    p = os.fspath(path)
    for suffix in (INDEX_SUFFIX, DATA_SUFFIX, META_SUFFIX):
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
        write_meta_graph: bool = True,
        latest_filename: str | None = None,
        meta_graph_suffix: str = "meta",
        **_ignored: Any,
    ) -> str:
        """Write a checkpoint and return its prefix (``save_path`` or ``save_path-<step>``).

        With ``write_meta_graph`` (the default, as in TF1) the session's graph is also written to
        ``<prefix>.meta`` (see :mod:`trainer.train.meta_graph`), so ``tf.train.import_meta_graph`` can
        rebuild the model without its code."""
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
        if write_meta_graph:
            self._write_meta_graph(sess.graph, Path(f"{prefix}.{meta_graph_suffix}"))
        if write_state:
            self._update_state(prefix)
        return prefix

    def _write_meta_graph(self, graph: Any, path: Path) -> None:
        """``<prefix>.meta``; a graph that a meta graph cannot hold (control-flow bodies, Python objects in
        attrs) gets a warning and no file: the checkpoint itself is still written."""
        try:
            data = meta_graph.meta_graph_bytes(graph, self._vars)
        except InvalidArgumentError as e:
            warnings.warn(f"Saver.save: no meta graph written to {str(path)!r}: {e}", stacklevel=3)
            if path.exists():  # never leave an older graph beside the new variables
                path.unlink()
            return
        _atomic_write(path, data)

    def _update_state(self, prefix: str) -> None:
        folder = Path(prefix).parent
        if not self._kept:  # continue the list an earlier Saver left in this folder (its own files only)
            listed = _read_state(folder).get("all_model_checkpoint_paths", [])
            listed = listed if isinstance(listed, list) else []
            names = [_local_name(p, folder) for p in listed]
            self._kept = [str(folder / n) for n in names if n is not None]
        if prefix in self._kept:
            self._kept.remove(prefix)
        self._kept.append(prefix)
        if self.max_to_keep:
            while len(self._kept) > self.max_to_keep:
                old = self._kept.pop(0)
                for suffix in (DATA_SUFFIX, INDEX_SUFFIX, META_SUFFIX):
                    if os.path.exists(old + suffix):
                        os.unlink(old + suffix)
        # only names in this folder: the state file never points elsewhere
        kept = [os.path.basename(p) for p in self._kept if Path(p).parent == folder]
        text = format_checkpoint_state(os.path.basename(prefix), kept)
        _atomic_write(folder / STATE_FILE, text.encode("utf-8"))

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



meta_graph.install_saver(Saver)


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


def _unescape(text: str, where: str) -> str:
    """A protobuf text-format string body (C escapes: ``\\"``, ``\\\\``, ``\\n``, octal ``\\NNN``)."""
    raw = bytearray()
    i = 0
    simple = {"n": 10, "t": 9, "r": 13, '"': 34, "'": 39, "\\": 92, "a": 7, "b": 8, "f": 12, "v": 11}
    while i < len(text):
        c = text[i]
        if c != "\\":
            raw += c.encode("utf-8")
            i += 1
            continue
        if i + 1 >= len(text):
            raise DataLossError(f"{where}: a string ends in a backslash")
        e = text[i + 1]
        if e in simple:
            raw.append(simple[e])
            i += 2
        elif e in "01234567":
            j = i + 1
            while j < min(i + 4, len(text)) and text[j] in "01234567":
                j += 1
            raw.append(int(text[i + 1 : j], 8) & 0xFF)
            i = j
        elif e == "x" and len(hx := text[i + 2 : i + 4]) == 2 and all(h in string.hexdigits for h in hx):
            raw.append(int(hx, 16))
            i += 4
        else:
            raise DataLossError(f"{where}: unknown escape \\{e}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DataLossError(f"{where}: a name is not UTF-8 ({err})") from err


def _escape(name: str) -> str:
    """The text-format string body of ``name``: quotes and backslashes escaped, other bytes outside
    printable ASCII as octal escapes (as protobuf's C-escaping writes them)."""
    out = []
    for b in name.encode("utf-8"):
        if b in (0x22, 0x5C):
            out.append("\\" + chr(b))
        elif b == 0x0A:
            out.append("\\n")
        elif b < 0x20 or b >= 0x7F:
            out.append(f"\\{b:03o}")
        else:
            out.append(chr(b))
    return "".join(out)


_REPEATED = ("all_model_checkpoint_paths", "all_model_checkpoint_timestamps")


def parse_checkpoint_state(text: str, where: str = "checkpoint state") -> dict[str, Any]:
    """The fields of a ``checkpoint`` state file: TensorFlow's text format (``key: "value"`` lines, repeated
    keys gathered into lists) or the JSON of earlier tensorlet versions."""
    if text.lstrip().startswith("{"):
        try:
            state = json.loads(text)
        except (ValueError, RecursionError) as e:
            raise DataLossError(f"{where} is corrupt ({e})") from e
        return state if isinstance(state, dict) else {}
    state: dict[str, Any] = {k: [] for k in _REPEATED}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, colon, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if not colon or not key.isidentifier():
            raise DataLossError(f"{where}: line {n} is not 'key: value': {line[:80]!r}")
        if value.startswith('"'):
            if len(value) < 2 or not value.endswith('"'):
                raise DataLossError(f"{where}: line {n}: unterminated string")
            parsed: Any = _unescape(value[1:-1], f"{where}: line {n}")
        else:
            try:
                parsed = float(value)
            except ValueError:
                raise DataLossError(f"{where}: line {n}: {key} has value {value[:40]!r}") from None
        if key in _REPEATED:
            state[key].append(parsed)
        else:
            state[key] = parsed
    return state


def format_checkpoint_state(latest: str, kept: list[str]) -> str:
    """A ``checkpoint`` state file as TensorFlow writes it."""
    lines = [f'model_checkpoint_path: "{_escape(latest)}"']
    lines += [f'all_model_checkpoint_paths: "{_escape(p)}"' for p in kept]
    return "\n".join(lines) + "\n"


def _read_state(folder: Path) -> dict[str, Any]:
    path = folder / STATE_FILE
    if not path.is_file():
        return {}
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataLossError(f"checkpoint state file {str(path)!r} is corrupt ({e})") from e
    except OSError as e:
        raise DataLossError(f"cannot read checkpoint state file {str(path)!r}: {e.strerror}") from e
    return parse_checkpoint_state(text, f"checkpoint state file {str(path)!r}")


def _in_folder(name: Any) -> bool:
    """A state-file entry names a checkpoint in the state file's own folder: a plain name, no path."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and not any(c in name for c in ("/", "\\", "\0", os.sep, os.altsep or "/"))
        and not os.path.isabs(name)
        and not os.path.splitdrive(name)[0]
    )


def _local_name(entry: Any, folder: Path) -> str | None:
    """The plain name of a state-file entry in ``folder``: the entry itself, or the last part of an
    absolute path whose folder is ``folder`` (TensorFlow writes those); None for anything else."""
    if _in_folder(entry):
        return entry
    if isinstance(entry, str) and os.path.isabs(entry) and "\0" not in entry:
        head, tail = os.path.split(os.path.normpath(entry))
        if _in_folder(tail) and os.path.normcase(head) == os.path.normcase(os.path.abspath(folder)):
            return tail
    return None


def latest_checkpoint(checkpoint_dir: str | os.PathLike[str]) -> str | None:
    """The prefix of the newest checkpoint recorded in ``checkpoint_dir``'s state file, or None.

    Raises ``DataLossError`` when the state file names something outside ``checkpoint_dir``."""
    folder = Path(checkpoint_dir)
    entry = _read_state(folder).get("model_checkpoint_path")
    if entry is None or entry == "":
        return None
    name = _local_name(entry, folder)
    if name is None:
        raise DataLossError(
            f"checkpoint state file {str(folder / STATE_FILE)!r}: {entry!r} is not a checkpoint name in "
            "its folder"
        )
    prefix = str(folder / name)
    return prefix if os.path.exists(prefix + INDEX_SUFFIX) else None


class CheckpointState:
    """What ``tf.train.get_checkpoint_state`` returns: the newest checkpoint and the ones kept, as paths
    (relative names joined to the folder, as TensorFlow does)."""

    def __init__(self, model_checkpoint_path: str, all_model_checkpoint_paths: list[str]) -> None:
        self.model_checkpoint_path = model_checkpoint_path
        self.all_model_checkpoint_paths = list(all_model_checkpoint_paths)

    def __str__(self) -> str:
        return format_checkpoint_state(self.model_checkpoint_path, self.all_model_checkpoint_paths)

    def __repr__(self) -> str:
        return f"CheckpointState({self.model_checkpoint_path!r}, {self.all_model_checkpoint_paths!r})"


def get_checkpoint_state(
    checkpoint_dir: str | os.PathLike[str], latest_filename: str | None = None
) -> CheckpointState | None:
    """The state file of ``checkpoint_dir`` (TensorFlow's text format or our older JSON), or None when
    there is none. Raises ``DataLossError`` for a corrupt file."""
    folder = Path(checkpoint_dir)
    if latest_filename not in (None, STATE_FILE):
        if not _in_folder(latest_filename):
            raise InvalidArgumentError(f"latest_filename must be a plain file name, got {latest_filename!r}")
        path = folder / str(latest_filename)
        if not path.is_file():
            return None
        state = parse_checkpoint_state(
            path.read_text(encoding="utf-8"), f"checkpoint state file {str(path)!r}"
        )
    else:
        if not (folder / STATE_FILE).is_file():
            return None
        state = _read_state(folder)
    latest = state.get("model_checkpoint_path")
    if not isinstance(latest, str) or not latest:
        return None

    def full(p: str) -> str:
        return p if os.path.isabs(p) else os.path.join(os.fspath(checkpoint_dir), p)

    listed = [full(p) for p in state.get("all_model_checkpoint_paths", []) if isinstance(p, str) and p]
    return CheckpointState(full(latest), listed)


def checkpoint_exists(checkpoint_prefix: str | os.PathLike[str]) -> bool:
    """True when a checkpoint with this prefix exists: ours (``<prefix>.index.json``) or one TensorFlow
    wrote (``<prefix>.index``, which tensorlet cannot restore)."""
    p = os.fspath(checkpoint_prefix)
    return os.path.exists(p + INDEX_SUFFIX) or os.path.exists(p + ".index")


def update_checkpoint_state(
    save_dir: str | os.PathLike[str],
    model_checkpoint_path: str,
    all_model_checkpoint_paths: list[str] | None = None,
    latest_filename: str | None = None,
) -> None:
    """Write ``save_dir``'s state file. Every path must name a checkpoint in ``save_dir`` (the state file
    never points elsewhere); the newest is appended to the list when missing, as TensorFlow does."""
    folder = Path(save_dir)
    paths = list(all_model_checkpoint_paths or [])
    if model_checkpoint_path not in paths:
        paths.append(model_checkpoint_path)
    names = []
    for p in [model_checkpoint_path, *paths]:
        n = _local_name(p, folder) or _local_name(os.path.abspath(p), folder)
        if n is None:
            raise InvalidArgumentError(
                f"update_checkpoint_state: {p!r} is not a checkpoint in {str(folder)!r}"
            )
        names.append(n)
    name = latest_filename if latest_filename not in (None, "") else STATE_FILE
    if not _in_folder(name):
        raise InvalidArgumentError(f"latest_filename must be a plain file name, got {latest_filename!r}")
    _atomic_write(folder / str(name), format_checkpoint_state(names[0], names[1:]).encode("utf-8"))


def list_variables(save_path: str | os.PathLike[str]) -> list[tuple[str, list[int]]]:
    """``[(name, shape)]`` of a checkpoint (TF1 ``tf.train.list_variables``)."""
    index, _ = load_checkpoint(save_path)
    return [(e["name"], e["shape"]) for e in index["variables"]]
