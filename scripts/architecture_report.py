#!/usr/bin/env python3
"""Figures of the code's shape: lines per part, files per op, and the trainer's import circles.

  python scripts/architecture_report.py [--root TREE] [--json]

Run it on two trees (a worktree of an older commit and this one) to compare before and after a redesign.

- **Lines per part**: non-blank lines of the trainer (Python), the runtime core (runtime_c/src outside ops/
  and kernels/), the op glue (runtime_c/src/ops), the reference kernels (runtime_c/src/kernels, not opt/),
  the optimized kernels (runtime_c/src/kernels/opt), and the tests (tests/ and runtime_c/tests).
- **Files per op**: for each op of the schema, the files of its runtime path (the trainer's lowering,
  quantization and runtime-op stanzas, the .tlm writer, the CLI, pyruntime, runtime_c, schema/) whose name
  or code (comments and docstrings left out) names it: the CamelCase name ("Conv2D"), the C op code
  ("TL_OP_CONV2D") or the snake_case name ("conv2d", also inside identifiers such as tl_prepare_conv2d, not
  inside a longer op's name such as depthwise_conv2d). Generic words (add, mean, pad, quantize) over-count
  those ops alike before and after. Generated files (runtime_c/src/fb_schema.*, trainer/tlm/schema/,
  trainer/tlm/schema_tables.py) are left out: nobody edits them. It is what a reader following one op from
  the lowering to its kernels has to open.
- **Import circles**: strongly connected components of the trainer's import graph, imports inside functions
  counted (tests/trainer/import_graph.py).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
from pathlib import Path

PARTS = {
    "trainer": ["trainer/**/*.py"],
    "runtime core": ["runtime_c/src/*.c", "runtime_c/src/*.h", "runtime_c/include/*.h"],
    "op glue": ["runtime_c/src/ops/**/*.c", "runtime_c/src/ops/**/*.h"],
    "reference kernels": ["runtime_c/src/kernels/*.c", "runtime_c/src/kernels/*.h"],
    "optimized kernels": ["runtime_c/src/kernels/opt/**/*.c", "runtime_c/src/kernels/opt/**/*.h"],
    "tests": ["tests/**/*.py", "runtime_c/tests/**/*.c", "runtime_c/tests/**/*.h"],
}
# the runtime path of an op: from the trainer's lowering and quantization to the C kernels
PRODUCT = [
    "trainer/lite/**/*.py",
    "trainer/quant/**/*.py",
    "trainer/quantize.py",
    "trainer/runtime_ops/**/*.py",
    "trainer/tlm/**/*.py",
    "trainer/cli.py",
    "pyruntime/**/*.py",
    "runtime_c/src/**/*.[ch]",
    "runtime_c/include/*.h",
    "schema/*",
]
GENERATED = re.compile(r"runtime_c/src/fb_schema\.[ch]$|trainer/tlm/schema/|trainer/tlm/schema_tables\.py$")


def _files(root: Path, patterns: list[str]) -> list[Path]:
    out: set[Path] = set()
    for pattern in patterns:
        out.update(p for p in root.glob(pattern) if p.is_file())
    return sorted(out)


def _lines(path: Path) -> int:
    return sum(1 for line in path.read_text(errors="replace").splitlines() if line.strip())


def lines_per_part(root: Path) -> dict[str, dict[str, int]]:
    out = {}
    for part, patterns in PARTS.items():
        files = [p for p in _files(root, patterns) if not GENERATED.search(p.relative_to(root).as_posix())]
        out[part] = {"files": len(files), "lines": sum(_lines(p) for p in files)}
    return out


def schema_ops(root: Path) -> list[str]:
    text = (root / "schema" / "tensorlet.fbs").read_text()
    body = re.search(r"enum\s+OpCode\s*:\s*\w+\s*\{(.*?)\}", text, re.S)
    if body is None:
        raise SystemExit("architecture_report: no OpCode enum in schema/tensorlet.fbs")
    names = []
    for item in re.sub(r"//[^\n]*|\([^)]*\)", "", body.group(1)).split(","):  # comments, attributes
        name = item.split("=")[0].strip()
        if name:
            names.append(name)
    return names


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z])([A-Z])", r"_\1", name).lower()  # Conv2D -> conv2d, MaxPool2D -> max_pool2d


def _upper(name: str) -> str:
    return _snake(name).upper()


def _code(path: Path) -> str:
    """The file's code without comments and docstrings (what names an op in prose does not count)."""
    text = path.read_text(errors="replace")
    if path.suffix in (".c", ".h"):
        return re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)
    if path.suffix == ".py":
        return re.sub(r'""".*?"""|\'\'\'.*?\'\'\'|#[^\n]*', " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def files_per_op(root: Path) -> dict[str, int]:
    files = [p for p in _files(root, PRODUCT) if not GENERATED.search(p.relative_to(root).as_posix())]
    texts = {p: _code(p) for p in files}
    ops = schema_ops(root)
    out = {}
    for op in ops:
        snake = _snake(op)
        # snake_case also inside identifiers (tl_prepare_conv2d), but not inside a longer op's name
        longer = [_snake(o) for o in ops if o != op and snake in _snake(o)]
        word = r"(?<![A-Za-z0-9])"
        pattern = re.compile(
            rf"\b{re.escape(op)}\b|\bTL_OP_{_upper(op)}\b|{word}{re.escape(snake)}(?![A-Za-z0-9])"
        )
        count = 0
        for path, text in texts.items():
            for name in longer:
                text = text.replace(name, " ")
            stem = path.stem
            for name in longer:
                stem = stem.replace(name, " ")
            if pattern.search(text) or re.search(rf"{word}{re.escape(snake)}(?![A-Za-z0-9])", stem):
                count += 1
        out[op] = count
    return out


def import_circles(root: Path) -> list[list[str]]:
    """Circles of ``root``'s trainer, found by this tree's tests/**/import_graph.py."""
    found = sorted(Path(__file__).resolve().parents[1].glob("tests/**/import_graph.py"))
    if not found:
        raise SystemExit("architecture_report: tests/**/import_graph.py not found")
    spec = importlib.util.spec_from_file_location("import_graph", found[0])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["import_graph"] = module
    spec.loader.exec_module(module)
    return [sorted(c) for c in module.cycles(module.graph(module.imports(root)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--root", type=Path, default=Path(__file__).resolve().parents[1], help="the tree to measure"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    report = {
        "lines_per_part": lines_per_part(root),
        "files_per_op": files_per_op(root),
        "import_circles": import_circles(root),
    }
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"tree: {root}")
    print("lines per part (non-blank):")
    for part, v in report["lines_per_part"].items():
        print(f"  {part:18} {v['lines']:7} lines in {v['files']:3} files")
    per_op = report["files_per_op"]
    print("files per op (product files naming it; generated files left out):")
    for op, n in per_op.items():
        print(f"  {op:16} {n}")
    print(f"  mean {sum(per_op.values()) / max(len(per_op), 1):.1f}, max {max(per_op.values(), default=0)}")
    circles = report["import_circles"]
    print(f"trainer import circles: {len(circles)}" + "".join(f"\n  {' <-> '.join(c)}" for c in circles))
    return 0


if __name__ == "__main__":
    sys.exit(main())
