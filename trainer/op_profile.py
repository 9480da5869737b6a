"""Per-op profile tables for ``tensorlet bench --profile`` (the C runtime's tl_interpreter_invoke_profiled).

``summarize`` turns pyruntime's ``Interpreter.profile`` list (one dict per op, execution order) into the two
tables TFLite's ``benchmark_model --enable_op_profiling`` prints: every op and every op type, each sorted
slowest first with its share of the total; ``format_profile`` renders them as text.
"""

from __future__ import annotations

from typing import Any


def summarize(ops: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"total_us", "total_min_us", "ops": [...], "types": [...]}``: ops with ``percent`` added, and per
    op type ``{"type", "count", "total_us", "percent", "min_us"}`` (``min_us``: the sum of its ops' fastest
    runs), both sorted by average time, slowest first (ties by index)."""
    total = sum(op["avg_us"] for op in ops)
    share = 100.0 / total if total > 0 else 0.0
    rows = [{**op, "output_shape": list(op["output_shape"]), "percent": op["avg_us"] * share} for op in ops]
    types: dict[str, dict[str, Any]] = {}
    for op in ops:
        t = types.setdefault(op["type"], {"type": op["type"], "count": 0, "total_us": 0.0, "min_us": 0.0})
        t["count"] += 1
        t["total_us"] += op["avg_us"]
        t["min_us"] += op["min_us"]
    for t in types.values():
        t["percent"] = t["total_us"] * share
    return {
        "total_us": total,
        "total_min_us": sum(op["min_us"] for op in ops),
        "ops": sorted(rows, key=lambda r: (-r["avg_us"], r["index"])),
        "types": sorted(types.values(), key=lambda t: (-t["total_us"], t["type"])),
    }


def format_profile(summary: dict[str, Any]) -> str:
    """The two tables as text, one line per op and per op type."""
    head = f"  {'index':>5}  {'type':<22}  {'output shape':<20}  {'avg us':>10}  {'%':>6}  {'min us':>10}"
    lines = [f"per-op profile (total {summary['total_us']:.1f} us per invoke, sum of the fastest runs "
             f"{summary['total_min_us']:.1f} us), slowest first:", head]  # fmt: skip
    for r in summary["ops"]:
        shape = "[" + ",".join(str(d) for d in r["output_shape"]) + "]"
        row = f"  {r['index']:>5}  {r['type']:<22}  {shape:<20}"
        lines.append(f"{row}  {r['avg_us']:>10.2f}  {r['percent']:>6.2f}  {r['min_us']:>10.2f}")
    lines.append("per op type, slowest first:")
    lines.append(f"  {'type':<22}  {'count':>5}  {'total us':>10}  {'%':>6}  {'min us':>10}")
    for t in summary["types"]:
        row = f"  {t['type']:<22}  {t['count']:>5}  {t['total_us']:>10.2f}  {t['percent']:>6.2f}"
        lines.append(f"{row}  {t['min_us']:>10.2f}")
    return "\n".join(lines)
