"""Checkpoints as untrusted input: sizes before inflating, index types, names stay in the folder."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import trainer as tf
from trainer.errors import DataLossError, InvalidArgumentError, TensorletError
from trainer.train.saver import load_checkpoint


def _graph():
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(np.arange(12, dtype=np.float32).reshape(3, 4), name="w")
        b = tf.Variable(np.zeros(4, np.float32), name="b")
    return g, w, b


def _save(tmp_path: Path, max_to_keep: int | None = 5, steps: tuple[int, ...] = (0,)) -> tuple[Any, str]:
    g, w, b = _graph()
    with g.as_default():
        saver = tf.train.Saver([w, b], max_to_keep=max_to_keep)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            paths = [saver.save(sess, str(tmp_path / "m"), global_step=s) for s in steps]
    return saver, paths[-1]


def _rewrite(prefix: str, npz: bytes | None = None, **index_changes: object) -> None:
    """Replace the data file and/or index fields, data_bytes and sha256 kept consistent (a crafted file)."""
    index_path = Path(prefix + ".index.json")
    index = json.loads(index_path.read_text())
    if npz is not None:
        Path(prefix + ".npz").write_bytes(npz)
        index["data_bytes"], index["sha256"] = len(npz), hashlib.sha256(npz).hexdigest()
    index.update(index_changes)
    index_path.write_text(json.dumps(index))


def _npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def test_member_header_declaring_8_tib_is_a_data_error(tmp_path: Path) -> None:
    _, prefix = _save(tmp_path)
    huge = (2**40,)  # float64: 8 TiB
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("w.npy", _npy_header(huge) + b"\0" * 64)
        zf.writestr("b.npy", _npy_header((4,), "<f4") + b"\0" * 16)
    npz = buf.getvalue()
    _rewrite(prefix, npz)  # the index still says w is float32 [3, 4]
    with pytest.raises(DataLossError, match="disagrees with its index"):
        load_checkpoint(prefix)
    variables = [
        {"name": "w", "shape": list(huge), "dtype": "float64"},
        {"name": "b", "shape": [4], "dtype": "float32"},
    ]
    _rewrite(prefix, variables=variables)  # index and header agree on 8 TiB: the member's size does not
    with pytest.raises(DataLossError, match="data bytes"):  # was: MemoryError from numpy
        load_checkpoint(prefix)


def _deflated_zeros(name: str, header: bytes, nbytes: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf, zf.open(name, "w") as f:
        f.write(header)
        chunk = bytes(1 << 20)
        for _ in range(nbytes >> 20):
            f.write(chunk)
    return buf.getvalue()


def test_deflated_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    saver, prefix = _save(tmp_path)
    nbytes = 256 << 20  # 256 MiB of zeros deflate to ~256 KB
    bomb = _deflated_zeros("w.npy", _npy_header((nbytes // 8,)), nbytes)
    assert len(bomb) < nbytes // 500
    buf = io.BytesIO(bomb)  # the bomb member plus b; the index is unchanged (w float32 [3, 4])
    with zipfile.ZipFile(buf, "a") as zf:
        zf.writestr("b.npy", _npy_header((4,), "<f4") + b"\0" * 16)
    _rewrite(prefix, buf.getvalue())
    tracemalloc.start()
    try:
        with pytest.raises(DataLossError, match="disagrees with its index"):
            load_checkpoint(prefix)
        g, w, b = _graph()
        with g.as_default(), tf.Session() as sess, pytest.raises(DataLossError):
            tf.train.Saver([w, b]).restore(sess, prefix)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"peak {peak} bytes: the member was inflated"  # was: a 256 MiB array first


def test_restore_checks_the_graph_before_reading_data(tmp_path: Path) -> None:
    _, prefix = _save(tmp_path)
    variables = [
        {"name": "w", "shape": [1 << 20, 1 << 20], "dtype": "float32"},
        {"name": "b", "shape": [4], "dtype": "float32"},
    ]
    _rewrite(prefix, variables=variables)
    g, w, b = _graph()
    with g.as_default(), tf.Session() as sess, pytest.raises(InvalidArgumentError, match="shape"):
        tf.train.Saver([w, b]).restore(sess, prefix)
    with pytest.raises(InvalidArgumentError, match="more than"):
        load_checkpoint(prefix, max_bytes=1 << 30)


@pytest.mark.parametrize(
    "changes",
    [
        {"variables": "w"},
        {"variables": [1, 2]},
        {"variables": [{"shape": [3, 4], "dtype": "float32"}]},
        {"variables": [{"name": "w", "shape": "3x4", "dtype": "float32"}]},
        {"variables": [{"name": "w", "shape": [3, -4], "dtype": "float32"}]},
        {"variables": [{"name": "w", "shape": [3, 4.0], "dtype": "float32"}]},
        {"variables": [{"name": "w", "shape": [3, 4], "dtype": "object"}]},
        {"variables": [{"name": "w", "shape": [3, 4], "dtype": 7}]},
        {"variables": [{"name": "w", "shape": [3, 4], "dtype": "float32"}] * 2},
        {"variables": [{"name": ["w"], "shape": [3, 4], "dtype": "float32"}]},
        {"data_bytes": "100"},
        {"data_bytes": None},
        {"sha256": 5},
        {"step": "ten"},
        {"version": "1"},
        {"version": True},
    ],
)
def test_index_of_the_wrong_types_is_a_data_error(tmp_path: Path, changes: dict[str, object]) -> None:
    _, prefix = _save(tmp_path)
    _rewrite(prefix, **changes)
    with pytest.raises((DataLossError, InvalidArgumentError)):  # was: TypeError / KeyError for most
        load_checkpoint(prefix)
    g, w, b = _graph()
    with g.as_default(), tf.Session() as sess, pytest.raises(TensorletError):
        tf.train.Saver([w, b]).restore(sess, prefix)


def test_state_file_cannot_make_save_delete_outside_the_folder(tmp_path: Path) -> None:
    folder, other = tmp_path / "ckpt", tmp_path / "other"
    folder.mkdir()
    other.mkdir()
    victims = [other / "x.npz", other / "x.index.json", other / "y.npz", other / "y.index.json"]
    for v in victims:
        v.write_text("precious")
    state = {
        "model_checkpoint_path": "../other/x",
        "all_model_checkpoint_paths": ["../other/x", str(other / "y"), "..", "", 5, "a\\..\\..\\x"],
    }
    (folder / "checkpoint").write_text(json.dumps(state))
    _save(folder, max_to_keep=1, steps=(1, 2, 3))  # each save trims the kept list to one
    assert all(v.read_text() == "precious" for v in victims)  # was: the four files deleted
    (folder / "checkpoint").write_text(json.dumps(state))
    with pytest.raises(DataLossError, match="not a checkpoint name"):
        tf.train.latest_checkpoint(folder)
    _save(folder, max_to_keep=1, steps=(3,))
    written = (folder / "checkpoint").read_text()
    assert written == 'model_checkpoint_path: "m-3"\nall_model_checkpoint_paths: "m-3"\n'  # TF's text format
    assert tf.train.latest_checkpoint(folder) == str(folder / "m-3")
    (folder / "checkpoint").write_text(json.dumps({"model_checkpoint_path": str(other / "x")}))
    with pytest.raises(DataLossError):
        tf.train.latest_checkpoint(folder)


def test_round_trip_still_exact_and_fortran_order(tmp_path: Path) -> None:
    _, prefix = _save(tmp_path)
    _, arrays = load_checkpoint(prefix)
    assert arrays["w"].tolist() == np.arange(12, dtype=np.float32).reshape(3, 4).tolist()
    buf = io.BytesIO()
    w = np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4))
    np.savez(buf, w=w, b=np.ones(4, np.float32))
    _rewrite(prefix, buf.getvalue())
    _, arrays = load_checkpoint(prefix)
    np.testing.assert_array_equal(arrays["w"], w)
    assert os.path.exists(prefix + ".npz")
