"""Static musl builds of the command-line tools through zig (PyPI ``ziglang``): aarch64 (Android through
``adb shell``, any 64-bit Pi) under qemu-aarch64, and ARMv6 hard-float (Raspberry Pi Zero/1,
``-mcpu=arm1176jzf_s``) under ``qemu-arm -cpu arm1176``. Linking against musl also proves that the runtime
uses no glibc-only API. The tools must reproduce the host C runtime's (pyruntime) int8 outputs byte for byte.
"""

from __future__ import annotations

import functools
import glob
import importlib.util
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from cbuild import c_flags, compile_program
from conftest import need, need_tool
from export_models import mnist, trained
from runtime_op_cases import ensure_pyruntime
from test_cortex_m import mnist_int8

import trainer.quantize as q
from trainer.lite import Converter, Optimize
from trainer.tlm import read_model

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "build-embedded" / "zig"
TARGETS = {
    # name: (zig flags, emulator)
    "aarch64": (["-target", "aarch64-linux-musl"], ["qemu-aarch64"]),
    "armv6": (["-target", "arm-linux-musleabihf", "-mcpu=arm1176jzf_s"], ["qemu-arm", "-cpu", "arm1176"]),
}
TOOLS = ("tl_run", "tl_bench")


@functools.cache
def _zig_command() -> tuple[str, ...]:
    """The ziglang package's zig executable itself (``python -m ziglang`` only execs it, after starting a
    Python: a tenth of a second for each of the ~300 compiles here)."""
    spec = importlib.util.find_spec("ziglang")
    exe = Path(spec.origin).parent / "zig" if spec and spec.origin else None
    return (str(exe),) if exe and exe.is_file() else (sys.executable, "-m", "ziglang")


def _zig(target: str, args: list[str]) -> None:
    flags, _ = TARGETS[target]
    src = REPO / "runtime_c"
    cmd = [*_zig_command(), "cc", *flags, "-O2", *c_flags("std", "warnings"),
           f"-I{src / 'include'}", f"-I{src / 'src'}", f"-I{src / 'tools'}", *args]  # fmt: skip
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-6000:]


@functools.cache
def _library_objects(target: str) -> tuple[Path, ...]:
    """Every runtime source and the tools' common files compiled for ``target``, two at a time (one zig cc
    call for everything compiles them one by one); tl_run and tl_bench link the same objects."""
    src = REPO / "runtime_c"
    sources = [*sorted((src / "src").rglob("*.c")), src / "tools" / "tool_common.c", src / "tools" / "npy.c"]
    objs = [OUT / target / "obj" / (p.relative_to(src).as_posix().replace("/", "__") + ".o") for p in sources]
    objs[0].parent.mkdir(parents=True, exist_ok=True)
    jobs = [["-c", str(s), "-o", str(o)] for s, o in zip(sources, objs, strict=True)]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda args: _zig(target, args), jobs))
    return tuple(objs)


def zig_cc(target: str, tool: str) -> Path:
    """Build ``tool`` statically for ``target`` with zig cc (musl, no dynamic loader)."""
    exe = OUT / target / tool
    objs = _library_objects(target)
    main = REPO / "runtime_c" / "tools" / f"{tool}.c"
    _zig(target, ["-static", str(main), *map(str, objs), "-lm", "-o", str(exe)])
    return exe


@functools.cache
def cnn_int8() -> bytes:
    """The shared CNN (conv, max/average pool, FC), batch 2, float in and out around the int8 body."""
    m = trained("cnn")
    xtr, _, _, _ = mnist()
    conv = Converter.from_session(m.sess, [m.x], [m.logits])
    conv.batch_size = 2
    conv.optimizations = [Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([m.images(xtr[2 * i : 2 * i + 2])] for i in range(16))
    return conv.convert()


@pytest.fixture(scope="module", params=sorted(TARGETS))
def target(request) -> str:
    need(importlib.util.find_spec("ziglang") is not None, "ziglang not installed (pip install ziglang)")
    need_tool(TARGETS[request.param][1][0])
    ensure_pyruntime()
    return request.param


def test_static_tools_match_the_host_runtime(target: str, tmp_path: Path) -> None:
    import pyruntime

    tl_run = zig_cc(target, "tl_run")
    head = tl_run.read_bytes()[:4096]
    assert head[:4] == b"\x7fELF" and b"ld-linux" not in head and b"ld-musl" not in head  # no interpreter
    emu = TARGETS[target][1]
    _, _, xte, _ = mnist()
    cases = []
    model8 = mnist_int8()
    xin = read_model(model8).tensors[read_model(model8).inputs[0]]
    for i in range(4):
        x = q.quantize(
            xte[i : i + 1].reshape(1, 784), xin.quantization.scale[0], xin.quantization.zero_point[0]
        )
        cases.append(("mlp", model8, x))
    for i in range(3):
        cases.append(("cnn", cnn_int8(), xte[2 * i : 2 * i + 2].astype(np.float32)))
    commands = []
    for k, (name, model, x) in enumerate(cases):
        path = tmp_path / f"{name}.tlm"
        path.write_bytes(model)
        np.save(tmp_path / f"in{k}.npy", x)
        out = tmp_path / f"out{k}.npy"
        commands.append(
            [*emu, str(tl_run), str(path), "--input", f"0={tmp_path / f'in{k}.npy'}", "--output", f"0={out}"]
        )
    with ThreadPoolExecutor(2) as pool:  # the emulated runs two at a time
        results = list(
            pool.map(lambda cmd: subprocess.run(cmd, capture_output=True, text=True, timeout=300), commands)
        )
    for k, ((name, model, x), r) in enumerate(zip(cases, results, strict=True)):
        assert r.returncode == 0, r.stderr
        want = pyruntime.Interpreter(model_content=model).run(x)[0]
        got = np.load(tmp_path / f"out{k}.npy")
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), (target, name, k)


def test_static_bench_runs(target: str, tmp_path: Path) -> None:
    tl_bench = zig_cc(target, "tl_bench")
    path = tmp_path / "mlp.tlm"
    path.write_bytes(mnist_int8())
    r = subprocess.run(
        [*TARGETS[target][1], str(tl_bench), str(path), "--runs", "5", "--warmup", "1"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    keys = dict(line.split(":", 1) for line in r.stdout.splitlines() if ":" in line)
    assert any("median" in k for k in keys), r.stdout
    assert any("arena" in k for k in keys), r.stdout
    # a model that is not a model is refused with the documented exit code
    bad = tmp_path / "bad.tlm"
    bad.write_bytes(b"not a model at all")
    r = subprocess.run(
        [*TARGETS[target][1], str(tl_bench), str(bad)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 1 and r.stderr


def _jdk() -> Path | None:
    import os

    homes = [os.environ.get("JAVA_HOME", ""), *sorted(glob.glob("/usr/lib/jvm/*"))]
    for home in homes:
        if home and (Path(home) / "bin" / "javac").exists() and (Path(home) / "include" / "jni.h").exists():
            return Path(home)
    return None


def test_jni_bridge_round_trip(tmp_path: Path) -> None:
    """runtime_c/android: libtensorlet_jni.so + org.tensorlet.Interpreter on the host JVM give pyruntime's
    bytes; a corrupt model raises IllegalArgumentException with the runtime's message. Needs a JDK (.ci/run
    installs openjdk-17-jdk-headless; the bridge itself is compiled for Android by the NDK)."""
    jdk = _jdk()
    need(jdk is not None, "no JDK (javac + jni.h) found under $JAVA_HOME or /usr/lib/jvm")
    assert jdk is not None
    ensure_pyruntime()
    import pyruntime

    src = REPO / "runtime_c"
    lib = tmp_path / "libtensorlet_jni.so"
    cmd = ["gcc", *c_flags("std"), "-O1", "-shared", "-fPIC", *c_flags("warnings"),
           f"-I{jdk / 'include'}", f"-I{jdk / 'include' / 'linux'}", f"-I{src / 'include'}",
           f"-I{src / 'src'}"]  # fmt: skip
    sources = [str(src / "android" / "jni_bridge.c"), *sorted(str(p) for p in (src / "src").rglob("*.c"))]
    r = compile_program(cmd, sources, lib)
    assert r.returncode == 0, r.stderr[-4000:]
    (tmp_path / "Main.java").write_text(
        "import java.nio.file.*;\n"
        "public class Main {\n"
        "  public static void main(String[] a) throws Exception {\n"
        "    byte[] model = Files.readAllBytes(Paths.get(a[0]));\n"
        "    try (org.tensorlet.Interpreter it = new org.tensorlet.Interpreter(model)) {\n"
        "      byte[] out = it.runBytes(Files.readAllBytes(Paths.get(a[1])));\n"
        "      StringBuilder sb = new StringBuilder();\n"
        '      for (byte b : out) sb.append(String.format("%02x", b));\n'
        '      System.out.println("out " + sb);\n'
        "    }\n"
        "    try { new org.tensorlet.Interpreter(new byte[] {1, 2, 3, 4, 'T', 'L', 'M', '1', 0, 0}); }\n"
        '    catch (IllegalArgumentException e) { System.out.println("refused " + e.getMessage()); }\n'
        "  }\n"
        "}\n"
    )
    java_src = src / "android" / "java" / "org" / "tensorlet" / "Interpreter.java"
    r = subprocess.run(
        [str(jdk / "bin" / "javac"), "-d", str(tmp_path), str(java_src), str(tmp_path / "Main.java")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    model = mnist_int8()
    (tmp_path / "m.tlm").write_bytes(model)
    xin = read_model(model).tensors[read_model(model).inputs[0]]
    _, _, xte, _ = mnist()
    x = q.quantize(xte[5:6].reshape(1, 784), xin.quantization.scale[0], xin.quantization.zero_point[0])
    (tmp_path / "x.bin").write_bytes(x.tobytes())
    r = subprocess.run(
        [str(jdk / "bin" / "java"), f"-Djava.library.path={tmp_path}", "-cp", str(tmp_path), "Main",
         str(tmp_path / "m.tlm"), str(tmp_path / "x.bin")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    want = pyruntime.Interpreter(model_content=model).run(x)[0]
    assert f"out {want.tobytes().hex()}" in r.stdout, r.stdout
    assert "refused tensorlet: model load: TL_ERROR_" in r.stdout, r.stdout
