"""Malformed models must be rejected with their specific status, and nothing may crash (docs/security.md).

* The corpus of tests/malformed_cases.py runs through runtime_c/tests/test_malformed.c natively, under
  ASan+UBSan and on the 32-bit armhf build under qemu (size arithmetic that only overflows on 32 bits).
* Every proper prefix of the valid models must be rejected with TL_ERROR_TRUNCATED (ASan, and armhf).
* 100,000 seeded random mutations of the valid models must each be rejected or run cleanly (ASan+UBSan).
* libFuzzer (clang, ASan+UBSan): raw bytes -> load -> prepare -> invoke from a seed corpus of valid models,
  and fuzzed input values on valid float and int8 models; a fixed seed and run count keep runs reproducible.
* The quantization rejections only an int8 op's prepare can see (tests/int8_op_cases.py), native/ASan/armhf.
"""

from __future__ import annotations

import re
from pathlib import Path

import int8_op_cases
import malformed_cases
import pytest
from cbuild import build, run_tool
from conftest import need_tool

MUTATION_COUNT = 100_000
MUTATION_SEED = 20261126


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("malformed")
    malformed_cases.write_corpus(directory, [c for c in malformed_cases.cases() if not c.requires])
    return directory


@pytest.fixture(scope="module")
def seed_models(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Valid models as seeds: the corpus's controls (every float op, options defaults) and int8 op models."""
    directory = tmp_path_factory.mktemp("seeds")
    seeds = dict(malformed_cases.valid_models())
    for case in malformed_cases.cases():
        if case.expected == ("TL_OK",) and case.mode == malformed_cases.COPY:
            seeds.setdefault(case.name, case.data)
    for int8_case in int8_op_cases.all_cases()[::8]:  # a dozen int8 models of every op family
        seeds.setdefault(f"int8_{int8_case.name}", int8_case.model)
    paths = []
    for name, data in seeds.items():
        path = directory / f"{name}.tlm"
        path.write_bytes(data)
        paths.append(path)
    return paths


def _report(result) -> str:
    out, err = result.stdout[-12000:], result.stderr[-8000:]
    return f"exit {result.returncode}\n--- stdout ---\n{out}\n--- stderr ---\n{err}"


@pytest.mark.parametrize("variant", ["native", "asan", "armhf"])
def test_malformed_corpus(variant: str, corpus: Path) -> None:
    build(variant, targets=("test_malformed",))
    result = run_tool(variant, "test_malformed", [str(corpus)])
    n_cases = len((corpus / "manifest.txt").read_text().splitlines())
    assert result.returncode == 0, _report(result)
    assert f"{n_cases} cases, 0 mismatches" in result.stdout, _report(result)


def test_int8_op_quantization_cases(tmp_path: Path) -> None:
    """Bias-scale and multiplier checks live in int8 ops' prepare (with a valid int8 FC control model)."""
    build("native", targets=("test_malformed",))
    int8 = [c for c in malformed_cases.cases() if c.requires == "int8_fc"]
    assert any(c.expected == ("TL_OK",) for c in int8), "the int8 cases need a valid control model"
    malformed_cases.write_corpus(tmp_path / "all", int8)
    for variant in ("native", "asan"):
        build(variant, targets=("test_malformed",))
        result = run_tool(variant, "test_malformed", [str(tmp_path / "all")])
        assert result.returncode == 0 and f"{len(int8)} cases, 0 mismatches" in result.stdout, _report(result)


@pytest.mark.parametrize("variant", ["native", "asan", "armhf"])
def test_int8_prepare_rejections(variant: str, tmp_path: Path) -> None:
    """Quantization errors only an int8 op's prepare sees (int8_op_cases.py), through the C driver."""
    rejections = int8_op_cases.rejection_cases()
    cases = [malformed_cases.Case(f"int8_{r.name}", r.model, (r.status,)) for r in rejections]
    malformed_cases.write_corpus(tmp_path, cases)
    build(variant, targets=("test_malformed",))
    result = run_tool(variant, "test_malformed", [str(tmp_path)])
    assert result.returncode == 0 and f"{len(cases)} cases, 0 mismatches" in result.stdout, _report(result)


def test_every_prefix_is_truncated(seed_models: list[Path]) -> None:
    build("asan", targets=("test_mutate",))
    result = run_tool("asan", "test_mutate", ["--truncate", *map(str, seed_models)])
    assert result.returncode == 0, _report(result)
    total = sum(p.stat().st_size for p in seed_models)
    assert f"truncation: {2 * total} prefixes checked" in result.stdout, _report(result)


def test_random_mutations_never_crash(seed_models: list[Path]) -> None:
    build("asan", targets=("test_mutate",))
    args = ["--seed", str(MUTATION_SEED), "--count", str(MUTATION_COUNT), *map(str, seed_models)]
    result = run_tool("asan", "test_mutate", args)
    assert result.returncode == 0, (
        _report(result) + f"\nreproduce one: test_mutate {' '.join(args)} --only I --verbose"
    )
    match = re.search(r"mutations: (\d+) run, (\d+) reached invoke; statuses:(.*)", result.stdout)
    assert match, _report(result)
    assert int(match.group(1)) == MUTATION_COUNT
    statuses = dict(item.split("=") for item in match.group(3).split())
    # The mutations must exercise both sides: some models still run, most are rejected for varied reasons.
    assert int(match.group(2)) > 0, result.stdout
    assert len(statuses) >= 5, result.stdout


def test_corpus_is_well_formed() -> None:
    cases = malformed_cases.cases()
    assert len(cases) > 200
    valid = malformed_cases.FlatView(malformed_cases.fc_model())
    assert valid.buf[4:8] == b"TLM1"
    assert valid.u32(valid.field(valid.root(), malformed_cases.MODEL_VERSION)) == 1
    patched = {c.name: c for c in cases}["schema_version_2"].data
    view = malformed_cases.FlatView(patched)
    assert view.u32(view.field(view.root(), malformed_cases.MODEL_VERSION)) == 2
    for case in cases:
        assert case.expected and all(s.startswith("TL_") for s in case.expected), case.name


def _fuzz(target: str, args: list[str], tmp_path: Path, env_model: Path | None = None) -> int:
    """Runs a libFuzzer target; fails with its report on a crash; returns the number of executions."""
    need_tool("clang")
    build("fuzz")
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    common = [
        "-seed=1",
        "-rss_limit_mb=2048",
        "-max_total_time=120",
        "-print_final_stats=1",
        f"-artifact_prefix={artifacts}/",
    ]
    extra_env = {"TL_FUZZ_MODEL": str(env_model)} if env_model is not None else None
    result = run_tool("fuzz", target, [*common, *args], timeout=300, extra_env=extra_env)
    crashes = sorted(p.name for p in artifacts.iterdir())
    assert result.returncode == 0 and not crashes, f"{target} found {crashes}:\n{result.stderr[-12000:]}"
    match = re.search(r"stat::number_of_executed_units: (\d+)", result.stderr)
    assert match, result.stderr[-4000:]
    return int(match.group(1))


def test_fuzz_load(seed_models: list[Path], tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in seed_models:
        (corpus / path.name).write_bytes(path.read_bytes())
    runs = 600_000
    assert _fuzz("fuzz_load", [f"-runs={runs}", str(corpus)], tmp_path) >= runs


def test_fuzz_input_values(tmp_path: Path) -> None:
    model = tmp_path / "inputs_model.tlm"
    model.write_bytes(malformed_cases.fuzz_inputs_model())
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "zeros").write_bytes(bytes(256))
    runs = 200_000
    assert _fuzz("fuzz_inputs", [f"-runs={runs}", str(corpus)], tmp_path, env_model=model) >= runs


def test_truncation_and_mutations_on_32bit_armhf(seed_models: list[Path]) -> None:
    """The same checks on a 32-bit build under qemu, where size_t arithmetic overflows at 4 GiB."""
    build("armhf", targets=("test_mutate",))
    args = ["--truncate", "--seed", str(MUTATION_SEED + 1), "--count", "50000", *map(str, seed_models)]
    result = run_tool("armhf", "test_mutate", args)
    assert result.returncode == 0, _report(result)
    assert "mutations: 50000 run" in result.stdout and "0 failures" in result.stdout, _report(result)


INT8_FUZZ_MODELS = (
    "fc8_0_NONE",
    "conv8_1x1_saturating",
    "dw8_per_tensor_nobias_sat",
    "add8_const_scales_apart",
    "mul8_0_NONE",
    "averagepool2d8_0_NONE",
    "mean8_0",
    "sigmoid8_0",
    "tanh8_0",
    "softmax8_0",
    "concat8_0_NONE",
    "quantize8_0",
)


def test_fuzz_int8_input_values(tmp_path: Path) -> None:
    """Any int8 input values through the fixed-point kernels of each op family (UBSan: no overflow)."""
    by_name = {c.name: c for c in int8_op_cases.all_cases()}
    for name in INT8_FUZZ_MODELS:
        directory = tmp_path / name
        directory.mkdir()
        model = directory / "model.tlm"
        model.write_bytes(by_name[name].model)
        corpus = directory / "corpus"
        corpus.mkdir()
        (corpus / "ramp").write_bytes(bytes(range(256)))
        runs = 10_000
        assert _fuzz("fuzz_inputs", [f"-runs={runs}", str(corpus)], directory, env_model=model) >= runs
