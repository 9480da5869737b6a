"""The runtime's compiler flags for Python callers: reads ``runtime_c/cmake/flags.txt`` (the one source).

Standard library only, so that pyruntime's cffi build (``pyruntime/_build.py``), the tests
(``tests/cbuild.py`` re-exports ``flags``) and ``runtime_c/tools/size_report.py`` can load it by path::

    flags("std")                     # the language standard, one flag
    flags("std", "warnings")         # the standard, then the warning set
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

FLAGS_FILE = Path(__file__).resolve().parent / "flags.txt"
_LINE = re.compile(r"^([a-z0-9_]+) *= *(.*)$")


@cache
def table(path: Path = FLAGS_FILE) -> dict[str, tuple[str, ...]]:
    """Every named flag list of ``path``, in file order."""
    out: dict[str, tuple[str, ...]] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if m is None:
            raise ValueError(f"{path}:{n}: expected 'name = flags', got {line!r}")
        out[m[1]] = tuple(m[2].split())
    return out


def flags(*names: str) -> list[str]:
    """The flags of ``names``, concatenated in the order given."""
    t = table()
    missing = [name for name in names if name not in t]
    if missing:
        raise KeyError(f"{FLAGS_FILE} has no {', '.join(missing)} (it has {', '.join(t)})")
    return [flag for name in names for flag in t[name]]


if __name__ == "__main__":
    for name, value in table().items():
        print(f"{name} = {' '.join(value)}")
