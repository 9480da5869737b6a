"""The runtime-only distribution (issue #18, D5): packaging/runtime/build_dist.py makes a
``tensorlet-runtime`` sdist with pyruntime and the C sources only (numpy and cffi its only dependencies, no
trainer, data, ``tensorlet`` command or flatbuffers); installed into a fresh venv it compiles the runtime,
runs a model exactly like the numpy reference and says clearly that ``.tflite`` needs the full package.

The install compiles the whole C runtime (about 100 s on a busy 2-core machine), too long for a developer's
quick run: it runs when ``TENSORLET_DIST_INSTALL=1``, which ``.ci/run`` sets for ``make test``."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import site
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
from cbuild import c_flags
from conftest import need_tool

import trainer as tf
from trainer.lite import Converter, Optimize
from trainer.runtime_ops.interpreter import reference_run

REPO = Path(__file__).resolve().parents[2]


def _builder():
    path = REPO / "packaging" / "runtime" / "build_dist.py"
    spec = importlib.util.spec_from_file_location("build_dist", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    assert _builder().main(["--out", str(out)]) == 0
    (path,) = out.glob("tensorlet_runtime-*.tar.gz")
    return path


def test_sdist_holds_the_runtime_and_nothing_of_the_trainer(sdist: Path) -> None:
    with tarfile.open(sdist) as tar:
        names = [n.split("/", 1)[1] for n in tar.getnames() if "/" in n]
        pkg_info = tar.extractfile(next(m for m in tar.getmembers() if m.name.endswith("/PKG-INFO"))).read()
    sources = sorted(str(p.relative_to(REPO)) for p in (REPO / "runtime_c" / "src").rglob("*.[ch]"))
    assert sorted(n for n in names if n.startswith("runtime_c/src/") and n[-2:] in (".c", ".h")) == sources
    assert "runtime_c/include/tensorlet.h" in names and "pyruntime/_build.py" in names
    unwanted = ("trainer", "tests", "examples", "benchmarks")
    assert not [n for n in names if n.startswith(unwanted) or n.endswith((".gz", ".xz", ".so"))]
    meta = pkg_info.decode()
    assert re.findall(r"^Requires-Dist: (\S+)", meta, re.M) == ["numpy>=1.24", "cffi>=1.15"]
    assert "Name: tensorlet-runtime" in meta and "License-Expression: Apache-2.0" in meta


def test_missing_compiler_is_one_clear_line(sdist: Path, tmp_path: Path) -> None:
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp_path, filter="data")
    (tree,) = tmp_path.glob("tensorlet_runtime-*")
    env = {**os.environ, "CC": "no-such-cc"}
    result = subprocess.run(
        [sys.executable, "setup.py", "-q", "build_ext"], cwd=tree, capture_output=True, text=True, env=env
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1].startswith("error: no C compiler ('no-such-cc' not found)")


def _model() -> tuple[bytes, np.ndarray]:
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(11)
        x = tf.placeholder(tf.float32, [None, 8], name="x")
        y = tf.nn.softmax(tf.layers.Dense(4)(tf.nn.relu(tf.layers.Dense(16)(x))))
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    xs = np.random.default_rng(2).standard_normal((16, 8)).astype(np.float32)
    conv = Converter.from_session(sess, [x], [y])
    conv.optimizations = [Optimize.DEFAULT]
    conv.representative_dataset = [[xs[i : i + 1]] for i in range(16)]
    conv.inference_input_type = conv.inference_output_type = tf.int8
    return conv.convert(), (xs[:1] * 20).astype(np.int8)


@pytest.mark.slow
def test_sdist_installs_into_a_fresh_venv_and_runs_a_model(sdist: Path, tmp_path: Path) -> None:
    """pip install of the sdist (the C runtime compiled, as on a device) into a venv that sees numpy, cffi,
    pip and setuptools of the test environment but not the trainer."""
    if os.environ.get("TENSORLET_DIST_INSTALL") != "1":
        pytest.skip("compiles the C runtime (~100 s): TENSORLET_DIST_INSTALL=1 runs it (.ci/run does)")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    Path(purelib, "test_env.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    install = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--no-build-isolation",
         str(sdist)],
        capture_output=True, text=True, cwd=tmp_path, timeout=1800,  # a hang guard (a busy machine)
    )  # fmt: skip
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    assert not (venv / "bin" / "tensorlet").exists()
    model, x = _model()
    (tmp_path / "m.tlm").write_bytes(model)
    np.save(tmp_path / "x.npy", x)
    (tmp_path / "bad.tflite").write_bytes(b"\0\0\0\0TFL3" + bytes(32))
    script = (
        "import json, sys, numpy as np, pyruntime\n"
        "it = pyruntime.Interpreter(model_path='m.tlm'); it.allocate_tensors()\n"
        "it.set_tensor(it.get_input_details()[0]['index'], np.load('x.npy')); it.invoke()\n"
        "out = it.get_tensor(it.get_output_details()[0]['index'])\n"
        "try:\n    import trainer; has_trainer = True\nexcept ImportError:\n    has_trainer = False\n"
        "try:\n    pyruntime.Interpreter(model_path='bad.tflite'); msg = ''\n"
        "except ImportError as e:\n    msg = str(e)\n"
        "print(json.dumps({'file': pyruntime.__file__, 'out': out.tolist(), 'trainer': has_trainer,\n"
        "                  'msg': msg}))\n"
    )
    run = subprocess.run([str(py), "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["file"].startswith(str(venv)) and not got["trainer"]
    assert np.array_equal(np.array(got["out"], np.int8), reference_run(model, x)[0])
    assert "needs the full tensorlet package" in got["msg"]


PI_OS_MACROS = "#define __ARM_ARCH 6\n#define __ARM_FP 12\n"  # Raspberry Pi OS gcc: ARMv6, VFP, no NEON
PI3_CPUINFO = "processor\t: 0\nFeatures\t: half thumb fastmult vfp edsp neon vfpv3 tls vfpv4 idiva idivt\n"
PI_ZERO_CPUINFO = "processor\t: 0\nFeatures\t: half thumb fastmult vfp edsp java tls\n"


@pytest.mark.parametrize(
    ("machine", "macros", "cpuinfo", "setting", "want"),
    [
        ("armv7l", PI_OS_MACROS, PI3_CPUINFO, None, ["-mfpu=neon"]),  # Pi 3 on 32-bit Pi OS: NEON kernels
        ("armv6l", PI_OS_MACROS, PI_ZERO_CPUINFO, None, []),  # Pi Zero: no NEON, portable kernels
        ("armv7l", PI_OS_MACROS + "#define __ARM_NEON 1\n", PI3_CPUINFO, None, []),  # already NEON
        ("aarch64", "", "", None, []),  # NEON is part of AArch64
        ("x86_64", "", "", "1", []),
        ("armv7l", PI_OS_MACROS, PI_ZERO_CPUINFO, "1", ["-mfpu=neon"]),  # TENSORLET_NEON=1 (cross builds)
        ("armv7l", PI_OS_MACROS, PI3_CPUINFO, "0", []),
    ],
)
def test_neon_on_32_bit_arm(machine: str, macros: str, cpuinfo: str, setting: str | None, want) -> None:
    spec = importlib.util.spec_from_file_location("pyruntime_build", REPO / "pyruntime" / "_build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert build.arm32_neon_flags(machine, macros, cpuinfo, setting) == want


def test_pi_os_flags_get_the_neon_kernels(tmp_path: Path) -> None:
    """Compiled with Raspberry Pi OS's default target (ARMv6, VFP), the NEON GEMM is the portable fallback;
    with the flags pyruntime's build adds on a NEON CPU it is NEON code. (A whole runtime built so and run
    under qemu-arm -cpu cortex-a7 gave TENSORLET_KERNELS=neon outputs equal to the portable ones.)"""
    gcc = need_tool("arm-linux-gnueabihf-gcc")
    objdump = need_tool("arm-linux-gnueabihf-objdump")
    spec = importlib.util.spec_from_file_location("pyruntime_build", REPO / "pyruntime" / "_build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    pi_os = ["-marm", "-march=armv6+fp", "-mfpu=vfp", "-mfloat-abi=hard", *c_flags("std"), "-O2"]
    counts = []
    for extra in ([], build.arm32_neon_flags("armv7l", PI_OS_MACROS, PI3_CPUINFO, None)):
        obj = tmp_path / f"gemm{len(extra)}.o"
        src = REPO / "runtime_c" / "src" / "kernels" / "opt" / "gemm_neon.c"
        inc = [f"-I{REPO / 'runtime_c' / 'include'}", f"-I{REPO / 'runtime_c' / 'src'}"]
        subprocess.run([gcc, *pi_os, *extra, *inc, "-c", str(src), "-o", str(obj)], check=True)
        text = subprocess.run([objdump, "-d", str(obj)], capture_output=True, text=True, check=True).stdout
        counts.append(len(re.findall(r"\tv(?:mla|fma)\.f32|\tvld1\.", text)))
    assert counts[0] == 0 and counts[1] > 0
