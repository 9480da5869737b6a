"""Netron opens tensorlet's exported ``.tflite`` files (issue #14: "opens in Netron").

Netron's own readers run under node: tests/lite/netron_read.mjs loads the ``netron`` PyPI package's
``view.js`` (its ModelFactoryService, which picks the reader by content) and ``tflite.js``, opens the file as
the app does, and prints what Netron shows. Checked against the file as tensorlet's reader sees it: the
format, the graph's inputs and outputs, every node's type and the tensors it reads and writes, and each of
those tensors' name, dtype, shape, quantization and constant bytes. Needs node and ``pip install netron``
(both installed by .ci/run).
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import need
from tflite_fixtures import fixture

from trainer.lite.tflite import from_tflite, to_tflite
from trainer.lite.tflite.reader import read_tflite

HERE = Path(__file__).resolve().parent


def netron_dir() -> Path:
    try:
        import netron
    except ImportError:
        netron = None
    need(netron is not None, "netron is not installed (pip install netron)")
    need(shutil.which("node") is not None, "node is not installed (Netron's readers are JavaScript)")
    return Path(netron.__file__).resolve().parent


def netron_view(data: bytes, tmp_path: Path) -> dict:
    path = tmp_path / "model.tflite"
    path.write_bytes(data)
    cmd = ["node", str(HERE / "netron_read.mjs"), str(netron_dir()), str(path)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout)


@functools.cache
def _models() -> dict[str, bytes]:
    from test_tflite_export import MODELS

    tlm = {name: make() for name, make in MODELS.items()}
    files = {name: to_tflite(m) for name, m in tlm.items()}
    files["int8_micro"] = to_tflite(tlm["int8_io"], micro=True)
    files["float16_micro"] = to_tflite(tlm["float16"], micro=True)
    files["kws_ds_cnn_int8"] = to_tflite(from_tflite(fixture("kws_ds_cnn_int8")))
    return files


@pytest.mark.parametrize("name", ["float32", "float16", "int8", "int8_io", "int8_micro", "float16_micro",
                                  "kws_ds_cnn_int8"])  # fmt: skip
def test_netron_shows_the_exported_graph(name, tmp_path):
    data = _models()[name]
    seen = netron_view(data, tmp_path)
    ours = read_tflite(data)
    assert seen["format"] == "TensorFlow Lite v3"
    assert seen["inputs"] == ours.inputs and seen["outputs"] == ours.outputs
    assert len(seen["nodes"]) == len(ours.operators) > 0
    for node, op in zip(seen["nodes"], ours.operators, strict=True):
        assert node["type"].lower() == op.name.replace("_", "").lower(), (node, op.name)
        assert node["inputs"] == [i for i in op.inputs if i >= 0] and node["outputs"] == op.outputs, op.name
    used = {i for op in ours.operators for i in [*op.inputs, *op.outputs] if i >= 0}
    assert len(seen["tensors"]) == len(used)
    for index, shown in seen["tensors"].items():
        t = ours.tensors[int(index)]
        assert (shown["name"], shown["dtype"], shown["shape"]) == (t.name, t.type.lower(), t.shape), t
        if t.quant is None:
            assert not shown["scale"]
        else:
            assert shown["scale"] == [float(np.float32(s)) for s in t.quant.scale], t.name
            assert shown["zero_point"] == t.quant.zero_point, t.name
        span = ours.buffers[t.buffer] if t.buffer else None
        expected = data[span[0] : span[0] + span[1]].hex() if span else None
        assert shown["data"] == expected, t.name
