"""Read and write IDX files, the format of MNIST and Fashion-MNIST.

An IDX file is a big-endian header followed by the raw array::

    bytes 0-1   zero
    byte  2     dtype code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64)
    byte  3     number of dimensions (1..8 here)
    4 bytes per dimension: its size (big-endian uint32)
    the elements, row-major, big-endian

Files may be gzip-compressed (detected by the gzip magic, not by the name). Every check names the file and
what is wrong with it, so a truncated download or a wrong file is told apart from a bug::

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
# A decompressed file larger than this is refused before it is read (a gzip bomb or a wrong file):
# the largest real IDX file in use (Fashion-MNIST train images) is 47 MB.
MAX_BYTES = 1 << 31
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise NotFoundError(f"IDX file {str(path)!r} does not exist")
    raw = path.read_bytes()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as f:
            data = f.read(MAX_BYTES + 1)
    except (EOFError, OSError, zlib.error) as e:
        raise DataLossError(f"IDX file {str(path)!r}: corrupt or truncated gzip data ({e})") from e
    if len(data) > MAX_BYTES:
        raise InvalidArgumentError(f"IDX file {str(path)!r}: decompresses to more than {MAX_BYTES} bytes")
    return data


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse the (already decompressed) bytes of an IDX file into a native-endian numpy array."""
    if len(data) < 4:
        raise DataLossError(f"IDX file {name!r}: {len(data)} bytes, too short for the 4-byte magic number")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0:
        raise InvalidArgumentError(
            f"IDX file {name!r}: bad magic number 0x{data[:4].hex()} (the first two bytes must be zero); "
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
    if len(data) < header:
        raise DataLossError(
            f"IDX file {name!r}: truncated header ({len(data)} bytes, {ndim} dimensions need {header})"
        )
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = IDX_DTYPES[code]
    count = 1
    for d in dims:
        count *= d  # Python ints: no overflow, checked against the real size below
    expected = header + count * dtype.itemsize
    if len(data) < expected:
        raise DataLossError(
            f"IDX file {name!r}: truncated: dims {list(dims)} of {dtype.name} need {expected} bytes, "
            f"file has {len(data)}"
        )
    if len(data) > expected:
        raise DataLossError(
            f"IDX file {name!r}: {len(data) - expected} unexpected trailing bytes after dims {list(dims)}"
        )
    array = np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (raw or gzip) into a native-endian numpy array.

    Raises ``NotFoundError`` for a missing file, ``DataLossError`` for a truncated or corrupt one and
    ``InvalidArgumentError`` for a file that is not IDX (bad magic, dtype code or dimension count).
    """
    p = Path(path)
    return parse_idx(_read_bytes(p), str(p))


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
