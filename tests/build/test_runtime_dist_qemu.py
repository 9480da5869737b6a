"""The runtime-only distribution on a Raspberry Pi's Python (issue #18, D5), under qemu-user: the
``tensorlet-runtime`` sdist pip-installed into a venv of Debian's aarch64 and armhf Python 3.11 (unpacked by
scripts/foreign_python.sh, which .ci/run calls), with Debian's numpy and cffi its only dependencies, compiles
with the cross compiler as the Pi's ``cc`` and runs an int8 model byte-identical to this machine's runtime,
with the NEON kernels (the level the runtime itself resolves "auto" to).

How the emulated Python works here: the venv's ``bin/python`` is a shell script that runs the foreign
``python3.11`` under ``qemu-<arch> -L ROOT`` with argv[0] set to itself, so ``sys.executable`` is the
script and pip's build subprocesses start the same way (there is no binfmt handler); its ``pyvenv.cfg`` names
the real path of ROOT/usr/bin, so that every path Python looks at exists on the host as well (qemu-arm's
statx does not apply the ``-L`` prefix). qemu-user shows no CPU features in /proc/cpuinfo, so the armhf build
is told the CPU has NEON with ``TENSORLET_NEON=1``, as a cross build would be.

Installing compiles the whole C runtime under emulation's Python (the compiler itself runs natively): about a
minute of CPU per architecture, both at once. Like test_runtime_dist.py's install it runs when
``TENSORLET_DIST_INSTALL=1``, which .ci/run sets for ``make test``."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from conftest import need, need_tool

import pyruntime
import trainer as tf
from trainer.lite import Converter, Optimize
from trainer.quantize import reference_run

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(
    os.environ.get("TENSORLET_FOREIGN_PYTHON", Path.home() / ".cache" / "tensorlet" / "foreign-python")
)
ARCHES = {  # Debian architecture: (qemu, cross compiler = the Pi's cc, extra environment of the build)
    "arm64": ("qemu-aarch64", "aarch64-linux-gnu-gcc", {}),
    "armhf": ("qemu-arm", "arm-linux-gnueabihf-gcc", {"TENSORLET_NEON": "1"}),
}
SCRIPT = """
import json, sys, cffi, numpy as np, pyruntime, pyruntime._tensorlet as ext
it = pyruntime.Interpreter(model_path="m.tlm")
out = it.run(np.load("x.npy"))[0]
# the level the runtime resolves "auto" to on this CPU (ops/ops.h; the extension exports it)
ffi = cffi.FFI()
ffi.cdef("int32_t tl_op_opt_level(int32_t kernels); const char *tl_isa_name(int32_t isa);")
lib = ffi.dlopen(ext.__file__)
try:
    import trainer
    has_trainer = True
except ImportError:
    has_trainer = False
print(json.dumps({"file": pyruntime.__file__, "out": out.tobytes().hex(), "dtype": str(out.dtype),
                  "isa": ffi.string(lib.tl_isa_name(lib.tl_op_opt_level(0))).decode(),
                  "numpy": np.__file__, "trainer": has_trainer}))
"""


def _enabled() -> None:
    if os.environ.get("TENSORLET_DIST_INSTALL") != "1":
        pytest.skip(
            "compiles the C runtime twice under qemu: TENSORLET_DIST_INSTALL=1 runs it (.ci/run does)"
        )


def _root(arch: str) -> Path:
    root = CACHE / arch
    need(
        (root / ".complete").exists(),
        f"no {arch} Python in {root}: scripts/foreign_python.sh {arch} {root} (run by .ci/run) unpacks one",
    )
    return root


def make_venv(root: Path, qemu: str, venv: Path) -> Path:
    """A venv on the foreign Python (system site-packages: Debian's numpy and cffi) whose ``bin/python``
    runs it under qemu; setuptools >= 77 unpacked into it (the sdist's build backend)."""
    py_root = root / "root"
    (venv / "bin").mkdir(parents=True)
    site = venv / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text(
        f"home = {py_root / 'usr' / 'bin'}\ninclude-system-site-packages = true\nversion = 3.11\n"
    )
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec {qemu} -L {py_root} -0 "$0" {py_root}/usr/bin/python3.11 "$@"\n')
    python.chmod(0o755)
    (wheel,) = (root / "wheels").glob("setuptools-*.whl")
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    return python


def _model() -> tuple[bytes, np.ndarray]:
    """An int8 CNN (conv, pool, dense: the NEON int8 GEMM and conv paths) with int8 input and output."""
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(21)
        x = tf.placeholder(tf.float32, [None, 12, 12, 2], name="x")
        h = tf.layers.max_pooling2d(tf.layers.conv2d(x, 8, 3, activation=tf.nn.relu), 2, 2)
        y = tf.layers.dense(tf.reshape(h, [-1, 5 * 5 * 8]), 10)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    xs = np.random.default_rng(5).standard_normal((16, 12, 12, 2)).astype(np.float32)
    conv = Converter.from_session(sess, [x], [y])
    conv.optimizations = [Optimize.DEFAULT]
    conv.representative_dataset = [[xs[i : i + 1]] for i in range(16)]
    conv.inference_input_type = conv.inference_output_type = tf.int8
    return conv.convert(), (xs[:1] * 25).clip(-128, 127).astype(np.int8)


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> Path:
    _enabled()
    path = REPO / "packaging" / "runtime" / "build_dist.py"
    spec = importlib.util.spec_from_file_location("build_dist", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path_factory.mktemp("dist")
    assert module.main(["--out", str(out)]) == 0
    (found,) = out.glob("tensorlet_runtime-*.tar.gz")
    return found


def _install_and_run(arch: str, root: Path, sdist: Path, work: Path) -> dict:
    qemu, cc, extra = ARCHES[arch]
    python = make_venv(root, qemu, work / "venv")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "TENSORLET_"))}
    env.update(extra, CC=cc, CFLAGS=f"-idirafter {root / 'root' / 'usr' / 'include'}")  # multiarch pyconfig.h
    (pip,) = (root / "root" / "usr" / "share" / "python-wheels").glob("pip-*.whl")
    install = subprocess.run(
        [str(python), str(pip / "pip"), "install", "--no-cache-dir", "--no-index", "--no-build-isolation",
         str(sdist)],
        capture_output=True, text=True, cwd=work, env=env, timeout=1800,  # a hang guard (a busy machine)
    )  # fmt: skip
    assert install.returncode == 0, f"{arch}: " + install.stdout[-3000:] + install.stderr[-3000:]
    run = subprocess.run(
        [str(python), "-c", SCRIPT], capture_output=True, text=True, cwd=work, env=env, timeout=300
    )
    assert run.returncode == 0, f"{arch}: " + run.stderr[-3000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    site = work / "venv" / "lib" / "python3.11" / "site-packages"
    got["packages"] = sorted(p.name.split("-")[0] for p in site.glob("*.dist-info"))
    return got


def test_runtime_dist_on_aarch64_and_armhf_python(sdist: Path, tmp_path: Path) -> None:
    for qemu, cc, _ in ARCHES.values():
        need_tool(qemu)
        need_tool(cc)
    roots = {arch: _root(arch) for arch in ARCHES}
    model, x = _model()
    want = pyruntime.Interpreter(model_content=model).run(x)[0]  # this machine's runtime
    assert np.array_equal(want, reference_run(model, x)[0])
    works = {}
    for arch in ARCHES:
        works[arch] = tmp_path / arch
        works[arch].mkdir()
        (works[arch] / "m.tlm").write_bytes(model)
        np.save(works[arch] / "x.npy", x)
    with ThreadPoolExecutor(len(ARCHES)) as pool:
        futures = {a: pool.submit(_install_and_run, a, roots[a], sdist, works[a]) for a in ARCHES}
        results = {a: f.result() for a, f in futures.items()}
    for arch, got in results.items():
        assert got["file"].startswith(str(works[arch] / "venv")), (arch, got["file"])
        assert got["numpy"].startswith(str(roots[arch] / "root")), (arch, got["numpy"])  # Debian's numpy
        assert got["packages"] == ["setuptools", "tensorlet_runtime"], (arch, got["packages"])
        assert not got["trainer"], arch
        assert got["dtype"] == "int8" and bytes.fromhex(got["out"]) == want.tobytes(), arch
        assert got["isa"] == "neon", (arch, got["isa"])
