"""The fixed-point audio front-end in C (runtime_c/src/frontend/, include/tl_frontend.h) against its
numpy twin (trainer/audio/fixed_frontend.py): byte-identical features on every bundled (synthesized) clip
on x86_64, on every eighth of them under qemu-aarch64 and qemu-arm (armhf), the same verdict and
reason on hostile configs, the C self-tests under ASan + UBSan, and a freestanding Cortex-M4 compile that
needs nothing from libc but memset (no malloc, no libm).
"""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

import numpy as np
import pytest
from cbuild import build, c_flags, run_tool
from conftest import need_tool

from trainer.audio import fixed_frontend as ff
from trainer.datasets import speech_commands as sc

REPO = Path(__file__).resolve().parents[2]
CLIP = 16000


@functools.cache
def bundled_clips() -> np.ndarray:
    """All 1,600 bundled clips (int16 [1600, 16000]), train + validation + test."""
    d = sc.load(silence_percentage=0, unknown_percentage=0)
    audio = np.concatenate([d.train.audio, d.validation.audio, d.test.audio])
    assert audio.shape == (1600, CLIP)
    return audio


@functools.cache
def numpy_features() -> np.ndarray:
    return ff.compute_batch(bundled_clips())


def c_features(variant: str, audio: np.ndarray, tmp: Path, config: tuple[int, ...] = ()) -> np.ndarray:
    build(variant, ["test_frontend"])
    src, dst = tmp / f"{variant}_in.raw", tmp / f"{variant}_out.raw"
    audio.astype("<i2").tofile(src)
    r = run_tool(
        variant, "test_frontend", ["--batch", str(src), str(dst), str(audio.shape[1]), *map(str, config)]
    )
    assert r.returncode == 0, r.stdout + r.stderr
    cfg = ff.FrontendConfig(*config) if config else ff.FrontendConfig()
    return np.fromfile(dst, "<i2").reshape(len(audio), cfg.num_frames(audio.shape[1]), cfg.num_mel_bins)


def expect_identical(got: np.ndarray, want: np.ndarray) -> None:
    bad = np.argwhere(got != want)
    assert got.shape == want.shape and len(bad) == 0, (
        f"{len(bad)} features differ; first at {bad[:5].tolist()}: "
        f"{[int(got[tuple(i)]) for i in bad[:5]]} vs {[int(want[tuple(i)]) for i in bad[:5]]}"
    )


def test_native_c_matches_numpy_on_every_bundled_clip(tmp_path: Path) -> None:
    want = numpy_features()
    assert want.shape == (1600, 49, 40) and int(want.max()) > 256 * 20  # speech, not silence
    expect_identical(c_features("native", bundled_clips(), tmp_path), want)


@pytest.mark.parametrize("variant", ["aarch64", "armhf"])
def test_cross_c_matches_numpy_under_qemu(variant: str, tmp_path: Path) -> None:
    rows = np.arange(0, 1600, 8)  # every eighth clip: all 20 words, every split
    expect_identical(c_features(variant, bundled_clips()[rows], tmp_path), numpy_features()[rows])


@pytest.mark.parametrize(
    "config",
    [
        (8000, 200, 80, 256, 20, 0, 4000),
        (44100, 1024, 441, 1024, 64, 50, 20000),
        (16000, 2048, 2048, 2048, 128, 0, 8000),
    ],
)
def test_other_configs_match(config: tuple[int, ...], tmp_path: Path) -> None:
    rng = np.random.default_rng(sum(config))
    loud = bundled_clips()[::200]  # 8 clips
    noise = rng.integers(-32768, 32768, size=(2, CLIP)).astype(np.int16)  # full-scale: the growth limits
    audio = np.concatenate([loud, noise, np.full((1, CLIP), -32768, np.int16)])
    want = ff.compute_batch(audio, ff.FrontendConfig(*config))
    expect_identical(c_features("native", audio, tmp_path, config), want)


def hostile_configs() -> list[tuple[int, ...]]:
    rng = np.random.default_rng(7)
    base = (16000, 480, 320, 512, 40, 125, 7500)
    edge = [
        0,
        -1,
        1,
        2,
        3,
        4,
        2047,
        2048,
        2049,
        4096,
        3999,
        4000,
        48000,
        48001,
        127,
        128,
        129,
        2**31 - 1,
        -(2**31),
    ]
    out = [base]
    for field in range(7):
        for v in edge:
            c = list(base)
            c[field] = v
            out.append(tuple(c))
    for _ in range(200):
        out.append(
            (
                int(rng.integers(3000, 50000)),
                int(rng.integers(0, 2100)),
                int(rng.integers(0, 2100)),
                int(2 ** rng.integers(0, 13)),
                int(rng.integers(0, 140)),
                int(rng.integers(-10, 9000)),
                int(rng.integers(0, 26000)),
            )
        )
    return out


def test_hostile_configs_same_verdict_as_numpy(tmp_path: Path) -> None:
    build("native", ["test_frontend"])
    configs = hostile_configs()
    path = tmp_path / "configs.txt"
    path.write_text("".join(" ".join(map(str, c)) + "\n" for c in configs))
    r = run_tool("native", "test_frontend", ["--check", str(path)])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == len(configs)
    accepted = 0
    for c, line in zip(configs, lines, strict=True):
        status, msg = line.split(" ", 1)
        want = ff._check(ff.FrontendConfig(*c))
        assert (status, msg) == (("0", "ok") if want is None else ("101", want)), c
        accepted += want is None
    assert 5 < accepted < len(configs) - 100


def test_c_self_tests_under_asan_ubsan(tmp_path: Path) -> None:
    build("asan", ["test_frontend"])
    r = run_tool("asan", "test_frontend", [])
    assert r.returncode == 0 and "5 passed, 0 failed" in r.stdout, r.stdout[-3000:] + r.stderr[-3000:]
    audio = bundled_clips()[::100]
    expect_identical(c_features("asan", audio, tmp_path), numpy_features()[::100])


def test_freestanding_cortex_m4_compile(tmp_path: Path) -> None:
    """The later keyword firmware links this object: C99, freestanding, only memset from libc and libgcc's
    64-bit division helpers (init), no float and no libm."""
    need_tool("arm-none-eabi-gcc")
    obj = tmp_path / "frontend.o"
    cmd = [
        "arm-none-eabi-gcc", *c_flags("cortex_m4", "std", "warnings"), "-Os", "-ffreestanding",
        "-ffunction-sections", "-DTL_FREESTANDING=1", f"-I{REPO / 'runtime_c' / 'include'}",
        "-c", str(REPO / "runtime_c" / "src" / "frontend" / "frontend.c"), "-o", str(obj),
    ]  # fmt: skip
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    nm = subprocess.run(["arm-none-eabi-nm", str(obj)], capture_output=True, text=True, check=True).stdout
    undefined = {ln.split()[-1] for ln in nm.splitlines() if ln.split()[0] == "U"}
    assert undefined - {s for s in undefined if s.startswith("__aeabi_")} <= {"memset"}, undefined
    assert not any(s.startswith(("__aeabi_f", "__aeabi_d")) for s in undefined), undefined  # no float
    size = subprocess.run(["arm-none-eabi-size", str(obj)], capture_output=True, text=True, check=True).stdout
    text = int(size.splitlines()[1].split()[0])
    assert text < 4096, size  # a small module: the whole front-end in under 4 KB of flash
