"""Seed corpus for the C fuzz targets: every valid model the tests build, one .tlm file each.

Sources: the controls of tests/malformed_cases.py (``valid_models`` and every corpus case expected to load
with TL_OK), every int8 op model of tests/int8_op_cases.py and every float op model of
tests/runtime_op_cases.py. Models above MAX_SEED_BYTES are left out (libFuzzer's -max_len defaults to the
largest seed, and big inputs slow every execution), and so are the trained example models
(tests/export_models.py): training them takes minutes.

    python tests/fuzz_seeds.py DIRECTORY      # writes DIRECTORY/<name>.tlm, prints the count
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the case modules import each other as top-level modules
    sys.path.insert(0, str(HERE))

import int8_op_cases  # noqa: E402
import malformed_cases  # noqa: E402
import runtime_op_cases  # noqa: E402

MAX_SEED_BYTES = 32 * 1024


def seed_models() -> dict[str, bytes]:
    """name -> model bytes of every valid test model (duplicates by content removed, first name kept)."""
    seeds: dict[str, bytes] = {}
    for name, data in malformed_cases.valid_models().items():
        seeds[f"valid_{name}"] = data
    for case in malformed_cases.cases():
        if case.expected == ("TL_OK",) and case.mode == malformed_cases.COPY and not case.requires:
            seeds.setdefault(f"malformed_ok_{case.name}", case.data)
    seeds.setdefault("fuzz_inputs_model", malformed_cases.fuzz_inputs_model())
    for int8_case in int8_op_cases.all_cases():
        seeds.setdefault(f"int8_{int8_case.name}", int8_case.model)
    for op_case in runtime_op_cases.all_cases():
        seeds.setdefault(f"op_{op_case.name}", op_case.model)
    unique: dict[str, bytes] = {}
    seen: set[str] = set()
    for name, data in seeds.items():
        digest = hashlib.sha256(data).hexdigest()
        if digest not in seen and len(data) <= MAX_SEED_BYTES:
            seen.add(digest)
            unique[re.sub(r"[^A-Za-z0-9_.-]", "_", name)] = data
    return unique


def write_seeds(directory: Path) -> list[Path]:
    """Writes every seed model into ``directory`` (created if needed); returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in seed_models().items():
        path = directory / f"{name}.tlm"
        path.write_bytes(data)
        paths.append(path)
    return paths


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} DIRECTORY")
    print(len(write_seeds(Path(sys.argv[1]))))
