"""The structure-aware fuzzer runtime_c/fuzz/fuzz_fields.c: fresh schema table, regressions, bounded run.

* ``runtime_c/fuzz/fuzz_schema.h`` must equal a fresh run of gen_fuzz_schema.py on schema/tensorlet.fbs.
* Every seed model (tests/fuzz_seeds.py) goes through the harness once: it must load, decode into the
  fuzzer's tree, survive the harness's decode -> encode round trip and run at every kernel level and thread
  count with matching outputs.
* Every committed reproducer in runtime_c/fuzz/regressions/ must run cleanly (until the fix of a finding
  lands, its file fails here: that is the point of committing it).
* A bounded libFuzzer run (fixed seed, fixed run count, ~30-60 s here) from the seeds: no crash, no sanitizer
  report, no optimized-vs-reference or 1-vs-2-thread mismatch.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import fuzz_seeds
import pytest
from cbuild import build, run_tool
from conftest import need_tool

REPO = Path(__file__).resolve().parents[2]
FUZZ_DIR = REPO / "runtime_c" / "fuzz"
REGRESSIONS = FUZZ_DIR / "regressions"
RUNS = 60_000
SEED = 20261207


def _generator():
    spec = importlib.util.spec_from_file_location("gen_fuzz_schema", FUZZ_DIR / "gen_fuzz_schema.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_fuzz_schema_header_is_fresh() -> None:
    gen = _generator()
    fresh = gen.generate()
    assert (FUZZ_DIR / "fuzz_schema.h").read_text() == fresh, (
        "stale: run python runtime_c/fuzz/gen_fuzz_schema.py"
    )


def test_fuzz_schema_parser_sees_every_field() -> None:
    """Spot checks of the parsed schema: defaults, enums, unions (two slots) and force_align."""
    schema = _generator().parse((REPO / "schema" / "tensorlet.fbs").read_text())
    tables = dict(schema.tables)
    dw = {f.name: f for f in tables["DepthwiseConv2DOptions"]}
    assert [dw[n].default for n in ("dilation_h", "dilation_w", "depth_multiplier")] == ["1", "1", "1"]
    assert dw["padding"].kind == "FZ_SCALAR" and dw["padding"].scalar == "FZ_I8"
    assert {f.name: f.default for f in tables["SoftmaxOptions"]} == {"beta": "1.0"}
    assert {f.name: f.default for f in tables["LeakyReluOptions"]} == {"alpha": "0.2"}
    assert {f.name: f.default for f in tables["Pool2DOptions"]}["padding"] == "1"  # VALID
    op = [(f.name, f.kind, f.slot) for f in tables["Operator"]]
    assert op[-2:] == [("options_type", "FZ_UTYPE", 3), ("options", "FZ_UNION", 4)]
    assert [f.align for f in tables["Buffer"]] == [16]
    # the OpOptions union, read from the schema text itself (so a new options table needs no edit here)
    fbs = (Path(__file__).resolve().parents[2] / "schema" / "tensorlet.fbs").read_text()
    members = re.search(r"union OpOptions\s*\{([^}]*)\}", fbs).group(1)
    assert len(schema.unions[0][1]) == len(re.findall(r"\w+Options", members))
    assert schema.root == "Model" and schema.identifier == "TLM1"


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("fuzz_fields_seeds")
    paths = fuzz_seeds.write_seeds(directory)
    assert len(paths) > 250, len(paths)
    return directory


def _report(result) -> str:
    return f"exit {result.returncode}\n--- stderr ---\n{result.stderr[-12000:]}"


def _stats(stderr: str) -> dict[str, int]:
    match = re.search(r"fuzz_fields stats: (.*)", stderr)
    assert match, stderr[-4000:]
    words = match.group(1).split()
    return {words[i]: int(words[i + 1]) for i in range(0, len(words), 2)}


def test_every_seed_runs_and_agrees(seeds: Path, tmp_path: Path) -> None:
    """Each seed once through the harness (-runs=0 only executes the given corpus)."""
    need_tool("clang")
    build("fuzz", targets=("fuzz_fields",))
    n_seeds = len(list(seeds.iterdir()))
    result = run_tool(
        "fuzz",
        "fuzz_fields",
        ["-runs=0", f"-artifact_prefix={tmp_path}/", str(seeds)],
        timeout=300,
        extra_env={"TL_FUZZ_STATS": "1"},
    )
    assert result.returncode == 0, _report(result)
    stats = _stats(result.stderr)
    # every seed loads, decodes, prepares and is compared across kernel levels and thread counts (libFuzzer
    # also runs the empty input, and may run an input twice)
    assert stats["loaded"] == stats["decoded"] == stats["prepared"] == stats["compared"] >= n_seeds, stats
    assert stats["runs"] - stats["loaded"] <= 2, stats


def test_regressions(tmp_path: Path) -> None:
    """Reproducers of past findings (runtime_c/fuzz/regressions/*.tlm) must run cleanly."""
    need_tool("clang")
    files = sorted(REGRESSIONS.glob("*.tlm"))
    if not files:
        pytest.skip("no regression inputs committed")
    build("fuzz", targets=("fuzz_fields", "fuzz_load"))
    failed = []
    for target in ("fuzz_fields", "fuzz_load"):
        result = run_tool("fuzz", target, [f"-artifact_prefix={tmp_path}/", *map(str, files)], timeout=300)
        if result.returncode != 0:
            failed.append(f"{target}: {_report(result)}")
    assert not failed, "\n".join(failed)


def test_fuzz_fields_bounded_run(seeds: Path, tmp_path: Path) -> None:
    need_tool("clang")
    build("fuzz", targets=("fuzz_fields",))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    args = [
        f"-seed={SEED}",
        f"-runs={RUNS}",
        "-rss_limit_mb=2048",
        "-timeout=20",
        "-max_total_time=400",
        "-print_final_stats=1",
        f"-artifact_prefix={artifacts}/",
        str(corpus),
        str(seeds),
    ]
    result = run_tool("fuzz", "fuzz_fields", args, timeout=600, extra_env={"TL_FUZZ_STATS": "1"})
    crashes = sorted(p.name for p in artifacts.iterdir())
    assert result.returncode == 0 and not crashes, f"fuzz_fields found {crashes}:\n{_report(result)}"
    match = re.search(r"stat::number_of_executed_units: (\d+)", result.stderr)
    assert match and int(match.group(1)) >= RUNS, result.stderr[-4000:]
    stats = _stats(result.stderr)
    # the mutations reach every phase: a good share of the inputs still load, prepare, run and are compared
    # (the rest are rejected by the verifier, which is the other half of the point)
    assert stats["loaded"] > stats["runs"] // 10, stats
    assert stats["compared"] > stats["runs"] // 20, stats


def _campaign():
    spec = importlib.util.spec_from_file_location("fuzz_campaign", REPO / "scripts" / "fuzz_campaign.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_campaign_reads_libfuzzer_stats_and_summarizes(tmp_path: Path) -> None:
    """scripts/fuzz_campaign.py: executions, coverage and harness counts from libFuzzer's output; summary."""
    campaign = _campaign()
    log = (
        "#300\tINITED cov: 2764 ft: 6864 corp: 270/138Kb exec/s: 0 rss: 51Mb\n"
        "#248082\tDONE   cov: 3391 ft: 9780 corp: 1090/746Kb lim: 4096 exec/s: 2726 rss: 442Mb\n"
        "stat::number_of_executed_units: 248082\nstat::peak_rss_mb:              442\n"
        "fuzz_fields stats: runs 248082 loaded 40000 decoded 40000 prepared 20000 over_work_cap 0 "
        "invoked 20000 compared 20000\n"
    )
    result = campaign.Result("fuzz_fields", 0, seconds=91.0)
    campaign.parse_output(log, result)
    assert (result.executions, result.cov, result.ft, result.corpus_units) == (248082, 3391, 9780, 1090)
    assert result.peak_rss_mb == 442 and result.harness_stats.startswith("runs 248082 loaded 40000")
    other = campaign.Result(
        "fuzz_load", 0, seconds=10.0, executions=100_000, cov=2000, ft=5000, crashes=["crash-1"]
    )
    summary = campaign.summarize([result, other], started=0.0)
    assert summary["total_executions"] == 348082 and summary["total_crashes"] == 1
    assert summary["targets"]["fuzz_load"]["exec_per_sec"] == 10000.0
    text = campaign.write_summary(tmp_path, summary)
    assert "348,082 executions, 1 crashes" in text and "CRASH fuzz_load" in text
    assert json.loads((tmp_path / "summary.json").read_text())["targets"]["fuzz_fields"]["cov"] == 3391


def test_campaign_builds_the_same_fuzz_variant_as_the_tests() -> None:
    """fuzz_campaign.py copies the "fuzz" variant of tests/cbuild.py (which needs pytest): the two agree."""
    from cbuild import _SANITIZER_ENV, VARIANTS

    campaign = _campaign()
    fuzz = VARIANTS["fuzz"]
    assert campaign.CMAKE_ARGS == (f"-DCMAKE_C_COMPILER={fuzz.compiler}", *fuzz.args)
    assert campaign.SANITIZER_ENV == _SANITIZER_ENV == fuzz.env
