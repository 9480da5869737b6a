"""Code size of the tensorlet C runtime per target: the core without kernels, each op, all ops, and a
selective build (the MNIST model's ops), as text/data/bss in bytes.

    python runtime_c/tools/size_report.py                       # every target whose compiler is installed
    python runtime_c/tools/size_report.py --arch cortex-m4 --json sizes.json
    python runtime_c/tools/size_report.py --selective ops.h     # header from `tensorlet ops MODEL --header`

Method: every library source is compiled with -Os -ffunction-sections -fdata-sections for the target
(Cortex-M4 freestanding: -DTL_FREESTANDING; cortex-m4-terse adds -DTL_TERSE_ERRORS), the files holding op
descriptors and the op table (ops/*.c naming TL_OP_FN or TL_OP_REF, ops/ops.h) once per distinct subset of
their own ops that a selection builds (-DTL_OPS_HEADER naming just that subset: a file's object depends only
on the TL_WITH_OP_ macros of the ops it names, so most files compile twice, with and without their ops, and
only the op table once per selection), then linked with
--gc-sections from runtime_c/tools/size_root.c (which calls the whole public API) as the only root, without
the C library (its memcpy/expf/... stay unresolved and are not counted; libgcc's helpers are). "core"
registers no op at all; an op's size is its selective build minus the core. Objects are cached in the build
directory, so a second run only relinks.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "runtime_c"


def schema_ops() -> list[str]:
    """The schema's op codes in order, read from the generated runtime_c/src/fb_schema.h (TL_OP_<NAME>)."""
    text = (SRC / "src" / "fb_schema.h").read_text()
    names = re.findall(r"\bTL_OP_([A-Z0-9_]+)\b", text[: text.index("TL_OP_COUNT") + len("TL_OP_COUNT")])
    return [n for n in names if n != "COUNT"]


OPS = schema_ops()
MNIST_OPS = ["FULLY_CONNECTED"]  # the int8-in/int8-out MNIST MLP of the Cortex-M4 firmware


def _c_flags(*names: str) -> tuple[str, ...]:
    """Flags from runtime_c/cmake/flags.txt (the one list CMake, the cffi build and the tests read)."""
    spec = importlib.util.spec_from_file_location("tensorlet_c_flags", SRC / "cmake" / "c_flags.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return tuple(module.flags(*names))


@dataclass(frozen=True)
class Target:
    name: str
    cc: str
    size: str
    flags: tuple[str, ...]


TARGETS = {
    "x86_64": Target("x86_64", "gcc", "size", ("-no-pie",)),
    "aarch64": Target("aarch64", "aarch64-linux-gnu-gcc", "aarch64-linux-gnu-size", ()),
    "armhf": Target(
        "armhf",
        "arm-linux-gnueabihf-gcc",
        "arm-linux-gnueabihf-size",
        _c_flags("armhf"),
    ),
    "cortex-m4": Target(
        "cortex-m4",
        "arm-none-eabi-gcc",
        "arm-none-eabi-size",
        (*_c_flags("cortex_m4"), "-DTL_FREESTANDING"),
    ),
    # the same with every message's text compiled out (statuses unchanged)
    "cortex-m4-terse": Target(
        "cortex-m4-terse",
        "arm-none-eabi-gcc",
        "arm-none-eabi-size",
        (*_c_flags("cortex_m4"), "-DTL_FREESTANDING", "-DTL_TERSE_ERRORS"),
    ),
}


def _run(cmd: list[str]) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"$ {' '.join(cmd)}\n{r.stderr[-4000:]}")
    return r.stdout


def _compile(
    t: Target, src: Path, obj: Path, extra: tuple[str, ...] = (), deps: tuple[Path, ...] = ()
) -> Path:
    inputs = [src, SRC / "cmake" / "flags.txt", *SRC.glob("include/*.h"), *(SRC / "src").rglob("*.h"), *deps]
    newest = max(p.stat().st_mtime for p in inputs)
    if obj.exists() and obj.stat().st_mtime >= newest:
        return obj
    obj.parent.mkdir(parents=True, exist_ok=True)
    _run([
        t.cc, *_c_flags("std"), "-Os", "-ffunction-sections", "-fdata-sections", *t.flags, *extra,
        f"-I{SRC / 'include'}", f"-I{SRC / 'src'}", "-c", str(src), "-o", str(obj),
    ])  # fmt: skip
    return obj


def _size(t: Target, objs: list[Path], out: Path) -> tuple[int, int, int]:
    _run([
        t.cc, *t.flags, "-nostdlib", "-static", "-Wl,--gc-sections", "-Wl,-e,tl_size_root",
        "-Wl,--unresolved-symbols=ignore-all", *map(str, objs), "-lgcc", "-o", str(out),
    ])  # fmt: skip
    line = _run([t.size, str(out)]).splitlines()[1].split()
    return int(line[0]), int(line[1]), int(line[2])


def _header(path: Path, ops: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(f"#define TL_WITH_OP_{op} 1\n" for op in ops)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def report(target: str, build: Path, selective: list[str], jobs: int = 2) -> dict[str, tuple[int, int, int]]:
    """{"core": (text, data, bss), "op:<NAME>": ..., "all ops": ..., "selective": ...} for one target."""
    t = TARGETS[target]
    d = build / target
    # the op files a selection changes (descriptors: TL_OP_FN; the table: TL_OP_REF) compile per selection
    selected = sorted(
        p for p in (SRC / "src" / "ops").glob("*.c") if re.search(r"TL_OP_(FN|REF)\(", p.read_text())
    )
    sources = sorted(p for p in (SRC / "src").rglob("*.c") if p not in selected)
    with ThreadPoolExecutor(jobs) as pool:
        objs = list(
            pool.map(lambda s: _compile(t, s, d / "obj" / (s.relative_to(SRC).as_posix() + ".o")), sources)
        )
    objs.append(_compile(t, SRC / "tools" / "size_root.c", d / "obj" / "size_root.o"))
    selections = {"core": [], **{f"op:{op}": [op] for op in OPS}, "selective": selective}

    names = {p: sorted(set(re.findall(r"TL_OP_(?:FN|REF)\((\w+)", p.read_text()))) for p in selected}
    items: list[tuple[str, list[str] | None]] = [*selections.items(), ("all ops", None)]

    def variant(p: Path, ops: list[str] | None) -> tuple[str, ...] | None:
        """The ops of file ``p`` that selection ``ops`` builds (None: the build without TL_OPS_HEADER)."""
        return None if ops is None else tuple(n for n in names[p] if n in ops)

    def compile_variant(job: tuple[Path, tuple[str, ...] | None]) -> Path:
        p, chosen = job
        if chosen is None:
            return _compile(t, p, d / "sel" / "all" / f"{p.name}.o")
        slug = "-".join(chosen) or "none"
        header = _header(d / "sel" / p.stem / f"{slug}.h", list(chosen))
        return _compile(t, p, d / "sel" / p.stem / f"{slug}.o", (f'-DTL_OPS_HEADER="{header}"',), (header,))

    jobs_needed = sorted({(p, variant(p, ops)) for _, ops in items for p in selected}, key=str)
    with ThreadPoolExecutor(jobs) as pool:
        built = dict(zip(jobs_needed, pool.map(compile_variant, jobs_needed), strict=True))

    def one(item: tuple[str, list[str] | None]) -> tuple[str, tuple[int, int, int]]:
        key, ops = item
        slug = re.sub(r"\W", "_", key)
        ops_objs = [built[(p, variant(p, ops))] for p in selected]
        return key, _size(t, [*objs, *ops_objs], d / "sel" / f"{slug}.elf")

    with ThreadPoolExecutor(jobs) as pool:
        sizes = dict(pool.map(one, items))
    core = sizes["core"]
    out = {"core": core, "all ops": sizes["all ops"], "selective": sizes["selective"]}
    for op in OPS:
        s = sizes[f"op:{op}"]
        out[f"op:{op}"] = (s[0] - core[0], s[1] - core[1], s[2] - core[2])
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--arch", action="append", choices=sorted(TARGETS), help="target (default: all installed)")
    p.add_argument("--build-dir", default=str(ROOT / "build-embedded" / "size"))
    p.add_argument(
        "--selective", metavar="OPS_H", help="op header of the selective build (default: MNIST MLP)"
    )
    p.add_argument("--json", metavar="FILE", help="also write the numbers as JSON")
    p.add_argument("-j", "--jobs", type=int, default=2)
    args = p.parse_args(argv)
    selective = MNIST_OPS
    if args.selective:
        selective = re.findall(r"#define TL_WITH_OP_(\w+) 1", Path(args.selective).read_text())
    archs = args.arch or [a for a, t in TARGETS.items() if shutil.which(t.cc) and shutil.which(t.size)]
    results = {a: report(a, Path(args.build_dir), selective, args.jobs) for a in archs}
    rows = ["core", "all ops", "selective", *(f"op:{op}" for op in OPS)]
    print(f"text/data/bss in bytes, -Os; selective = {', '.join(selective)}")
    print(f"{'':24}" + "".join(f"{a:>22}" for a in archs))
    for r in rows:
        cells = "".join(f"{'/'.join(str(v) for v in results[a][r]):>22}" for a in archs)
        print(f"{r:24}{cells}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
