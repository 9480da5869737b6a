"""docs/adding_an_op.md stays true: every file it names exists, and the op it walks through (Maximum) was
added the way it says: at most six shared files edited, each by a line or two, besides the op's new files and
the files generated from the schema."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from conftest import need

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "adding_an_op.md"
GENERATED = {
    "runtime_c/src/fb_schema.h",
    "runtime_c/src/fb_schema.c",
    "runtime_c/fuzz/fuzz_schema.h",
    "trainer/tlm/schema_tables.py",
    "trainer/tlm/schema/OpCode.py",
}


def test_every_file_the_page_names_exists() -> None:
    paths = set(
        re.findall(
            r"`((?:schema|trainer|runtime_c|tests|docs|scripts)/[\w./-]+\.(?:py|c|h|fbs|md|txt))`",
            DOC.read_text(),
        )
    )
    assert len(paths) > 20
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing, f"docs/adding_an_op.md names files that do not exist: {missing}"


def test_the_worked_example_touched_at_most_six_shared_files() -> None:
    need(
        shutil.which("git") is not None and (ROOT / ".git").exists(), "needs git and the repository's history"
    )
    sha = subprocess.run(
        ["git", "log", "--format=%H", "-1", "--grep", "^Maximum:"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    need(bool(sha), "the Maximum commit is not in this clone's history (shallow clone?)")
    out = subprocess.run(
        ["git", "show", "--numstat", "--diff-filter=AM", "--format=", sha],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    status = subprocess.run(
        ["git", "show", "--name-status", "--format=", sha], cwd=ROOT, capture_output=True, text=True
    ).stdout
    added = {line.split("\t")[1] for line in status.splitlines() if line.startswith("A")}
    shared = {}
    for line in out.splitlines():
        plus, minus, path = line.split("\t")
        if path not in added and path not in GENERATED:
            shared[path] = int(plus) + int(minus)
    assert len(shared) <= 6, shared
    assert all(n <= 3 for n in shared.values()), shared  # one line (or one small entry) each
    assert {"runtime_c/src/ops/op_table.c", "schema/tensorlet.fbs", "trainer/runtime_ops/__init__.py"} <= set(
        shared
    )
    assert all(p.endswith("maximum.py") or "maximum" in p for p in added), added
