#!/usr/bin/env python3
"""Long fuzz campaigns of the C runtime outside CI: build, seed, run each libFuzzer target, report.

For each target (fuzz_load: raw bytes of a model file; fuzz_inputs: fuzzed input values of valid models;
fuzz_fields: structure-aware mutation of every field plus optimized-vs-reference and 1-vs-2-thread
comparisons) the campaign runs libFuzzer for a given time (or number of runs), one worker, with a memory
limit and a per-input timeout, then records executions, exec/s, coverage (``cov``/``ft`` of libFuzzer's last
status line), corpus size and crash files. Crash files are copied into ``OUT/crashes/<target>/``; the summary
is written to ``OUT/summary.json`` and ``OUT/summary.txt`` (and updated after every target, so a campaign
stopped half-way still reports what finished).

The corpus directories ``OUT/corpus/<target>/`` are kept between runs: run the same command again to resume
from everything found so far. ``--rounds N`` repeats the whole list of targets N times (so a campaign of many
hours alternates between targets and every summary update is recent). The total of executions across
targets and rounds is in the summary.

    python scripts/fuzz_campaign.py --out fuzz-out --time 3600            # one hour per target
    python scripts/fuzz_campaign.py --out fuzz-out --runs 200000 --targets fuzz_fields
    python scripts/fuzz_campaign.py --help

A crash is reproduced by running the target on the file (``build/fuzz/fuzz_fields FILE``; fuzz_inputs also
needs ``TL_FUZZ_MODEL``, written next to the crash as ``model.tlm``); ``TL_FUZZ_DUMP=1`` makes fuzz_fields
print the model's fields. Commit a reproducer as ``runtime_c/fuzz/regressions/<name>.tlm`` (fuzz_load and
fuzz_fields inputs are model files): tests/runtime/test_fuzz_fields.py runs every file there.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"
TARGETS = ("fuzz_load", "fuzz_inputs", "fuzz_fields")
SANITIZER_ENV = {
    "ASAN_OPTIONS": "halt_on_error=1:detect_leaks=1:abort_on_error=0:strict_string_checks=1",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
}
# The CMake arguments of the "fuzz" variant of tests/cbuild.py (copied: that module needs pytest;
# tests/runtime/test_fuzz_fields.py keeps the two equal).
CMAKE_ARGS = (
    "-DCMAKE_C_COMPILER=clang",
    "-DCMAKE_BUILD_TYPE=Debug",
    "-DCMAKE_C_FLAGS_DEBUG=-O1 -g",
    "-DTL_SANITIZE=ON",
    "-DTL_BUILD_FUZZ=ON",
    "-DTL_BUILD_TESTS=OFF",
    "-DTL_BUILD_TOOLS=OFF",
)
STATUS_RE = re.compile(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/(\S+)", re.M)


@dataclass
class Result:
    """One libFuzzer run of one target."""

    target: str
    round: int
    model: str = ""  # fuzz_inputs: the model whose input values were fuzzed
    seconds: float = 0.0
    executions: int = 0
    exec_per_sec: float = 0.0
    cov: int = 0
    ft: int = 0
    corpus_units: int = 0
    peak_rss_mb: int = 0
    exit_code: int = 0
    crashes: list[str] = field(default_factory=list)
    harness_stats: str = ""  # fuzz_fields' own counters (loaded, prepared, compared, ...)


def build(build_dir: Path, jobs: int) -> Path:
    """Configures (first time) and builds the fuzz targets; returns the directory holding them."""
    if not (build_dir / "CMakeCache.txt").is_file():
        generator = ["-G", "Ninja"] if shutil.which("ninja") else []
        cmd = ["cmake", "-S", str(REPO / "runtime_c"), "-B", str(build_dir), *generator, *CMAKE_ARGS]
        subprocess.run(cmd, check=True)
    cmd = ["cmake", "--build", str(build_dir), "-j", str(jobs)]
    for target in TARGETS:
        cmd += ["--target", target]
    subprocess.run(cmd, check=True)
    return build_dir


def write_seeds(directory: Path) -> list[Path]:
    """Every valid model the tests build (tests/fuzz_seeds.py), plus the committed regression inputs."""
    sys.path.insert(0, str(TESTS))
    import fuzz_seeds  # noqa: PLC0415 (needs tests/ on sys.path)

    paths = fuzz_seeds.write_seeds(directory)
    for regression in sorted((REPO / "runtime_c" / "fuzz" / "regressions").glob("*.tlm")):
        target = directory / f"regression_{regression.name}"
        shutil.copyfile(regression, target)
        paths.append(target)
    return paths


FLOAT_INPUT_MODELS = ("valid_cnn.tlm", "op_network_cnn.tlm", "valid_fc.tlm", "valid_shapes.tlm")


def input_models(seeds: list[Path], count: int) -> list[Path]:
    """fuzz_inputs runs on one model at a time: the float networks first, then a spread of int8 op models."""
    by_name = {p.name: p for p in seeds}
    chosen = [by_name[name] for name in FLOAT_INPUT_MODELS if name in by_name][: (count + 1) // 2]
    int8 = sorted((p for p in seeds if p.name.startswith("int8_")), key=lambda p: p.name)
    wanted = count - len(chosen)
    if wanted > 0 and int8:
        step = max(1.0, len(int8) / wanted)
        chosen += [int8[int(i * step)] for i in range(min(wanted, len(int8)))]
    return chosen


def parse_output(text: str, result: Result) -> None:
    """Fills executions, coverage and rss of ``result`` from libFuzzer's stderr."""
    statuses = STATUS_RE.findall(text)
    if statuses:
        last = statuses[-1]
        result.cov, result.ft, result.corpus_units = int(last[1]), int(last[2]), int(last[3])
        result.executions = int(last[0])
    for key, attr in (("number_of_executed_units", "executions"), ("peak_rss_mb", "peak_rss_mb")):
        match = re.search(rf"stat::{key}:\s+(\d+)", text)
        if match:
            setattr(result, attr, int(match.group(1)))
    match = re.search(r"fuzz_fields stats: (.*)", text)
    if match:
        result.harness_stats = match.group(1).strip()


def run_target(
    binary: Path,
    result: Result,
    corpus: Path,
    seeds: Path,
    crash_dir: Path,
    log: Path,
    args: argparse.Namespace,
) -> Result:
    crash_dir.mkdir(parents=True, exist_ok=True)
    corpus.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    budget = ["-runs=" + str(args.runs)] if args.runs else ["-max_total_time=" + str(args.time)]
    cmd = [
        str(binary),
        f"-seed={args.seed + result.round}",
        *budget,
        f"-rss_limit_mb={args.rss_limit_mb}",
        f"-timeout={args.timeout}",
        f"-max_len={args.max_len}",
        "-print_final_stats=1",
        f"-artifact_prefix={crash_dir}/",
        str(corpus),
        str(seeds),
    ]
    env = dict(os.environ)
    env.update(SANITIZER_ENV)
    env["TL_FUZZ_STATS"] = "1"
    if result.model:
        env["TL_FUZZ_MODEL"] = result.model  # fuzz_inputs: the corpus holds input values, not models
    before = {p.name for p in crash_dir.iterdir()}
    start = time.monotonic()
    wall_limit = (args.time if not args.runs else 24 * 3600) + 600
    with open(log, "w") as out:
        out.write("$ " + " ".join(cmd) + "\n")
        out.flush()
        try:
            proc = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=wall_limit)
            result.exit_code = proc.returncode
        except subprocess.TimeoutExpired:
            result.exit_code = -1
    result.seconds = round(time.monotonic() - start, 1)
    parse_output(log.read_text(errors="replace"), result)
    result.exec_per_sec = round(result.executions / result.seconds, 1) if result.seconds else 0.0
    result.crashes = sorted(p.name for p in crash_dir.iterdir() if p.name not in before)
    if result.crashes and result.model:
        shutil.copyfile(result.model, crash_dir / "model.tlm")
    return result


def summarize(results: list[Result], started: float) -> dict:
    per_target: dict[str, dict] = {}
    for r in results:
        t = per_target.setdefault(
            r.target, {"executions": 0, "seconds": 0.0, "cov": 0, "ft": 0, "crashes": [], "runs": 0}
        )
        t["executions"] += r.executions
        t["seconds"] = round(t["seconds"] + r.seconds, 1)
        t["cov"] = max(t["cov"], r.cov)
        t["ft"] = max(t["ft"], r.ft)
        t["crashes"] += [f"{r.target}/{c}" for c in r.crashes]
        t["runs"] += 1
    for t in per_target.values():
        t["exec_per_sec"] = round(t["executions"] / t["seconds"], 1) if t["seconds"] else 0.0
    return {
        "total_executions": sum(r.executions for r in results),
        "total_crashes": sum(len(r.crashes) for r in results),
        "wall_seconds": round(time.monotonic() - started, 1),
        "targets": per_target,
        "runs": [asdict(r) for r in results],
    }


def write_summary(out: Path, summary: dict) -> str:
    lines = [
        f"fuzz campaign: {summary['total_executions']:,} executions, {summary['total_crashes']} crashes, "
        f"{summary['wall_seconds']:.0f} s",
        f"{'target':<12} {'executions':>12} {'exec/s':>9} {'cov':>6} {'ft':>7} {'crashes':>8}",
    ]
    for name, t in summary["targets"].items():
        lines.append(
            f"{name:<12} {t['executions']:>12,} {t['exec_per_sec']:>9.0f} {t['cov']:>6} {t['ft']:>7} "
            f"{len(t['crashes']):>8}"
        )
    for r in summary["runs"]:
        if r["harness_stats"]:
            lines.append(f"  {r['target']} round {r['round']}: {r['harness_stats']}")
        for crash in r["crashes"]:
            lines.append(f"  CRASH {r['target']}: {out / 'crashes' / r['target'] / crash}")
        if r["exit_code"] not in (0,) and not r["crashes"]:
            lines.append(f"  {r['target']} round {r['round']} exited {r['exit_code']} (see its log)")
    text = "\n".join(lines) + "\n"
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "summary.txt").write_text(text)
    return text


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out", type=Path, default=Path("fuzz-out"), help="campaign folder (default: %(default)s)"
    )
    parser.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS), help="targets to run")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--time", type=int, default=300, help="seconds per target and round (default: 300)")
    budget.add_argument("--runs", type=int, default=0, help="executions per target and round instead of time")
    parser.add_argument("--rounds", type=int, default=1, help="repeat the list of targets (default: 1)")
    parser.add_argument("--seed", type=int, default=1, help="libFuzzer seed of round 0 (round k: seed + k)")
    parser.add_argument("--timeout", type=int, default=10, help="seconds one input may take (default: 10)")
    parser.add_argument("--rss-limit-mb", type=int, default=2048, help="memory limit (default: 2048)")
    parser.add_argument("--max-len", type=int, default=8192, help="largest input in bytes (default: 8192)")
    parser.add_argument(
        "--input-models", type=int, default=6, help="models fuzz_inputs splits its time over (default: 6)"
    )
    parser.add_argument("--build-dir", type=Path, default=None, help="default: OUT/build")
    parser.add_argument("--jobs", type=int, default=2, help="parallel compile jobs (default: 2)")
    parser.add_argument(
        "--no-build", action="store_true", help="use the binaries already in the build folder"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    build_dir = (args.build_dir or out / "build").resolve()
    if not args.no_build:
        build(build_dir, args.jobs)
    seeds_dir = out / "seeds"
    shutil.rmtree(seeds_dir, ignore_errors=True)
    seeds = write_seeds(seeds_dir)
    print(f"{len(seeds)} seed models in {seeds_dir}", flush=True)
    started = time.monotonic()
    results: list[Result] = []
    for round_ in range(args.rounds):
        for target in args.targets:
            binary = build_dir / target
            if target == "fuzz_inputs":
                models = input_models(seeds, args.input_models)
                share = max(1, args.time // max(1, len(models)))
                for model in models:
                    sub = argparse.Namespace(**{**vars(args), "time": share})
                    inputs_seeds = out / "inputs_seeds"
                    inputs_seeds.mkdir(exist_ok=True)
                    (inputs_seeds / "ramp").write_bytes(bytes(range(256)))
                    result = Result(target, round_, model=str(model))
                    run_target(
                        binary,
                        result,
                        out / "corpus" / target / model.stem,
                        inputs_seeds,
                        out / "crashes" / target / model.stem,
                        out / "logs" / f"{target}-{model.stem}-r{round_}.log",
                        sub,
                    )
                    result.crashes = [f"{model.stem}/{c}" for c in result.crashes]
                    results.append(result)
            else:
                result = Result(target, round_)
                run_target(
                    binary,
                    result,
                    out / "corpus" / target,
                    seeds_dir,
                    out / "crashes" / target,
                    out / "logs" / f"{target}-r{round_}.log",
                    args,
                )
                results.append(result)
            text = write_summary(out, summarize(results, started))
            last = results[-1]
            print(
                f"{target} round {round_}: {last.executions:,} executions, {last.exec_per_sec:.0f}/s, "
                f"cov {last.cov} ft {last.ft}, {len(last.crashes)} crashes",
                flush=True,
            )
    print(text, end="")
    return 1 if any(r.crashes for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
