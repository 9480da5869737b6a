"""docs/audio.md stays true: its Python blocks run, its C program compiles against the runtime (built
through CMake) and prints what the numpy twin of the front-end computes, and the files it names exist."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
from cbuild import build, c_flags
from conftest import need_tool

from trainer.audio import fixed_frontend as ff

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "audio.md"


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(), re.S)


def test_python_blocks_run() -> None:
    code = blocks("python")
    assert len(code) == 3
    for block in code:
        exec(compile(block, str(DOC), "exec"), {})


def test_c_example_matches_numpy(tmp_path: Path) -> None:
    need_tool("gcc")
    (src,) = blocks("c")
    (tmp_path / "example.c").write_text(src)
    d = build("native", ["tensorlet"])
    exe = tmp_path / "example"
    cmd = [
        "gcc", *c_flags("std", "warnings"), f"-I{ROOT / 'runtime_c' / 'include'}",
        str(tmp_path / "example.c"), str(d / "libtensorlet.a"), "-lm", "-lpthread", "-o", str(exe),
    ]  # fmt: skip
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "frames 49 bins 40"
    audio = np.array([((i * 37) % 200 - 100) * 90 for i in range(16000)], np.int16)
    want = ff.compute(audio)[10]
    assert [int(v) for v in lines[1].split()] == want.tolist()
    assert lines[2] == "upper_hz is above the Nyquist frequency (sample_rate / 2)"


def test_named_files_exist() -> None:
    paths = set(
        re.findall(
            r"`((?:trainer|runtime_c|tests|docs|scripts|examples)/[\w./-]+\.(?:py|c|h|md|xz))`",
            DOC.read_text(),
        )
    )
    assert len(paths) > 8
    assert not sorted(p for p in paths if not (ROOT / p).exists())
