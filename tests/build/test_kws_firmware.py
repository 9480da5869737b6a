"""The Cortex-M4 keyword firmware (runtime_c/port/mps2-an386/kws_firmware.c, built by
scripts/kws_firmware.py): raw 16 kHz int16 PCM of 20 bundled (synthesized) test clips -> fixed-point
front-end (tl_frontend_compute_int8) -> int8 DS-CNN keyword model (tests/fixtures/kws/kws_int8.tlm)
from static memory, under ``qemu-system-arm -M mps2-an386 -icount shift=0``; the same program built for
the host. Both print every
clip's keyword and int8 output bytes, which must equal the host runtime's (numpy twin of the front-end +
pyruntime) byte for byte; the firmware checks that itself too, and a program given one wrong expected byte
must fail. The SysTick instruction counter is checked against a known loop.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from cbuild import build, build_lock
from conftest import need_tool
from runtime_op_cases import ensure_pyruntime

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "kws" / "kws_int8.tlm"
CLIPS = 20  # the first 20 of two per class


def load_script():
    spec = importlib.util.spec_from_file_location("kws_firmware_script", REPO / "scripts" / "kws_firmware.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # its dataclass looks the module up
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def built():
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm", "cmake", "gcc"):
        need_tool(tool)
    ensure_pyruntime()
    kf = load_script()
    model = FIXTURE.read_bytes()
    classes = ["_silence_", "_unknown_", *kf.KEYWORDS]
    clips, labels = kf.test_clips(classes, 2)
    clips, labels = clips[:CLIPS], labels[:CLIPS]
    assert clips.shape == (CLIPS, 16000) and clips.dtype == np.int16
    # the full Cortex-M4 library of tests/build/test_cortex_m.py (same folder and options: no rebuild in a
    # full run) and the host library of the native test build
    m4_dir = REPO / "build-embedded" / "m4"
    with build_lock(m4_dir):  # test_cortex_m.build_library's lock on the same folder
        m4_lib = kf.build_library(m4_dir, None, cortex_m4=True)
    host_lib = build("native", ["tensorlet"]) / "libtensorlet.a"
    out = REPO / "build-embedded" / "kws-firmware-test"
    elf, exe, expected = kf.build_all(model, clips, labels, classes, out, m4_lib, host_lib)
    return kf, classes, labels, expected, elf, exe, out, host_lib


def test_firmware_and_host_program_match_host_runtime(built) -> None:
    kf, classes, labels, expected, elf, exe, _, _ = built
    fw, host = kf.run_qemu(elf), kf.run_host(exe)
    for run in (fw, host):
        assert run.returncode == 0, run.log[-4000:]
        assert sorted(run.outputs) == list(range(CLIPS)), run.log[-2000:]
        for i in range(CLIPS):
            assert run.outputs[i] == expected[i].tobytes(), (
                i,
                run.outputs[i].hex(),
                expected[i].tobytes().hex(),
            )
            assert run.words[i] == classes[int(expected[i].argmax())]  # the printed keyword
        host_correct = int(np.sum(expected.argmax(1) == labels))
        assert run.accuracy == (host_correct, CLIPS, 0), run.log[-2000:]
    assert host_correct >= 17, host_correct  # a trained model: 19 of these 20 clips right when it was made
    # the memory the firmware reports: the default front-end and the fixture's interpreter
    assert fw.memory["frontend_state"] < 10_000 and fw.memory["model"] == len(FIXTURE.read_bytes())
    assert 0 < fw.memory["arena"] < 64 * 1024, fw.memory
    # SysTick under -icount shift=0 at the board's 25 MHz: one tick every 40 instructions
    assert 2_000_000 / fw.loop == pytest.approx(40, rel=1e-3), fw.loop
    per_second = [40 * fw.frontend[i] for i in range(CLIPS)]
    assert 1e6 < min(per_second) and max(per_second) < 1e8, per_second  # 49 frames of 512-point FFTs
    assert max(per_second) < 1.2 * min(per_second)  # integer code: about the same work for every clip


def test_program_fails_on_one_wrong_expected_byte(built) -> None:
    kf, classes, labels, expected, elf, exe, out, host_lib = built
    data = (out / "kws_data.c").read_text()
    bad = out / "bad"
    bad.mkdir(exist_ok=True)
    for name in ("tl_fw_model.c", "tl_fw_model.h", "kws_data.h"):
        (bad / name).write_text((out / name).read_text())
    flipped = int(expected[5, 3]) ^ 1
    head, rows = data.split("tl_kws_expected[TL_KWS_CLIPS][TL_KWS_CLASSES] = {\n")
    lines = rows.split("\n")
    values = lines[5].rstrip(",").strip("{}").split(",")
    values[3] = str(flipped if flipped < 128 else flipped - 256)
    lines[5] = "{" + ",".join(values) + "}" + ("," if lines[5].endswith(",") else "")
    (bad / "kws_data.c").write_text(
        head + "tl_kws_expected[TL_KWS_CLIPS][TL_KWS_CLASSES] = {\n" + "\n".join(lines)
    )
    kf.link_host(bad, host_lib, bad / "kws_host", out / "kws_clips.o")
    run = kf.run_host(bad / "kws_host")
    assert run.returncode == 1 and run.accuracy[2] == 1, run.log[-2000:]
