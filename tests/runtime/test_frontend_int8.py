"""int8 features straight from the front-end (tl_frontend_quantize_int8, tl_frontend_compute_int8) against
the numpy twin (trainer.audio.fixed_frontend.int8_params / quantize_int8 / compute_int8): byte-identical on
every int16 feature value and on edge parameters, on bundled (synthesized) clips, natively and under
qemu-aarch64 and qemu-arm (armhf); and close to the float path (quantize((f - 4096) / 4096, scale, zp)) that
kws.py used before.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
from cbuild import build, run_tool

from trainer.audio import fixed_frontend as ff
from trainer.datasets import speech_commands as sc
from trainer.errors import InvalidArgumentError
from trainer.quant.kernels_int8 import quantize

CLIP = 16000
ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)
EDGE_PARAMS = [
    ff.Int8Params(4096, 1 << 30, 31, -5),  # (f - 4096) / 2 - 5
    ff.Int8Params(0, 1, 1, 0),
    ff.Int8Params(-32768, 2**31 - 1, 62, 127),
    ff.Int8Params(32767, 2**31 - 1, 1, -128),  # saturates everywhere but f = 32767
    ff.Int8Params(1234, 1987654321, 45, 3),
]


@functools.cache
def some_clips() -> np.ndarray:
    """Every 80th of the 1,600 bundled clips (20 clips, every word)."""
    d = sc.load(silence_percentage=0, unknown_percentage=0)
    audio = np.concatenate([d.train.audio, d.validation.audio, d.test.audio])
    return audio[::80]


def realistic_params() -> list[ff.Int8Params]:
    """Input quantizations like a calibrated KWS model's (features of about -1 .. 2.75 after the offset)."""
    return [ff.int8_params(s, z) for s, z in ((0.0147, -60), (3.75 / 255, -59), (0.02, 0), (1 / 128, -128))]


def c_quantize(variant: str, feats: np.ndarray, p: ff.Int8Params, tmp: Path) -> np.ndarray:
    src, dst = tmp / f"{variant}_f.raw", tmp / f"{variant}_q.raw"
    feats.astype("<i2").tofile(src)
    args = [str(src), str(dst), str(p.feature_offset), str(p.multiplier), str(p.shift), str(p.zero_point)]
    r = run_tool(variant, "test_frontend", ["--quantize", *args])
    assert r.returncode == 0, r.stdout + r.stderr
    return np.fromfile(dst, np.int8)


def c_batch_int8(variant: str, audio: np.ndarray, p: ff.Int8Params, tmp: Path) -> np.ndarray:
    src, dst = tmp / f"{variant}_a.raw", tmp / f"{variant}_b.raw"
    audio.astype("<i2").tofile(src)
    args = [str(p.feature_offset), str(p.multiplier), str(p.shift), str(p.zero_point)]
    r = run_tool(variant, "test_frontend", ["--batch-int8", str(src), str(dst), str(audio.shape[1]), *args])
    assert r.returncode == 0, r.stdout + r.stderr
    return np.fromfile(dst, np.int8).reshape(len(audio), 49, 40)


def expect_identical(got: np.ndarray, want: np.ndarray) -> None:
    bad = np.flatnonzero(got.reshape(-1) != want.reshape(-1))
    assert got.shape == want.shape and len(bad) == 0, (
        f"{len(bad)} bytes differ, first at {bad[:5].tolist()}: "
        f"{got.reshape(-1)[bad[:5]].tolist()} vs {want.reshape(-1)[bad[:5]].tolist()}"
    )


def test_int8_params_match_the_float_path() -> None:
    """multiplier / 2^shift is feature_scale / input_scale to 31 bits; on every feature value the integer
    result is within one step of quantize((f - 4096) / 4096, scale, zp) and equal almost everywhere."""
    feats = np.arange(0, 15361, dtype=np.int16)  # the front-end's output range
    for (s, z), p in zip(
        ((0.0147, -60), (3.75 / 255, -59), (0.02, 0), (1 / 128, -128)), realistic_params(), strict=True
    ):
        assert 2**30 <= p.multiplier < 2**31 and p.multiplier / 2.0**p.shift == pytest.approx(1 / 4096 / s)
        got = ff.quantize_int8(feats, p).astype(np.int32)
        want = quantize((feats.astype(np.float32) - 4096) / 4096, s, z).astype(np.int32)
        assert np.abs(got - want).max() <= 1 and np.mean(got == want) > 0.999, (s, z)
    assert ff.quantize_int8(np.array([4096, 4097, 4095, 4099]), EDGE_PARAMS[0]).tolist() == [-5, -4, -6, -3]


@pytest.mark.parametrize("bad", [(0.0, 0), (-1.0, 0), (float("nan"), 0), (0.01, 128), (1e-30, 0), (1e30, 0)])
def test_int8_params_refuse_bad_quantization(bad: tuple[float, int]) -> None:
    with pytest.raises(InvalidArgumentError, match="fixed_frontend"):
        ff.int8_params(*bad)


@pytest.mark.parametrize("variant", ["native", "aarch64", "armhf"])
def test_c_int8_matches_numpy(variant: str, tmp_path: Path) -> None:
    """Every int16 feature value with edge and realistic parameters, then the front-end's int8 output on 20
    bundled clips (4 under qemu): the C bytes equal the numpy twin's."""
    build(variant, ["test_frontend"])
    for p in EDGE_PARAMS + realistic_params():
        expect_identical(c_quantize(variant, ALL_INT16, p, tmp_path), ff.quantize_int8(ALL_INT16, p))
    clips = some_clips() if variant == "native" else some_clips()[::5]
    p = realistic_params()[0]
    want = ff.compute_int8(clips, p)
    assert want.shape == (len(clips), 49, 40) and len(np.unique(want)) > 100  # speech uses the int8 range
    expect_identical(c_batch_int8(variant, clips, p, tmp_path), want)
