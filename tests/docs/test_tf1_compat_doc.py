"""docs/tf1_compat.md: every Python block runs as written and prints what the page says it prints; the
suite's program list on the page matches tests/trainer/tf1_programs/."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest
from conftest import need

import trainer as tf
from trainer.summary import _protos

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "tf1_compat.md"
TEXT = DOC.read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, re.S)
PRINTED = [
    ["['model/conv2d/kernel:0', 'model/conv2d/bias:0', 'model/dense/kernel:0', 'model/dense/bias:0']"],
    ["[(0, 0.0), (1, 1.0), (2, 4.0)]"],
    ["5 ['extra']"],
    ["() 10.0"],
]


@pytest.mark.parametrize("k", range(len(PRINTED)))
def test_doc_block_prints_what_the_page_says(k: int) -> None:
    assert len(BLOCKS) == len(PRINTED)
    if "tensorboard" in BLOCKS[k]:
        need(_protos.available(), "the tensorboard package is not installed")
    out = io.StringIO()
    tf.flags.FLAGS._reset()
    try:
        with tf.Graph().as_default(), contextlib.redirect_stdout(out):
            exec(compile(BLOCKS[k], f"{DOC}:block{k}", "exec"), {"__name__": "doc"})
    finally:
        tf.flags.FLAGS._reset()
    assert out.getvalue().splitlines() == PRINTED[k]
    for line in PRINTED[k]:  # the page shows each printed line in a comment
        assert "# " + line in BLOCKS[k]


def test_the_suite_table_lists_every_program() -> None:
    programs = {p.stem for p in (ROOT / "tests" / "trainer" / "tf1_programs").glob("*.py")} - {"input_data"}
    listed = set(re.findall(r"^\| `(\w+)` \|", TEXT, re.M))
    assert programs <= listed, sorted(programs - listed)


def test_linked_from_the_docs_index() -> None:
    assert "(tf1_compat.md)" in (ROOT / "docs" / "README.md").read_text()
