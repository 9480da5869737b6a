"""Batch-1 float32 FullyConnected with its weights in L1, in L2 and beyond L2: tensorlet against LiteRT
(XNNPACK), side by side, with the CPU's cache sizes.

The runtime picks the batch-1 FullyConnected's panel order at prepare from the CPU's L1 data and L2 sizes
(runtime_c/src/cpu_caches.h: ascending on every invoke when the packed weights fit in L1d, alternating
ascending and descending otherwise). This script times three stacks of dense layers sized for each regime
of the machine it runs on, interleaved (a busy machine slows both runtimes alike), and prints a markdown
table with the ratio tensorlet / LiteRT at each thread count. Needs ai-edge-litert and tensorflow (to write
the LiteRT twin), as benchmarks/runtime_vs_litert.py, whose model and runner helpers it reuses:

    PYTHONPATH=. python benchmarks/fc_cache_regimes.py --rounds 10 --per-round 50 --threads 1,2
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

import runtime_vs_litert as rvl  # noqa: E402

SYSFS = Path("/sys/devices/system/cpu/cpu0/cache")


def caches() -> tuple[int, int]:
    """(L1 data bytes, L2 bytes) from sysfs; the runtime's defaults (32 KB, 256 KB) elsewhere."""
    found = {"l1d": 32 * 1024, "l2": 256 * 1024}
    for index in sorted(SYSFS.glob("index*")):
        try:
            level, kind, text = ((index / f).read_text().strip() for f in ("level", "type", "size"))
        except OSError:
            continue
        size = int(text.rstrip("KM")) * {"K": 1024, "M": 1 << 20}.get(text[-1], 1)
        if level == "1" and kind == "Data":
            found["l1d"] = size
        elif level == "2" and kind != "Instruction":
            found["l2"] = size
    return found["l1d"], found["l2"]


def width_for(weight_bytes: int) -> int:
    """The square layer width whose float32 weights take about weight_bytes (a multiple of 16)."""
    return max(16, int((weight_bytes / 4) ** 0.5) // 16 * 16)


def dense_stack(name: str, width: int, layers: int, seed: int) -> rvl.Net:
    """`layers` dense width x width layers with ReLU, batch 1."""
    rng = np.random.default_rng(seed)
    net = rvl.Net(
        f"{name}: {layers} x dense {width}x{width} ({width * width * 4 // 1024} KB each)", (1, width)
    )
    for _ in range(layers):
        net.layers.append(
            rvl.Layer("dense", rvl._he(rng, (width, width), width), rvl._bias(rng, width), act="RELU")
        )
        net.flops += 2 * width * width
    return net


def regimes(l1d: int, l2: int) -> list[rvl.Net]:
    """Weights of each layer at half of L1d, at half of L2, and at four times L2."""
    return [
        dense_stack("L1", width_for(l1d // 2), 3, 1),
        dense_stack("L2", width_for(l2 // 2), 3, 2),
        dense_stack("beyond L2", width_for(4 * l2), 2, 3),
    ]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=10, help="interleaved rounds (default 10)")
    ap.add_argument("--per-round", type=int, default=50, help="invokes per runtime per round (default 50)")
    ap.add_argument("--threads", default="1", help="comma-separated thread counts (default 1)")
    args = ap.parse_args(argv)
    threads = [int(t) for t in args.threads.split(",")]
    l1d, l2 = caches()
    print(rvl.machine())
    print(f"L1d {l1d // 1024} KB, L2 {l2 // 1024} KB per core\n")
    print("| weights | threads | tensorlet µs | LiteRT µs | tensorlet / LiteRT |")
    print("|---|---:|---:|---:|---:|")
    for net in regimes(l1d, l2):
        x = np.random.default_rng(0).standard_normal(net.input_shape).astype(np.float32)
        tlm, tflite = rvl.to_tlm(net), rvl.to_tflite(net)
        runners = {}
        for t in threads:
            runners[("tensorlet", t)] = rvl.tensorlet_runner(tlm, x, "auto", t)
            runners[("litert", t)] = rvl.litert_runner(tflite, x, t)
        for invoke, _ in runners.values():
            invoke()
        got, want = runners[("tensorlet", threads[0])][1](), runners[("litert", threads[0])][1]()
        assert np.allclose(got, want, rtol=1e-4, atol=1e-4), f"{net.name}: outputs differ"
        medians = rvl.interleaved(runners, args.rounds, args.per_round)
        for t in threads:
            ours, theirs = medians[("tensorlet", t)], medians[("litert", t)]
            print(f"| {net.name} | {t} | {ours:.2f} | {theirs:.2f} | **{rvl.ratio(ours, theirs)}** |")


if __name__ == "__main__":
    main()
