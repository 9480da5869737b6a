"""IDX files as untrusted input: the header bounds what is read; gzip bombs are refused before inflating."""

from __future__ import annotations

import gzip
import struct
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest

from trainer.datasets import read_idx, write_idx
from trainer.datasets.idx import MAX_BYTES
from trainer.errors import DataLossError, InvalidArgumentError


def _header(code: int, dims: tuple[int, ...]) -> bytes:
    return struct.pack(f">HBB{len(dims)}I", 0, code, len(dims), *dims)


def _gzip_stream(parts: list[tuple[bytes, int]]) -> bytes:
    """gzip of the concatenation of ``data * repeat`` parts, compressed chunk by chunk (no big buffer)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [c.compress(data) for data, repeat in parts for _ in range(repeat)]
    return b"".join(out) + c.flush()


def _peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_gzip_bomb_with_a_small_header_stops_after_the_payload(tmp_path: Path) -> None:
    bomb = _gzip_stream([(_header(0x08, (3,)) + b"abc", 1), (bytes(1 << 20), 256)])  # + 256 MiB of zeros
    assert len(bomb) < 300_000
    path = tmp_path / "bomb.gz"
    path.write_bytes(bomb)

    def load() -> None:
        with pytest.raises(DataLossError, match="trailing"):
            read_idx(path)

    assert _peak(load) < 8 << 20  # was: all 256 MiB inflated (and copied) before the size check


def test_gzip_header_declaring_more_than_the_file_can_hold(tmp_path: Path) -> None:
    path = tmp_path / "liar.gz"
    path.write_bytes(gzip.compress(_header(0x08, (512, 1024, 1024)) + b"\0" * 100))  # 512 MiB from ~150 bytes

    def load() -> None:
        with pytest.raises(DataLossError, match="can hold"):
            read_idx(path)

    assert _peak(load) < 8 << 20  # was: inflated until the stream ended, then "truncated"


def test_header_above_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.gz"
    dims = (2, 1024, 1024, 1024)  # 2 GiB of uint8: the attack's size
    path.write_bytes(_gzip_stream([(_header(0x08, dims), 1), (bytes(1 << 20), 2)]))
    with pytest.raises(InvalidArgumentError, match="more than"):
        read_idx(path)
    assert 2 << 30 > MAX_BYTES


def test_gzip_payload_short_or_long(tmp_path: Path) -> None:
    for payload, words in ((b"\1" * 99, "truncated"), (b"\1" * 101, "trailing")):
        path = tmp_path / "x.gz"
        path.write_bytes(gzip.compress(_header(0x08, (100,)) + payload))
        with pytest.raises(DataLossError, match=words):
            read_idx(path)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_round_trip_every_dtype_raw_and_gzip(tmp_path: Path, dtype: type) -> None:
    a = (np.arange(24).reshape(2, 3, 4) * 3 - 20).astype(dtype)
    for name in ("a", "a.gz"):
        write_idx(tmp_path / name, a)
        b = read_idx(tmp_path / name)
        assert b.dtype == np.dtype(dtype) and b.dtype.isnative
        np.testing.assert_array_equal(b, a)
