#!/usr/bin/env python3
"""A fixed corpus of models and inputs, and the exact outputs and memory figures a runtime build gives on it.

Used to show that a change of the C runtime keeps its behaviour: write the corpus once, run it through the
``tl_run`` and ``tl_bench`` of the build before the change and of the build after it (natively, or under qemu
for ARM), and compare the two reports. Outputs are compared as bytes (a SHA-256 per output); memory as the
figures ``tl_bench`` prints (arena bytes, required memory, work).

  python scripts/output_corpus.py write DIR             # models (.tlm) and inputs (.npy) of this tree
  python scripts/output_corpus.py run DIR --tools BUILD/tools --out report.json
      [--emulator "qemu-aarch64 -L /usr/aarch64-linux-gnu"] [--kernels reference,auto] [--threads 1,2]
  python scripts/output_corpus.py compare before.json after.json

The corpus: every float parity case and every int8 bit-exactness case of the runtime tests (single ops with
seeded random shapes, data and quantization, plus a small network), and the benchmark models of
benchmarks/runtime_vs_litert.py (MLP, CNN, MobileNet v1 0.25 at 96x96) as float32, float16 weights and int8.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _import_cases(root: Path):
    """The test case modules of ``root`` (wherever the tests keep them)."""
    for name in ("runtime_op_cases.py", "int8_op_cases.py"):
        found = sorted(root.glob(f"tests/**/{name}"))
        if not found:
            raise SystemExit(f"output_corpus: {name} not found under {root / 'tests'}")
        sys.path.insert(0, str(found[0].parent))
    sys.path.insert(0, str(root))
    sys.path.insert(0, str(root / "benchmarks"))
    import int8_op_cases
    import runtime_op_cases
    import runtime_vs_litert

    return runtime_op_cases, int8_op_cases, runtime_vs_litert


def write(directory: Path) -> int:
    """Write every corpus model and its inputs into ``directory``; returns the count."""
    float_cases, int8_cases, bench = _import_cases(ROOT)
    from trainer.quant.float16 import float16_weights

    directory.mkdir(parents=True, exist_ok=True)
    models: list[tuple[str, bytes, list[np.ndarray]]] = []
    models += [(f"f32_{c.name}", c.model, list(c.inputs)) for c in float_cases.all_cases()]
    models += [(f"i8_{c.name}", c.model, list(c.inputs)) for c in int8_cases.all_cases()]
    rng = np.random.default_rng(5)
    nets = {
        "mlp": bench.mlp(),
        "cnn": bench.cnn(),
        "mobilenet": bench.mobilenet_v1(alpha=0.25, size=96, classes=100),
    }
    for key, net in nets.items():
        x = rng.uniform(-1, 1, net.input_shape).astype(np.float32)
        f32 = bench.to_tlm(net)
        models.append((f"bench_{key}_f32", f32, [x]))
        models.append((f"bench_{key}_f16", float16_weights(f32), [x]))
        int8 = bench.to_tlm_int8(net)
        scale, zero = _input_quantization(int8)
        xq = np.clip(np.round(x / scale) + zero, -128, 127).astype(np.int8)
        models.append((f"bench_{key}_i8", int8, [xq]))
    for name, model, inputs in models:
        (directory / f"{name}.tlm").write_bytes(model)
        for i, value in enumerate(inputs):
            np.save(directory / f"{name}.in{i}.npy", value)
    return len(models)


def _input_quantization(model: bytes) -> tuple[float, int]:
    import pyruntime

    interp = pyruntime.Interpreter(model_content=model)
    scale, zero = interp.get_input_details()[0]["quantization"]
    return float(scale), int(zero)


def _sha(path: Path) -> str:
    return hashlib.sha256(np.load(path).tobytes()).hexdigest()[:16]


def _bench_figures(cmd: list[str], env: dict[str, str]) -> dict[str, int]:
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    if out.returncode != 0:
        return {"error": out.returncode}
    figures = {}
    for line in out.stdout.splitlines():
        key, _, value = line.partition(": ")
        if key in ("arena_bytes", "required_memory_bytes", "work"):
            figures[key] = int(value)
    return figures


def run(directory: Path, tools: Path, emulator: str, kernels: list[str], threads: list[int]) -> dict:
    """Outputs (hashes) of every model at every kernel level and thread count, and tl_bench's figures."""
    prefix = shlex.split(emulator) if emulator else []
    report: dict[str, dict] = {}
    models = sorted(directory.glob("*.tlm"))
    with tempfile.TemporaryDirectory() as tmp:
        for done, model in enumerate(models):
            name = model.stem
            inputs = sorted(directory.glob(f"{name}.in*.npy"))
            entry: dict[str, object] = {}
            for level in kernels:
                env = dict(os.environ, TENSORLET_KERNELS=level)
                for t in threads:
                    cmd = [*prefix, str(tools / "tl_run"), str(model), "--threads", str(t)]
                    for i, p in enumerate(inputs):
                        cmd += ["--input", f"{i}={p}"]
                    probe = subprocess.run(
                        [*cmd, "--print"], capture_output=True, text=True, env=env, timeout=600
                    )
                    if probe.returncode != 0:
                        entry[f"{level}/{t}"] = f"error {probe.returncode}: {probe.stderr.strip()[-200:]}"
                        continue
                    outs = [Path(tmp) / f"out{k}.npy" for k in range(max(probe.stdout.count("output "), 1))]
                    for k, p in enumerate(outs):  # as many as the model has (a Split may have more than 8)
                        p.unlink(missing_ok=True)
                        cmd += ["--output", f"{k}={p}"]
                    subprocess.run(cmd, check=True, capture_output=True, env=env, timeout=600)
                    entry[f"{level}/{t}"] = [_sha(p) for p in outs if p.exists()]
                if level == kernels[-1]:
                    entry["memory"] = _bench_figures(
                        [*prefix, str(tools / "tl_bench"), str(model), "--runs", "1", "--warmup", "0"], env
                    )
            report[name] = entry
            print(f"\r{done + 1}/{len(models)} {name:60.60}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return report


def compare(before: dict, after: dict) -> int:
    """Print differences; returns the number of models whose outputs differ."""
    differ = 0
    for name in sorted(set(before) | set(after)):
        b, a = before.get(name), after.get(name)
        if b is None or a is None:
            print(f"{name}: only in {'after' if b is None else 'before'}")
            differ += 1
            continue
        outs_b = {k: v for k, v in b.items() if k != "memory"}
        outs_a = {k: v for k, v in a.items() if k != "memory"}
        if outs_b != outs_a:
            differ += 1
            print(f"{name}: outputs differ: {outs_b} vs {outs_a}")
    print(f"{len(before)} models before, {len(after)} after; {differ} with different outputs")
    print("memory (bytes: arena, required) before -> after, for the benchmark models:")
    for name in sorted(n for n in before if n.startswith("bench_") and n in after):
        mb, ma = before[name].get("memory", {}), after[name].get("memory", {})
        print(
            f"  {name:28} arena {mb.get('arena_bytes')} -> {ma.get('arena_bytes')}, "
            f"required {mb.get('required_memory_bytes')} -> {ma.get('required_memory_bytes')}, "
            f"work {mb.get('work')} -> {ma.get('work')}"
        )
    total = {
        k: (
            sum(e.get("memory", {}).get(k, 0) for e in before.values()),
            sum(e.get("memory", {}).get(k, 0) for e in after.values()),
        )
        for k in ("arena_bytes", "required_memory_bytes")
    }
    print(
        f"all models: arena {total['arena_bytes'][0]} -> {total['arena_bytes'][1]}, required "
        f"{total['required_memory_bytes'][0]} -> {total['required_memory_bytes'][1]}"
    )
    return differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write", help="write the corpus of this tree into DIR")
    w.add_argument("dir", type=Path)
    r = sub.add_parser("run", help="run the corpus through one build's tl_run and tl_bench")
    r.add_argument("dir", type=Path)
    r.add_argument("--tools", type=Path, required=True, help="folder holding tl_run and tl_bench")
    r.add_argument("--emulator", default="", help='e.g. "qemu-aarch64 -L /usr/aarch64-linux-gnu"')
    r.add_argument("--kernels", default="reference,auto", help="comma-separated TENSORLET_KERNELS levels")
    r.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    r.add_argument("--out", type=Path, required=True)
    c = sub.add_parser("compare", help="compare two reports; exit 1 when outputs differ")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.cmd == "write":
        print(f"wrote {write(args.dir)} models into {args.dir}")
        return 0
    if args.cmd == "run":
        levels = args.kernels.split(",")
        report = run(args.dir, args.tools, args.emulator, levels, [int(t) for t in args.threads.split(",")])
        args.out.write_text(json.dumps(report, indent=1, sort_keys=True))
        print(f"{len(report)} models -> {args.out}")
        return 0
    return 1 if compare(json.loads(args.before.read_text()), json.loads(args.after.read_text())) else 0


if __name__ == "__main__":
    sys.exit(main())
