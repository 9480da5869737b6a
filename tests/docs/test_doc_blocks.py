"""Docs as tests (issue #18, D1): every fenced block of README.md and docs/*.md runs here, is run by the test
its ``covered-by`` marker names, or is marked as not runnable with a reason (tests/docs/doc_blocks.py says
how blocks are classified and marked). Python blocks run in order in one namespace per doc, shell blocks with
bash, both in a scratch folder that sees the repository's files; a documented output is compared line by line.
A deliberately broken snippet in a synthetic doc fails the runner."""

from __future__ import annotations

import contextlib
import doctest
import io
import os
import re
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from doc_blocks import (
    ROOT,
    STAND_INS,
    Block,
    console_steps,
    covered_by_problems,
    doc_paths,
    output_matches,
    parse,
)

DOCS = {str(p.relative_to(ROOT)): parse(p) for p in doc_paths()}
# the repository's own build trees and the demo's output are not linked into the scratch folder: stand-ins
# (STAND_INS) replace what a doc expects there
NOT_LINKED = {".git", "out", "build"}
SHELL_TIMEOUT_S = 120


def scratch_folder(base: Path) -> Path:
    """A folder that links every top-level entry of the repository (so paths in the docs resolve as from the
    repository root) but keeps what the blocks write."""
    base.mkdir(parents=True, exist_ok=True)
    for entry in ROOT.iterdir():
        if entry.name in NOT_LINKED or entry.name.startswith("build-"):
            continue
        link = base / entry.name
        if not link.exists():
            link.symlink_to(entry)
    return base


@contextlib.contextmanager
def _cwd(folder: Path) -> Iterator[None]:
    """contextlib.chdir of Python 3.11, for 3.10."""
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


# ---- stand-in files (doc_blocks.STAND_INS) ----


def _mnist_cnn(int8: bool) -> bytes:
    import trainer as tf
    from trainer.lite import Converter, Optimize

    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(3)
        x = tf.placeholder(tf.float32, [None, 28, 28, 1], name="x")
        h = tf.layers.max_pooling2d(tf.layers.conv2d(x, 4, 3, activation=tf.nn.relu), 2, 2)
        probs = tf.nn.softmax(tf.layers.dense(tf.reshape(h, [-1, 13 * 13 * 4]), 10), name="probs")
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    conv = Converter.from_session(sess, [x], [probs])
    if int8:
        conv.optimizations = [Optimize.DEFAULT]
        conv.representative_dataset = [[d[None]] for d in _digits(8)]
    return conv.convert()


def _digits(n: int) -> np.ndarray:
    return np.random.default_rng(4).random((n, 28, 28, 1), dtype=np.float32)


def write_stand_in(name: str, folder: Path) -> None:
    path = folder / name
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    maker = STAND_INS[name]
    if maker in ("mnist_cnn", "mnist_int8"):
        path.write_bytes(_mnist_cnn(maker == "mnist_int8"))
    elif maker in ("digit", "digits"):
        np.save(path, _digits(1 if maker == "digit" else 8))
    elif maker == "tiny":  # docs/format.md's example writes tiny.tlm into the current folder
        (code,) = [b.text for b in DOCS["docs/format.md"] if b.kind == "python"]
        with _cwd(folder), contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, "docs/format.md", "exec"), {"__name__": "__doc__"})
    elif maker == "kws_tflite":
        path.write_bytes((ROOT / "tests" / "fixtures" / "tflite" / "kws_ds_cnn_int8.tflite").read_bytes())
    elif maker == "native_build":
        from cbuild import build

        path.symlink_to(build("native", ["tensorlet", "tl_run", "tl_bench"]) / Path(name).name)
    elif maker == "tiny_image":
        np.save(path, np.random.default_rng(1).random((1, 8, 8, 1), dtype=np.float32))


# ---- the runner ----


def _python(block: Block, namespace: dict, folder: Path) -> tuple[str, str | None]:
    if block.text.lstrip().startswith(">>> "):  # an interactive session: each result is checked by doctest
        test = doctest.DocTestParser().get_doctest(block.text, namespace, block.where, block.doc, block.line)
        report = io.StringIO()
        runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
        with _cwd(folder):
            runner.run(test, out=report.write, clear_globs=False)
        namespace.update(test.globs)
        return "", report.getvalue() if runner.failures else None
    out = io.StringIO()
    try:
        with _cwd(folder), contextlib.redirect_stdout(out):
            exec(compile(block.text, block.where, "exec"), namespace)
    except BaseException:  # noqa: BLE001 - any failure of a doc block is reported as the runner's failure
        return out.getvalue(), traceback.format_exc(limit=-3)
    return out.getvalue(), None


def _env() -> dict[str, str]:
    venv_bin = ROOT / ".venv" / "bin"
    bin_dir = venv_bin if venv_bin.is_dir() else Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("PYTHONPATH", None)
    return env


def _shell(command: str, folder: Path) -> tuple[str, str | None]:
    try:
        r = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", command],
            cwd=folder, env=_env(), capture_output=True, text=True, timeout=SHELL_TIMEOUT_S,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return "", f"timed out after {SHELL_TIMEOUT_S} s"
    if r.returncode != 0:
        return r.stdout, f"exit status {r.returncode}: {r.stderr.strip()[-1500:]}"
    return r.stdout, None


def run_doc(blocks: list[Block], folder: Path) -> list[str]:
    """Run a doc's runnable blocks in order in ``folder``; one message per failure (none: the doc holds)."""
    namespace: dict = {"__name__": "__doc__"}
    failures = []
    if "trainer" in sys.modules:  # a doc starts from a fresh default graph, as a new program would
        sys.modules["trainer"].reset_default_graph()
    for block in blocks:
        if block.kind == "file":
            (folder / block.marker("file").paths[0]).write_text(block.text)
        if block.kind not in ("python", "shell"):
            continue
        for marker in block.markers:
            for name in marker.paths if marker.kind == "with" else []:
                write_stand_in(name, folder)
        if block.kind == "python":
            steps = [(block.text, block.expected)]
        elif block.lang == "console":
            steps = [(cmd, out or None) for cmd, out in console_steps(block.text)]
        else:
            steps = [(block.text, block.expected)]
        for code, expected in steps:
            if block.kind == "python":
                got, error = _python(block, namespace, folder)
            else:
                got, error = _shell(code, folder)
            if error:
                failures.append(f"{block.where} ({block.lang or 'bare'}) failed: {error}")
                break
            if expected is not None and not output_matches(expected, got):
                failures.append(f"{block.where}: printed\n{got}\nbut the doc says\n{expected}")
    return failures


# ---- the tests ----


def test_every_block_is_runnable_or_marked() -> None:
    unmarked = [
        b.where + f" (```{b.lang})" for blocks in DOCS.values() for b in blocks if b.kind == "unmarked"
    ]
    assert not unmarked, "blocks the runner cannot run need a docs-test marker: " + ", ".join(unmarked)


def test_covered_by_markers_name_tests_that_run_the_block() -> None:
    problems = [
        p
        for blocks in DOCS.values()
        for b in blocks
        if b.kind == "covered-by"
        for p in covered_by_problems(b)
    ]
    assert not problems, "\n".join(problems)


RUNNABLE = [doc for doc, blocks in DOCS.items() if any(b.kind in ("python", "shell") for b in blocks)]


@pytest.mark.parametrize("doc", RUNNABLE)
def test_doc_runs_as_written(doc: str, tmp_path: Path) -> None:
    failures = run_doc(DOCS[doc], scratch_folder(tmp_path / "scratch"))
    assert not failures, "\n\n".join(failures)


def test_a_broken_snippet_fails_the_runner(tmp_path: Path) -> None:
    doc = tmp_path / "broken.md"
    doc.write_text(
        "A good block:\n\n```python\nx = 6 * 7\nprint(x)\n```\n\nprints\n\n```\n42\n```\n\n"
        "A wrong output:\n\n```python\nprint(x + 1)\n```\n\nprints\n\n```\n42\n```\n\n"
        "A failing command:\n\n```sh\necho made > made.txt\nfalse\n```\n\n"
        "A Python error:\n\n```python\nundefined_name\n```\n\n"
        "```console\n$ echo hello\nhello\n$ echo bye\nhi\n```\n\n"
        "```python\n>>> 1 + 1\n3\n```\n\n"
        "```c\nint main(void) { return 0; }\n```\n"
    )
    blocks = parse(doc, tmp_path)
    kinds = ["python", "output", "python", "output", "shell", "python", "shell", "python", "unmarked"]
    assert [b.kind for b in blocks] == kinds
    failures = run_doc(blocks, tmp_path)
    assert len(failures) == 5, failures
    assert failures[0].startswith("broken.md:16: printed\n43\n")
    assert failures[1].startswith("broken.md:28 (sh) failed: exit status 1")
    assert (tmp_path / "made.txt").read_text() == "made\n"  # the block ran in the scratch folder
    assert failures[2].startswith("broken.md:35 (python) failed:") and "NameError" in failures[2]
    assert failures[3].startswith("broken.md:39: printed\nbye\n")
    assert (
        failures[4].startswith("broken.md:46 (python) failed:")
        and "Expected:\n    3\nGot:\n    2" in failures[4]
    )


REPO_PATH = re.compile(
    r"(?<![\w$/.-])((?:runtime_c|trainer|tests|examples|scripts|packaging|benchmarks|schema|pyruntime|docs)"
    r"/[\w.*/-]*[\w*])"
)


def test_repository_paths_in_blocks_exist() -> None:
    """Every repository path a block names (also in blocks that do not run here) exists; a glob matches."""
    missing = []
    for blocks in DOCS.values():
        for block in blocks:
            if block.kind in ("not-code", "output"):
                continue
            for path in REPO_PATH.findall(block.text):
                if not (any(ROOT.glob(path)) if "*" in path else (ROOT / path).exists()):
                    missing.append(f"{block.where}: {path}")
    assert not missing, "blocks name paths that do not exist: " + ", ".join(missing)


LATENCY = re.compile(r"\d[\d,.]*\s?µs\b")
PROVENANCE = re.compile(r"\b20\d\d-\d\d-\d\d\b|\b(?:produced|generated) by\b", re.I)


def test_latencies_carry_the_date_they_were_measured() -> None:
    """A section (heading of level 1-3) of README.md or docs/*.md that gives latencies in µs says when they
    were measured (YYYY-MM-DD) or which script produces them: timings from another machine or day are not
    comparable, and an undated one cannot be rechecked."""
    undated = []
    for path in doc_paths():
        text = path.read_text()
        for section in re.split(r"(?m)^(?=#{1,3} )", text):
            if LATENCY.search(section) and not PROVENANCE.search(section):
                undated.append(f"{path.relative_to(ROOT)}: {section.splitlines()[0]}")
    assert not undated, "µs figures without a date or the script producing them: " + "; ".join(undated)
