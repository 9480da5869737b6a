"""docs/reuse.md: every Python block runs, in order, in one namespace, and prints what it should."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import trainer as tf

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reuse.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)


def test_every_block_runs_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ns: dict = {"__name__": "doc"}
    outputs = []
    for k, block in enumerate(BLOCKS):
        out = io.StringIO()
        with tf.Graph().as_default(), contextlib.redirect_stdout(out):
            exec(compile(block, f"{DOC}:block{k}", "exec"), ns)
        outputs.append(out.getvalue().splitlines())
    assert len(BLOCKS) == 6
    save, restore, head, init, errors, export = outputs
    assert save == ["ckpt/model-20 ['checkpoint', 'model-20.index.json', 'model-20.meta', 'model-20.npz']"]
    assert restore == ["VariableV2 head/BiasAdd:0", "21"]
    assert head == ["['new_head/dense/kernel', 'new_head/dense/bias']"]
    assert init == ["[('body/conv/kernel', [3, 3, 1, 4]), ('body/conv/bias', [4])]", "[3, 3, 1, 4] True"]
    assert len(errors) == 2
    for line in errors:  # one line each, naming the variable and both shapes
        assert "[5, 5, 1, 4]" in line and "[3, 3, 1, 4]" in line
    assert "'w'" in errors[0] and "'body/conv/kernel'" in errors[1]
    assert export[0].endswith(" bytes") and int(export[0].split()[0]) > 100
    # the fine-tuned head learned its new task
    assert (tmp_path / "tuned" / "model.meta").is_file()


def test_the_page_is_linked_and_holds_the_experiment_table():
    assert "(reuse.md)" in (ROOT / "docs" / "README.md").read_text()
    text = DOC.read_text()
    assert "RESULTS_" not in text
    table = [line for line in text.splitlines() if re.match(r"\| (\d+|all) \| ", line)]
    assert len(table) >= 4 and all(line.count("±") >= 2 for line in table)
    assert (ROOT / "docs" / "reuse_mnist_to_fashion.png").is_file()
