"""Read and write IDX files, the format of MNIST and Fashion-MNIST.

An IDX file is a big-endian header followed by the raw array::

    bytes 0-1   zero
    byte  2     dtype code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64)
    byte  3     number of dimensions (1..8 here)
    4 bytes per dimension: its size (big-endian uint32)
    the elements, row-major, big-endian

Files may be gzip-compressed (detected by the gzip magic, not by the name). Files are untrusted input: the
header is read first and the payload must be exactly the size it declares (at most ``MAX_BYTES``); it is
read with bounded reads straight into the result (no decompressed copy), and a gzip file whose header
declares more than it could inflate to is refused before inflating. Every check names the file and what is
wrong with it, so a truncated download or a wrong file is told apart from a bug::

    >>> from trainer.datasets.idx import read_idx
    >>> images = read_idx("train-images-idx3-ubyte.gz")   # doctest: +SKIP
    >>> images.shape, images.dtype                         # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'))
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from trainer.errors import DataLossError, InvalidArgumentError, NotFoundError

# dtype code -> big-endian numpy dtype (the codes are fixed by the IDX format).
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
MAX_DIMS = 8
# A file whose header declares more than this is refused before its payload is read (a gzip bomb or a wrong
# file): the largest real IDX file in use (Fashion-MNIST train images) is 47 MB, EMNIST's about 550 MB.
MAX_BYTES = 1 << 30
# Deflate expands at most ~1032x: a gzip file whose header declares more than that many times its own size
# cannot hold its payload, and is refused without inflating anything.
_MAX_INFLATE_RATIO = 1032
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 22


def _read_exact(f: BinaryIO, n: int) -> bytes:
    out = f.read(n)
    return out if len(out) == n or not out else out + _read_exact(f, n - len(out))


def _read_stream(f: BinaryIO, name: str, size: int | None, compressed: int | None) -> np.ndarray:
    """Parse an IDX stream: the header first, then a payload of exactly the size it declares.

    ``size``: the stream's length when known (a raw file), checked before reading the payload;
    ``compressed``: the gzip file's size, bounding what its header may declare. Peak memory is the array.
    """
    head = _read_exact(f, 4)
    if len(head) < 4:
        raise DataLossError(f"IDX file {name!r}: {len(head)} bytes, too short for the 4-byte magic number")
    zero, code, ndim = struct.unpack(">HBB", head)
    if zero != 0:
        raise InvalidArgumentError(
            f"IDX file {name!r}: bad magic number 0x{head.hex()} (the first two bytes must be zero); "
            "not an IDX file"
        )
    if code not in IDX_DTYPES:
        raise InvalidArgumentError(
            f"IDX file {name!r}: unknown dtype code 0x{code:02x} (expected one of "
            + ", ".join(f"0x{c:02x}" for c in IDX_DTYPES)
            + ")"
        )
    if not 1 <= ndim <= MAX_DIMS:
        raise InvalidArgumentError(f"IDX file {name!r}: {ndim} dimensions (expected 1 to {MAX_DIMS})")
    header = 4 + 4 * ndim
    raw_dims = _read_exact(f, 4 * ndim)
    if len(raw_dims) < 4 * ndim:
        have = 4 + len(raw_dims)
        raise DataLossError(
            f"IDX file {name!r}: truncated header ({have} bytes, {ndim} dimensions need {header})"
        )
    dims = struct.unpack(f">{ndim}I", raw_dims)
    dtype = IDX_DTYPES[code]
    count = 1
    for d in dims:
        count *= d  # Python ints: no overflow
    payload = count * dtype.itemsize
    expected = header + payload
    if size is not None and size != expected:
        if size < expected:
            raise DataLossError(
                f"IDX file {name!r}: truncated: dims {list(dims)} of {dtype.name} need {expected} bytes, "
                f"file has {size}"
            )
        raise DataLossError(
            f"IDX file {name!r}: {size - expected} unexpected trailing bytes after dims {list(dims)}"
        )
    if payload > MAX_BYTES:
        raise InvalidArgumentError(
            f"IDX file {name!r}: dims {list(dims)} of {dtype.name} declare {payload} bytes, more than "
            f"{MAX_BYTES} (trainer.datasets.idx.MAX_BYTES)"
        )
    if compressed is not None and expected > _MAX_INFLATE_RATIO * compressed + 4096:
        raise DataLossError(
            f"IDX file {name!r}: truncated: dims {list(dims)} of {dtype.name} need {expected} bytes, more "
            f"than a {compressed}-byte gzip file can hold"
        )
    native = dtype.newbyteorder("=")
    array = np.empty(count, dtype=native)
    view, pos = memoryview(array).cast("B"), 0
    while pos < payload:  # bounded reads straight into the array: no second copy, never past the payload
        got = f.readinto(view[pos : pos + _CHUNK])  # type: ignore[attr-defined]
        if not got:
            raise DataLossError(
                f"IDX file {name!r}: truncated: dims {list(dims)} of {dtype.name} need {expected} bytes, "
                f"file has {header + pos}"
            )
        pos += got
    extra = f.read(1)
    if extra:
        raise DataLossError(f"IDX file {name!r}: unexpected trailing bytes after dims {list(dims)}")
    if not dtype.isnative:  # the file is big-endian
        array.byteswap(inplace=True)
    return array.reshape(dims)


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse the (already decompressed) bytes of an IDX file into a native-endian numpy array."""
    return _read_stream(io.BytesIO(data), name, len(data), None)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (raw or gzip) into a native-endian numpy array.

    Raises ``NotFoundError`` for a missing file, ``DataLossError`` for a truncated or corrupt one and
    ``InvalidArgumentError`` for a file that is not IDX (bad magic, dtype code or dimension count).
    """
    p = Path(path)
    name = str(p)
    if not p.is_file():
        raise NotFoundError(f"IDX file {name!r} does not exist")
    try:
        with open(p, "rb") as raw:
            size = os.fstat(raw.fileno()).st_size
            if raw.read(2) != _GZIP_MAGIC:
                raw.seek(0)
                return _read_stream(raw, name, size, None)
            raw.seek(0)
            try:
                with gzip.GzipFile(fileobj=raw) as f:
                    return _read_stream(f, name, None, size)  # type: ignore[arg-type]
            except (EOFError, zlib.error, gzip.BadGzipFile) as e:
                raise DataLossError(f"IDX file {name!r}: corrupt or truncated gzip data ({e})") from e
    except OSError as e:
        if isinstance(e, gzip.BadGzipFile):
            raise DataLossError(f"IDX file {name!r}: corrupt or truncated gzip data ({e})") from e
        raise DataLossError(f"IDX file {name!r}: cannot read it ({e})") from e


def write_idx(path: str | os.PathLike[str], array: np.ndarray, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file; gzip-compressed when ``compress`` (default: name ends in ``.gz``)."""
    a = np.asarray(array)
    codes = {dt.newbyteorder("="): c for c, dt in IDX_DTYPES.items()}
    code = codes.get(a.dtype.newbyteorder("="))
    if code is None:
        raise InvalidArgumentError(f"write_idx: dtype {a.dtype} has no IDX code")
    if not 1 <= a.ndim <= MAX_DIMS:
        raise InvalidArgumentError(f"write_idx: {a.ndim} dimensions (expected 1 to {MAX_DIMS})")
    payload = struct.pack(f">HBB{a.ndim}I", 0, code, a.ndim, *a.shape)
    payload += np.ascontiguousarray(a, dtype=IDX_DTYPES[code]).tobytes()
    p = Path(path)
    if compress is None:
        compress = p.suffix == ".gz"
    p.write_bytes(gzip.compress(payload, mtime=0) if compress else payload)
