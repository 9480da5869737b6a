"""docs/control_flow.md: every Python block runs as written and prints what the page says it prints."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

import trainer as tf

DOC = Path(__file__).resolve().parents[2] / "docs" / "control_flow.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
PRINTED = [
    ["2.0 1"],
    ["10 45.0 (8, 2) 4.86"],
    ["(?, 4, 2) (2, 4, 2) (3, 2)"],
    [
        "['rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel:0', "
        "'rnn/multi_rnn_cell/cell_0/basic_lstm_cell/bias:0']",
        "(2, 28, 16) True",
    ],
]


@pytest.mark.parametrize("k", range(len(PRINTED)))
def test_doc_block_prints_what_the_page_says(k: int):
    assert len(BLOCKS) == len(PRINTED)
    out = io.StringIO()
    with tf.Graph().as_default(), contextlib.redirect_stdout(out):
        exec(compile(BLOCKS[k], f"{DOC}:block{k}", "exec"), {"__name__": "doc"})
    assert out.getvalue().splitlines() == PRINTED[k]
    for line in PRINTED[k]:  # the page shows each printed line in a comment
        assert line.split(" ")[0] in BLOCKS[k]
