"""Embedding the installed C runtime (issue #18, D6): ``cmake --install`` of runtime_c gives a CMake package
(``find_package(tensorlet)``: tensorlet::tensorlet, tensorlet::tl_npy) and a relocatable pkg-config file
whose link line carries ``-pthread``; examples/c builds against the installed copy both ways and classifies
exactly like the trainer."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from cbuild import build, c_flags
from conftest import need_tool

import trainer as tf
from trainer.lite import Converter

REPO = Path(__file__).resolve().parents[2]
COUNT = 12


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The native build of runtime_c, installed into a fresh prefix."""
    need_tool("cmake")
    directory = build("native", ["tensorlet", "tl_npy", "tl_run", "tl_bench"])
    prefix = tmp_path_factory.mktemp("prefix")
    result = subprocess.run(
        ["cmake", "--install", str(directory), "--prefix", str(prefix)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return prefix


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> tuple[Path, Path, list[int]]:
    """A small softmax classifier of 28x28 images, some images as .npy, and the trainer's argmax."""
    d = tmp_path_factory.mktemp("model")
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(5)
        x = tf.placeholder(tf.float32, [None, 28, 28, 1], name="image")
        y = tf.nn.softmax(tf.layers.Dense(10)(tf.reshape(x, [-1, 784])), name="probabilities")
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    Converter.from_session(sess, [x], [y]).save(d / "m.tlm")
    images = np.random.default_rng(1).random((COUNT, 28, 28, 1), dtype=np.float32)
    np.save(d / "images.npy", images)
    want = sess.run(y, {x: images}).argmax(1).tolist()
    return d / "m.tlm", d / "images.npy", want


def _classify(exe: Path, model: tuple[Path, Path, list[int]]) -> None:
    path, images, want = model
    result = subprocess.run([str(exe), str(path), str(images)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert [int(p) for p in re.findall(r"^image \d+: (\d+) ", result.stdout, flags=re.M)] == want


def test_installed_files(installed: Path) -> None:
    for rel in (
        "include/tensorlet.h",
        "include/tensorlet/npy.h",
        "lib/cmake/tensorlet/tensorletConfig.cmake",
        "lib/cmake/tensorlet/tensorletConfigVersion.cmake",
        "lib/pkgconfig/tensorlet.pc",
        "bin/tl_run",
    ):
        assert any(installed.glob(rel.replace("lib/", "lib*/", 1))), rel


def test_find_package_builds_the_c_example(installed: Path, model, tmp_path: Path) -> None:
    configure = [
        "cmake",
        "-S",
        str(REPO / "examples" / "c"),
        "-B",
        str(tmp_path),
        "-DTL_USE_INSTALLED=ON",
        f"-DCMAKE_PREFIX_PATH={installed}",
    ]
    result = subprocess.run(configure, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    # the runtime is not rebuilt from runtime_c/: only classify.c is compiled
    assert not (tmp_path / "tensorlet").exists()
    result = subprocess.run(["cmake", "--build", str(tmp_path), "-j", "2"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    _classify(tmp_path / "classify", model)


def test_pkg_config_compiles_the_c_example(installed: Path, model, tmp_path: Path) -> None:
    need_tool("pkg-config")
    need_tool("gcc")
    pcdir = next(installed.glob("lib*/pkgconfig"))
    env = {"PKG_CONFIG_PATH": str(pcdir), "PATH": "/usr/bin:/bin"}
    pc = shutil.which("pkg-config")

    def flags(*what: str) -> list[str]:
        out = subprocess.run([pc, *what, "tensorlet"], capture_output=True, text=True, env=env, check=True)
        return out.stdout.split()

    libs = flags("--libs")
    assert "-pthread" in libs and "-ltensorlet" in libs
    exe = tmp_path / "classify"
    cmd = [
        "gcc",
        *c_flags("std"),
        str(REPO / "examples" / "c" / "classify.c"),
        "-o",
        str(exe),
        *flags("--cflags"),
        f"-I{installed / 'include' / 'tensorlet'}",
        f"-L{pcdir.parent}",
        "-ltl_npy",
        *libs,
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, " ".join(cmd) + "\n" + result.stderr
    _classify(exe, model)


# Raspberry Pi OS's default 32-bit target: ARMv6 with VFP, no inline 64-bit atomics (the thread pool's come
# from libatomic there)
ARMV6_FLAGS = "-marm -march=armv6+fp -mfpu=vfp"


@pytest.fixture(scope="module")
def armv6_installed(tmp_path_factory) -> Path:
    """runtime_c built for ARMv6 with the armhf cross compiler and installed into a fresh prefix."""
    need_tool("cmake")
    need_tool("arm-linux-gnueabihf-gcc")
    build_dir = tmp_path_factory.mktemp("armv6-build")
    prefix = tmp_path_factory.mktemp("armv6-prefix")
    configure = [
        "cmake", "-S", str(REPO / "runtime_c"), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
        f"-DCMAKE_TOOLCHAIN_FILE={REPO / 'runtime_c' / 'cmake' / 'arm-linux-gnueabihf.cmake'}",
        f"-DCMAKE_C_FLAGS={ARMV6_FLAGS}", "-DTL_BUILD_TESTS=OFF",
    ]  # fmt: skip
    for cmd in (
        configure,
        [
            "cmake",
            "--build",
            str(build_dir),
            "-j",
            "2",
            "--target",
            "tensorlet",
            "tl_npy",
            "tl_run",
            "tl_bench",
        ],
        ["cmake", "--install", str(build_dir), "--prefix", str(prefix)],
    ):
        result = subprocess.run(cmd, capture_output=True, text=True)
        assert result.returncode == 0, " ".join(cmd) + "\n" + result.stdout[-3000:] + result.stderr[-3000:]
    return prefix


def test_libatomic_only_where_the_target_needs_it(installed: Path) -> None:
    """x86_64 has inline 64-bit atomics: neither the .pc file nor the exported target names libatomic."""
    pc = next(installed.glob("lib*/pkgconfig/tensorlet.pc")).read_text()
    assert "-latomic" not in pc and "-pthread" in pc
    targets = next(installed.glob("lib*/cmake/tensorlet/tensorletTargets.cmake")).read_text()
    assert not re.search(r"INTERFACE_LINK_LIBRARIES \"[^\"]*\batomic\b", targets)


def test_armv6_pkg_config_links_libatomic_and_classifies(
    armv6_installed: Path, model, tmp_path: Path
) -> None:
    """An ARMv6 build of classify through pkg-config links (its link line carries -latomic, without which the
    link fails on __atomic_*_8) and classifies under qemu-arm like the trainer; the exported CMake target
    names libatomic too."""
    gcc = need_tool("arm-linux-gnueabihf-gcc")
    qemu = need_tool("qemu-arm")
    pc = need_tool("pkg-config")
    pcdir = next(armv6_installed.glob("lib*/pkgconfig"))
    env = {"PKG_CONFIG_PATH": str(pcdir), "PATH": "/usr/bin:/bin"}
    flags = subprocess.run([pc, "--cflags", "--libs", "tensorlet"], capture_output=True, text=True, env=env)
    assert flags.returncode == 0, flags.stderr
    libs = flags.stdout.split()
    assert "-latomic" in libs and "-pthread" in libs
    targets = next(armv6_installed.glob("lib*/cmake/tensorlet/tensorletTargets.cmake")).read_text()
    assert re.search(r"INTERFACE_LINK_LIBRARIES \"[^\"]*\batomic\b", targets)

    def link(link_flags: list[str]) -> subprocess.CompletedProcess:
        cmd = [
            gcc, *ARMV6_FLAGS.split(), *c_flags("std"), str(REPO / "examples" / "c" / "classify.c"),
            "-o", str(tmp_path / "classify"), f"-I{armv6_installed / 'include' / 'tensorlet'}",
            f"-L{pcdir.parent}", "-ltl_npy", *link_flags,
        ]  # fmt: skip
        return subprocess.run(cmd, capture_output=True, text=True)

    without = link([f for f in libs if f != "-latomic"])
    assert without.returncode != 0 and "__atomic_" in without.stderr
    result = link(libs)
    assert result.returncode == 0, result.stderr
    _classify_under(qemu, tmp_path / "classify", model)


def _classify_under(qemu: str, exe: Path, model: tuple[Path, Path, list[int]]) -> None:
    path, images, want = model
    cmd = [qemu, "-L", "/usr/arm-linux-gnueabihf", str(exe), str(path), str(images)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert [int(p) for p in re.findall(r"^image \d+: (\d+) ", result.stdout, flags=re.M)] == want
