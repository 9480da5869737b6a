"""A bounds-checked FlatBuffers table reader for untrusted files (pure Python, ``struct`` only).

flatc's generated Python (and the ``tflite`` package built from it) follows offsets without checking
them, so a corrupt file fails with a ``struct.error`` or ``IndexError`` from deep inside, or reads garbage.
Here every read checks its position first: the root and every table offset, the vtable and its size, each
field's width inside its object, each vector's length against the bytes left, each string's terminator. A
failure is a :class:`TFLiteImportError` naming what was being read ("model.subgraphs[0].tensors[12].shape
(vector of 9000): 36000 bytes at offset 512 run past the end of the file"). Offsets in FlatBuffers only point
forward from where they are stored (``uoffset``) except vtables, which are read but never followed further,
so no walk can loop; vector lengths are bounded by the file's size, so no read allocates more than the file
holds.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from trainer.lite.tflite.errors import TFLiteImportError

_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_U16 = struct.Struct("<H")

_SCALARS = {fmt: struct.Struct("<" + fmt) for fmt in "bBhHiIqQf?d"}


@dataclass(frozen=True)
class Buf:
    """The file's bytes and bounds-checked reads of little-endian scalars at absolute positions."""

    data: bytes

    def check(self, pos: int, size: int, what: str) -> None:
        if pos < 0 or size < 0 or pos + size > len(self.data):
            raise TFLiteImportError(f"{what}: {size} bytes at offset {pos} run past the end of the file")

    def u32(self, pos: int, what: str) -> int:
        self.check(pos, 4, what)
        return _U32.unpack_from(self.data, pos)[0]

    def i32(self, pos: int, what: str) -> int:
        self.check(pos, 4, what)
        return _I32.unpack_from(self.data, pos)[0]

    def u16(self, pos: int, what: str) -> int:
        self.check(pos, 2, what)
        return _U16.unpack_from(self.data, pos)[0]

    def root(self, what: str = "root table") -> Table:
        return Table(self, self.u32(0, what), what)


class Table:
    """One table: its position, its vtable, and typed field reads by slot."""

    def __init__(self, buf: Buf, pos: int, what: str) -> None:
        self.buf, self.pos, self.what = buf, pos, what
        vt = pos - buf.i32(pos, f"{what}: vtable offset")
        self.vt_size = buf.u16(vt, f"{what}: vtable")
        self.obj_size = buf.u16(vt + 2, f"{what}: vtable")
        if self.vt_size < 4 or self.vt_size % 2:
            raise TFLiteImportError(f"{what}: bad vtable size {self.vt_size}")
        buf.check(vt, self.vt_size, f"{what}: vtable")
        buf.check(pos, max(self.obj_size, 4), f"{what}: table")
        self.vt = vt

    def _field(self, slot: int, width: int, name: str) -> int | None:
        entry = 4 + 2 * slot
        if entry + 2 > self.vt_size:
            return None
        off = self.buf.u16(self.vt + entry, f"{self.what}.{name}")
        if off == 0:
            return None
        if off + width > self.obj_size:
            raise TFLiteImportError(f"{self.what}.{name}: field lies outside its table")
        return self.pos + off

    def has(self, slot: int) -> bool:
        entry = 4 + 2 * slot
        return entry + 2 <= self.vt_size and self.buf.u16(self.vt + entry, self.what) != 0

    def scalar(self, slot: int, fmt: str, default: object, name: str) -> object:
        s = _SCALARS[fmt]
        p = self._field(slot, s.size, name)
        if p is None:
            return default
        return s.unpack_from(self.buf.data, p)[0]

    def _target(self, slot: int, name: str) -> int | None:
        p = self._field(slot, 4, name)
        if p is None:
            return None
        return p + self.buf.u32(p, f"{self.what}.{name}")

    def table(self, slot: int, name: str) -> Table | None:
        p = self._target(slot, name)
        return None if p is None else Table(self.buf, p, f"{self.what}.{name}")

    def _vector(self, slot: int, elem: int, name: str) -> tuple[int, int] | None:
        p = self._target(slot, name)
        if p is None:
            return None
        n = self.buf.u32(p, f"{self.what}.{name}")
        self.buf.check(p + 4, n * elem, f"{self.what}.{name} (vector of {n})")
        return p + 4, n

    def vector_len(self, slot: int, name: str) -> int:
        v = self._vector(slot, 1, name)
        return 0 if v is None else v[1]

    def scalars(self, slot: int, fmt: str, name: str) -> list | None:
        """A vector of scalars (``fmt`` a struct code) as a list; None when the field is absent."""
        s = _SCALARS[fmt]
        v = self._vector(slot, s.size, name)
        if v is None:
            return None
        start, n = v
        return list(struct.unpack_from(f"<{n}{fmt}", self.buf.data, start))

    def bytes_(self, slot: int, name: str) -> tuple[int, int] | None:
        """A ``[ubyte]`` vector as (absolute start, length), not copied; None when absent."""
        return self._vector(slot, 1, name)

    def tables(self, slot: int, name: str) -> list[Table]:
        """A vector of tables (each checked as it is opened); [] when absent."""
        v = self._vector(slot, 4, name)
        if v is None:
            return []
        start, n = v
        out = []
        for i in range(n):
            p = start + 4 * i
            out.append(Table(self.buf, p + self.buf.u32(p, name), f"{self.what}.{name}[{i}]"))
        return out

    def string(self, slot: int, name: str, limit: int = 1 << 16) -> str | None:
        v = self._vector(slot, 1, name)
        if v is None:
            return None
        start, n = v
        self.buf.check(start + n, 1, f"{self.what}.{name}: string terminator")
        if n > limit:
            raise TFLiteImportError(f"{self.what}.{name}: string of {n} bytes (at most {limit})")
        return self.buf.data[start : start + n].decode("utf-8", "replace")
