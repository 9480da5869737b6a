"""The table of docs/zoo.md: one row per family of examples/zoo/zoo.py, with its numbers measured here.

    .venv/bin/python examples/zoo/report.py                  # run every family (full size), then the table
    .venv/bin/python examples/zoo/report.py --reuse          # the rows zoo.py wrote in --out, re-timed
    .venv/bin/python examples/zoo/report.py --size tiny --runs 50

Columns: parameters; float32 and int8 model bytes; the int8 model's arena bytes and the memory the C runtime
needs in all with the reference kernels (arena, tables and per-op memory; measured on this 64-bit host, so an
upper bound for a 32-bit microcontroller); int8 vs float agreement on held-out inputs (argmax agreement, or
the worst output's SQNR for regression outputs); x86_64 latency of one invoke (the C runtime through
pyruntime, one thread, default kernels, median of ``--runs`` after 20 warm-ups), float32 and int8; Cortex-M4
fit: the
int8 model plus the all-ops Cortex-M4 library (``CORTEX_M4_CODE_BYTES``, docs/embedded.md) within 1 MB of
flash, and the required memory within 256 KB of RAM. A family whose runtime op has not landed gets a row
naming the op.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import zoo  # noqa: E402

FLASH_BYTES, RAM_BYTES = 1 << 20, 256 << 10
CORTEX_M4_CODE_BYTES = 80_000  # the all-ops Cortex-M4 library, about 78 KB with messages (docs/embedded.md)


def latency_us(model: bytes, runs: int, kernels: str = "auto") -> float:
    """Median microseconds of one invoke of ``model`` on pyruntime, one thread."""
    import pyruntime

    interp = pyruntime.Interpreter(model_content=model, num_threads=1, kernels=kernels)
    interp.allocate_tensors()
    for d in interp.get_input_details():
        interp.set_tensor(d["index"], np.zeros(tuple(d["shape"]), d["dtype"]))
    for _ in range(20):
        interp.invoke()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        interp.invoke()
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e6)


def required_memory(model: bytes) -> int:
    """The C runtime's memory for ``model`` with the reference kernels (no packed weights)."""
    import pyruntime

    interp = pyruntime.Interpreter(model_content=model, num_threads=1, kernels="reference")
    interp.allocate_tensors()
    return int(interp.required_memory_bytes)


def measure(row: dict[str, Any], out: Path, runs: int) -> dict[str, Any]:
    """``row`` with latencies, required memory and the Cortex-M4 fit, from the models in ``out``."""
    if "missing_ops" in row:
        return row
    f32 = (out / f"{row['family']}_float.tlm").read_bytes()
    i8 = (out / f"{row['family']}_int8.tlm").read_bytes()
    mem = required_memory(i8)
    flash = len(i8) + CORTEX_M4_CODE_BYTES
    return {
        **row,
        "latency_us_float": latency_us(f32, runs),
        "latency_us_int8": latency_us(i8, runs),
        "required_memory_int8": mem,
        "cortex_m4_fits": flash <= FLASH_BYTES and mem <= RAM_BYTES,
        "cortex_m4_flash_bytes": flash,
    }


def _kb(n: int) -> str:
    return f"{n / 1024:,.1f} KB"


def table(rows: list[dict[str, Any]]) -> str:
    """The markdown table of ``rows``."""
    head = (
        "| family | input | params | float32 model | int8 model | int8 arena / required memory | "
        "int8 vs float | latency float32 / int8 (x86_64) | Cortex-M4 (1 MB flash, 256 KB RAM) |\n"
        "|---|---|---:|---:|---:|---:|---|---:|---|"
    )
    lines = [head]
    for r in rows:
        if "missing_ops" in r:
            family = zoo.FAMILIES[r["family"]][0]
            lines.append(
                f"| {r['title']} | {family.shape} | | | | | not run: the runtime has no "
                f"{', '.join(r['missing_ops'])} yet | | |"
            )
            continue
        agree = (
            f"argmax {100 * r['int8_argmax_agreement']:.1f}%"
            if "int8_argmax_agreement" in r
            else f"SQNR {r['int8_sqnr_db']:.1f} dB"
        )
        fit = "fits" if r["cortex_m4_fits"] else "does not fit"
        fit += f" ({_kb(r['cortex_m4_flash_bytes'])} flash, {_kb(r['required_memory_int8'])} RAM)"
        title = zoo.FAMILIES[r["family"]][0].title
        lines.append(
            f"| {title} | {r['input']} | {r['params']:,} | {_kb(r['float_bytes'])} | "
            f"{_kb(r['int8_bytes'])} | {_kb(r['arena_bytes_int8'])} / {_kb(r['required_memory_int8'])} | "
            f"{agree} | {r['latency_us_float']:,.0f} / {r['latency_us_int8']:,.0f} µs | {fit} |"
        )
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="out/zoo", help="where zoo.py's models and rows are (default out/zoo)")
    p.add_argument("--size", choices=(zoo.FULL, zoo.TINY), default=zoo.FULL)
    p.add_argument("--reuse", action="store_true", help="use the rows and models already in --out")
    p.add_argument("--runs", type=int, default=200, help="timed invokes per model (default 200)")
    p.add_argument(
        "--family", action="append", choices=sorted(zoo.FAMILIES), help="repeatable (default: all)"
    )
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> str:
    args = parse_args(argv)
    out = Path(args.out)
    rows = []
    for name in args.family or list(zoo.FAMILIES):
        family = zoo.FAMILIES[name][0]
        saved = out / f"{name}.json"
        missing = zoo.missing_ops(family)
        if missing:
            row: dict[str, Any] = {"family": name, "title": family.title, "missing_ops": missing}
        elif args.reuse and saved.is_file():
            row = json.loads(saved.read_text())
        else:
            row = zoo.run_family(name, args.size, out=out)
            row.pop("_models")
        rows.append(measure(row, out, args.runs))
    text = table(rows)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    text += f"\n\nMeasured {stamp} on {machine()}; sizes: {args.size}."
    print(text)
    return text


if __name__ == "__main__":
    main()
