"""The edge model zoo (examples/zoo/zoo.py, docs/zoo.md), tiny sizes: every family whose runtime ops exist in
this tree is built with tf.layers.blocks, trained a few steps on generated data (fixed seed), exported float32
and int8 and run on the C runtime. Per family (the issue #15 acceptance bounds):

* trainer vs C runtime float32: ``max|c - trainer| <= 1e-5 * max|trainer|`` on 100 held-out inputs (1e-4 for
  the transformer and the recurrent models: long float32 sums whose order differs);
* int8 outputs on pyruntime equal the numpy reference of the runtime's integer arithmetic byte for byte
  (``trainer.quantize.reference_run``), and so does tl_run built for aarch64 and armhf under qemu;
* int8 vs float: argmax agreement >= 99% on the held-out inputs (classifiers), SQNR >= 30 dB (regression
  outputs: the autoencoders and the detection head's boxes and scores);
* training lowered the loss.

A family whose runtime op has not landed yet is skipped naming the op (``zoo.missing_ops``)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cbuild import build, run_tool
from conftest import need_tool
from runtime_op_cases import ensure_pyruntime

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "zoo" / "zoo.py"
HELD_OUT = 100
EXACT_ROWS = 2


def _load_example():
    spec = importlib.util.spec_from_file_location("example_zoo", EXAMPLE)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # its dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


zoo = _load_example()
_ROWS: dict[str, dict[str, Any]] = {}


def _row(name: str) -> dict[str, Any]:
    """The family's tiny run, once per test session (the qemu test reuses the models)."""
    if name not in _ROWS:
        ensure_pyruntime()
        _ROWS[name] = zoo.run_family(name, zoo.TINY, held_out=HELD_OUT, exact_rows=EXACT_ROWS)
    return _ROWS[name]


def _landed() -> list[str]:
    return [n for n, (f, _) in zoo.FAMILIES.items() if not zoo.missing_ops(f)]


@pytest.mark.parametrize("name", list(zoo.FAMILIES))
def test_family_float_int8_and_agreement(name: str) -> None:
    family = zoo.FAMILIES[name][0]
    missing = zoo.missing_ops(family)
    if missing:
        pytest.skip(f"{name}: the runtime has no {', '.join(missing)} yet")
    r = _row(name)
    assert r["loss_first_last"][1] < r["loss_first_last"][0], r
    assert r["float_max_rel_diff"] <= family.float_tolerance, r
    assert r["int8_bit_exact"], f"{name}: int8 pyruntime outputs differ from the numpy reference"
    if family.task == "classify":
        assert r["int8_argmax_agreement"] >= 0.99, r
    else:
        assert r["int8_sqnr_db"] >= 30.0, r
    assert r["int8_bytes"] > 0 and r["arena_bytes_int8"] > 0
    # an unrolled RNN's steps share its few weights, so its file is mostly per-step structure, and int8 adds
    # each activation's quantization: only the other families' int8 files are smaller than their float ones
    if name not in ("lstm", "gru"):
        assert r["int8_bytes"] < r["float_bytes"], r


@pytest.mark.parametrize("variant", ["aarch64", "armhf"])
def test_zoo_int8_bit_exact_under_qemu(variant: str, tmp_path: Path) -> None:
    """tl_run for ``variant`` gives the numpy reference's int8 bytes on the first held-out input of every
    landed family."""
    build(variant, targets=("tl_run",))
    names = _landed()
    assert len(names) >= 4
    for name in names:
        models = _row(name)["_models"]
        d = tmp_path / name
        d.mkdir()
        (d / "m.tlm").write_bytes(models["int8"])
        np.save(d / "in.npy", np.ascontiguousarray(models["int8_inputs"][:1]))
        want = [w[:1] for w in models["int8_reference"]]
        args = [str(d / "m.tlm"), "--input", f"0={d / 'in.npy'}"]
        args += [a for i in range(len(want)) for a in ("--output", f"{i}={d / f'out{i}.npy'}")]
        result = run_tool(variant, "tl_run", args)
        assert result.returncode == 0, f"{name} ({variant}): {result.stderr}"
        for i, w in enumerate(want):
            got = np.load(d / f"out{i}.npy")
            assert got.dtype == w.dtype and np.array_equal(got, w), f"{name} output {i} ({variant})"


def test_docs_zoo_python_blocks_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ```python block of docs/zoo.md runs (in a scratch folder)."""
    text = (ROOT / "docs" / "zoo.md").read_text()
    code = re.findall(r"```python\n(.*?)```", text, re.S)
    assert code
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT / "examples" / "zoo"))
    for block in code:
        exec(compile(block, "docs/zoo.md", "exec"), {})


def test_litert_benchmark_cases_are_the_zoo_models(tmp_path: Path) -> None:
    """benchmarks/zoo_litert.py exports the zoo's models to .tflite; imported back, the int8 DS-CNN gives the
    .tlm's bytes on pyruntime (timings are not asserted anywhere)."""
    spec = importlib.util.spec_from_file_location("zoo_litert", ROOT / "benchmarks" / "zoo_litert.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    models = _row("ds_cnn")["_models"]
    (tmp_path / "ds_cnn_float.tlm").write_bytes(models["float"])
    (tmp_path / "ds_cnn_int8.tlm").write_bytes(models["int8"])
    cases = bench.zoo_cases(tmp_path, ["ds_cnn"])
    assert [c.dtype for c in cases] == ["float32", "int8"] and all(c.tflite[4:8] == b"TFL3" for c in cases)
    import pyruntime
    from trainer.lite.tflite import from_tflite

    x = models["int8_inputs"][:1]
    via_tflite = pyruntime.Interpreter(model_content=from_tflite(cases[1].tflite)).run(x)[0]
    assert np.array_equal(via_tflite, models["int8_reference"][0][:1])


CORTEX_M4_FAMILIES = ("ds_cnn", "resnet8", "mobilenet_v3", "text")


def test_zoo_int8_models_in_cortex_m4_firmware() -> None:
    """The int8 DS-CNN, ResNet-8, MobileNetV3 and text classifier (tiny) in tests/build/test_cortex_m.py's
    firmware for QEMU's mps2-an386 (the all-ops freestanding library, static memory): the numpy reference's
    bytes on every input, checked by the firmware and here. The text classifier's input is int32 token ids
    (their little-endian bytes in the firmware's input array)."""
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm", "cmake"):
        need_tool(tool)
    path = ROOT / "tests" / "build" / "test_cortex_m.py"
    spec = importlib.util.spec_from_file_location("zoo_cortex_m", path)
    assert spec is not None and spec.loader is not None
    cm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cm)
    lib = cm.build_library()  # the all-ops library test_cortex_m.py builds too
    for name in CORTEX_M4_FAMILIES:
        models = _row(name)["_models"]
        xs = models["int8_inputs"].reshape(EXACT_ROWS, -1)
        in_dtype = ""
        if xs.dtype == np.int32:  # token ids
            xs, in_dtype = xs.astype("<i4").view(np.int8), "TL_INT32"
        expected = models["int8_reference"][0].reshape(EXACT_ROWS, -1)
        out = cm.BUILD / "fw-zoo" / name
        cm.write_sources(out, models["int8"], xs, expected.argmax(1).astype(np.uint8), expected, in_dtype)
        elf = out / "zoo_fw.elf"
        cm.link_firmware(out, lib, elf, ("-DTL_FW_MODEL_MEMORY=131072",))
        r = subprocess.run([*cm.QEMU, str(elf)], capture_output=True, text=True, timeout=300)
        log = r.stdout + r.stderr
        assert r.returncode == 0, f"{name}: {log[-3000:]}"
        got = {int(m[1]): bytes.fromhex(m[2]) for m in re.finditer(r"^out (\d+) ([0-9a-f]+)$", log, re.M)}
        assert sorted(got) == list(range(EXACT_ROWS)), log[-2000:]
        for i in range(EXACT_ROWS):
            assert got[i] == expected[i].tobytes(), (name, i)
