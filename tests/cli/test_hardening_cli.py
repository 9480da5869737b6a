"""The ``tensorlet`` CLI on hostile files (issue #12): .npy inputs, names, escapes, pipes, failing models."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

from trainer.cli import CliError, main, parse_npy, printable, runtime_words
from trainer.tlm import ModelBuilder

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "import sys; from trainer.cli import main; sys.exit(main(sys.argv[1:]))"]


@pytest.fixture(scope="module", autouse=True)
def _pyruntime() -> None:
    ensure_pyruntime()


def _relu(name: str = "x", n: int = 1, description: str = "") -> bytes:
    b = ModelBuilder(description=description)
    t = b.add_input(name, np.float32, [2, 3])
    for k in range(n):
        y = b.add_tensor(f"{name}_{k}", np.float32, [2, 3])
        b.add_op("Relu", [t], [y])
        t = y
    b.mark_output(t)
    return b.finish()


# ---- .npy inputs ----------------------------------------------------------------------------------
def _npy(array: np.ndarray, **kw: object) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, **kw)
    return buf.getvalue()


def test_npy_round_trips_and_fortran_and_big_endian() -> None:
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    for b in (a, np.asfortranarray(a), a.astype(">f4")):
        got = parse_npy(_npy(b))
        np.testing.assert_array_equal(got, a)
        assert got.dtype == np.float32 and got.flags.c_contiguous


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"hello, not an array", "no .npy magic"),
        (b"PK\x03\x04" + bytes(40), ".npz archive"),
        (_npy(np.array([{"a": 1}], dtype=object), allow_pickle=True), "never pickled"),
        (_npy(np.zeros(3, dtype=[("a", "<f4")])), "only plain numeric"),
        (_npy(np.zeros((2, 3), np.float32))[:-1], "holds 23 bytes"),
        (_npy(np.zeros((2, 3), np.float32)) + b"x", "holds 25 bytes"),
        (_npy(np.zeros(4, np.uint8)).replace(b"(4,)", b"(1099511627776, 8)"), "8796093022208 bytes"),
        (b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f4'}", "bad header"),
        (b"\x93NUMPY\x09\x00", "version"),
        (b"\x93NUMPY\x01\x00\x0c\x00{'descr': (\n", "bad header"),  # numpy's tokenize.TokenError (fuzzer)
    ],
)
def test_npy_refusals_are_one_clear_error(data: bytes, words: str) -> None:
    with pytest.raises(CliError, match=re.escape(words)) as e:
        parse_npy(data, "in.npy")
    assert "allow_pickle" not in str(e.value)


def test_run_with_a_non_npy_input_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "m.tlm").write_bytes(_relu())
    (tmp_path / "x.npy").write_bytes(_npy(np.array([None, 1], dtype=object), allow_pickle=True))
    assert main(["run", str(tmp_path / "m.tlm"), "--input", str(tmp_path / "x.npy")]) == 1
    err = capsys.readouterr().err
    assert "not a valid .npy array" in err and "allow_pickle" not in err  # was numpy's pickle advice


# ---- run --reference on a model that fails prepare ------------------------------------------------
def test_run_reference_on_a_model_failing_prepare(tmp_path: Path) -> None:
    b = ModelBuilder()
    x = b.add_input("x", np.float32, [2, 3])
    w = b.add_constant("w", np.ones((5, 7), np.float32))  # FullyConnected needs [out, 3]
    y = b.add_tensor("y", np.float32, [2, 5])
    b.add_op("FullyConnected", [x, w], [y])
    b.mark_output(y)
    (tmp_path / "bad.tlm").write_bytes(b.finish())
    np.save(tmp_path / "x.npy", np.ones((2, 3), np.float32))
    for extra in (["--reference"], []):
        r = subprocess.run(
            [*CLI, "run", str(tmp_path / "bad.tlm"), "--input", str(tmp_path / "x.npy"), *extra],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 1, (extra, r.stderr)
        assert "Traceback" not in r.stderr and r.stderr.startswith("tensorlet: error:")
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr  # was a traceback with --reference


# ---- export-c names -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "int",
        "static",
        "class",
        "_Bool",
        "main",
        "tl_model_load",
        "tl_interpreter",
        "TL_OK",
        "TL_x",
        "__x",
        "_Model",
        "tensorlet",
        "1abc",
        "a-b",
        "a b",
        "\x1b[31m",
    ],
)
def test_export_c_refuses_names_that_do_not_compile_or_link(tmp_path: Path, name: str) -> None:
    (tmp_path / "m.tlm").write_bytes(_relu())
    r = subprocess.run(
        [*CLI, "export-c", str(tmp_path / "m.tlm"), "--name", name, "--out-dir", str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1 and r.stderr.startswith("tensorlet: error:"), r.stderr
    assert "\x1b" not in r.stderr
    assert not (tmp_path / "out").exists()


def test_export_c_accepts_user_names_and_fixes_default_names(tmp_path: Path) -> None:
    for stem, name in (("int", "model_int"), ("tl_model", "model_tl_model"), ("3d-net", "model_3d_net")):
        (tmp_path / f"{stem}.tlm").write_bytes(_relu())
        assert main(["export-c", str(tmp_path / f"{stem}.tlm"), "--out-dir", str(tmp_path)]) == 0
        assert (tmp_path / f"{name}.c").exists(), stem
    assert (
        main(["export-c", str(tmp_path / "int.tlm"), "--name", "tl_fw_model", "--out-dir", str(tmp_path)])
        == 0
    )


def test_runtime_words_cover_every_runtime_symbol() -> None:
    """Every tl_ function the runtime's headers declare starts with a word export-c refuses."""
    words = set()
    for path in [*(ROOT / "runtime_c").glob("src/**/*.h"), *(ROOT / "runtime_c").glob("include/*.h")]:
        for m in re.finditer(r"^(?!static)[A-Za-z][\w \*]*?\b(tl_[a-z0-9_]+)\s*\(", path.read_text(), re.M):
            words.add(m.group(1).split("_")[1])
    assert words and words <= runtime_words(), sorted(words - runtime_words())


# ---- inspect: escapes and pipes -------------------------------------------------------------------
def test_printable() -> None:
    assert printable("dense/kernel") == "dense/kernel"
    assert printable("\x1b[2J\nA\x00\u202e") == "\\x1b[2J\\x0aA\\x00\\u202e"


def test_inspect_escapes_names_and_metadata(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "m.tlm").write_bytes(_relu("\x1b]0;pwned\x07\x1b[31mred", description="line\n\x1b[2J"))
    assert main(["inspect", str(tmp_path / "m.tlm"), "--dot", str(tmp_path / "g.dot")]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out  # was printed raw: the terminal obeyed them
    assert "\\x1b]0;pwned\\x07\\x1b[31mred" in out and "line\\x0a\\x1b[2J" in out
    assert "\x1b" not in (tmp_path / "g.dot").read_text()


def test_inspect_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    (tmp_path / "long.tlm").write_bytes(_relu(n=1500))  # ~300 KB of output: more than a pipe holds
    p = subprocess.Popen(
        [*CLI, "inspect", str(tmp_path / "long.tlm")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert p.stdout is not None and p.stderr is not None
    assert p.stdout.readline().startswith(b"model bytes")
    p.stdout.close()  # what `| head -1` does
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 141
    assert err == "", err  # was a BrokenPipeError traceback


# ---- the work budget (tl_options.max_work) through the CLI -------------------------------------------
def _huge_pool() -> bytes:
    """x[1, 2048, 2048, 1] -> MaxPool2D with a 2048x2048 window (SAME): ~2048^4 visits, refused by default."""
    b = ModelBuilder()
    x = b.add_input("x", np.float32, [1, 2048, 2048, 1])
    y = b.add_tensor("y", np.float32, [1, 2048, 2048, 1])
    b.add_op("MaxPool2D", [x], [y], padding="SAME", filter_h=2048, filter_w=2048)
    b.mark_output(y)
    return b.finish()


def test_inspect_reports_the_work_and_a_refusal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small = tmp_path / "relu.tlm"
    small.write_bytes(_relu())
    assert main(["inspect", str(small)]) == 0
    line = [x for x in capsys.readouterr().out.splitlines() if x.startswith("work ")]
    assert len(line) == 1 and "budget the default" in line[0]
    units = int(re.search(r"work +([\d,]+) units", line[0]).group(1).replace(",", ""))
    assert units > 0
    pool = tmp_path / "pool.tlm"
    pool.write_bytes(_huge_pool())
    assert main(["inspect", str(pool)]) == 0  # inspecting is safe; the line says prepare would refuse it
    out = capsys.readouterr().out
    assert "work             refused by prepare" in out and "TL_ERROR_LIMIT_EXCEEDED" in out
    assert main(["inspect", str(pool), "--max-work", str(2**62)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"work +[\d,]+ units of about 1 ns \(budget 4,611,686,018,427,387,904\)", out)


def test_bench_and_run_refuse_a_model_over_the_budget_in_one_line(tmp_path: Path) -> None:
    pool = tmp_path / "pool.tlm"
    pool.write_bytes(_huge_pool())
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((1, 2048, 2048, 1), np.float32))
    for args in (["bench", str(pool), "--runs", "1"], ["run", str(pool), "--input", str(x)]):
        result = subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert result.returncode == 1, result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert "TL_ERROR_LIMIT_EXCEEDED" in result.stderr and "max_work" in result.stderr
    result = subprocess.run([*CLI, "bench", str(pool), "--max-work", "-1"], capture_output=True, text=True)
    assert result.returncode == 2 and "--max-work" in result.stderr
