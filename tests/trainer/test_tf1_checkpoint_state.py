"""The ``checkpoint`` state file in TensorFlow's text format: read what TensorFlow writes, write it the same
way, still read our older JSON state files; ``get_checkpoint_state``, ``latest_checkpoint``,
``checkpoint_exists`` and ``update_checkpoint_state``.

``tf1_fixtures/checkpoint`` was written by TensorFlow 2.21's ``tf.compat.v1.train.Saver(max_to_keep=2)``
after three saves of ``ckpt/model.ckpt`` at steps 100, 200 and 300 (TensorFlow is not needed here).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import trainer as tf
from trainer.errors import DataLossError, InvalidArgumentError
from trainer.train.saver import format_checkpoint_state, parse_checkpoint_state

FIXTURE = Path(__file__).parent / "tf1_fixtures" / "checkpoint"


def _save(folder: Path, steps: tuple[int, ...], value: float = 3.0, max_to_keep: int = 5) -> list[str]:
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable([value, value + 1], name="v")
        saver = tf.train.Saver(max_to_keep=max_to_keep)
        with tf.Session() as sess:
            sess.run(v.initializer)
            return [saver.save(sess, str(folder / "model"), global_step=s) for s in steps]


def _restore(prefix: str | None) -> np.ndarray:
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable([0.0, 0.0], name="v")
        with tf.Session() as sess:
            tf.train.Saver().restore(sess, prefix)
            return sess.run(v)


def test_reads_the_state_file_tensorflow_wrote(tmp_path: Path) -> None:
    shutil.copy(FIXTURE, tmp_path / "checkpoint")
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == os.path.join(str(tmp_path), "model.ckpt-300")
    assert state.all_model_checkpoint_paths == [
        os.path.join(str(tmp_path), "model.ckpt-200"),
        os.path.join(str(tmp_path), "model.ckpt-300"),
    ]
    # TensorFlow's own checkpoint files are not here (and tensorlet cannot restore them): no latest one,
    # and no error (was: DataLossError)
    assert tf.train.latest_checkpoint(str(tmp_path)) is None
    assert not tf.train.checkpoint_exists(str(tmp_path / "model.ckpt-300"))
    (tmp_path / "model.ckpt-300.index").write_bytes(b"")
    assert tf.train.checkpoint_exists(str(tmp_path / "model.ckpt-300"))


def test_save_into_a_folder_tensorflow_used_and_write_its_format(tmp_path: Path) -> None:
    shutil.copy(FIXTURE, tmp_path / "checkpoint")
    paths = _save(tmp_path, (1, 2))
    text = (tmp_path / "checkpoint").read_text()
    assert text == (
        'model_checkpoint_path: "model-2"\n'
        'all_model_checkpoint_paths: "model.ckpt-200"\n'
        'all_model_checkpoint_paths: "model.ckpt-300"\n'
        'all_model_checkpoint_paths: "model-1"\n'
        'all_model_checkpoint_paths: "model-2"\n'
    )
    assert tf.train.latest_checkpoint(tmp_path) == paths[1]
    np.testing.assert_array_equal(_restore(tf.train.latest_checkpoint(tmp_path)), [3.0, 4.0])


def test_absolute_paths_into_the_folder_are_followed_others_refused(tmp_path: Path) -> None:
    prefix = _save(tmp_path, (7,))[0]
    # what TensorFlow writes for an absolute save_path
    (tmp_path / "checkpoint").write_text(
        f'model_checkpoint_path: "{prefix}"\nall_model_checkpoint_paths: "{prefix}"\n'
    )
    assert tf.train.latest_checkpoint(tmp_path) == prefix
    assert tf.train.get_checkpoint_state(tmp_path).model_checkpoint_path == prefix
    other = tmp_path / "elsewhere"
    other.mkdir()
    (tmp_path / "checkpoint").write_text(f'model_checkpoint_path: "{other / "model-7"}"\n')
    with pytest.raises(DataLossError, match="not a checkpoint name"):
        tf.train.latest_checkpoint(tmp_path)


def test_older_json_state_files_are_still_read(tmp_path: Path) -> None:
    prefix = _save(tmp_path, (5,))[0]
    (tmp_path / "checkpoint").write_text(
        json.dumps({"model_checkpoint_path": "model-5", "all_model_checkpoint_paths": ["model-5"]})
    )
    assert tf.train.latest_checkpoint(tmp_path) == prefix
    assert tf.train.get_checkpoint_state(tmp_path).all_model_checkpoint_paths == [prefix]


def test_text_format_escapes_round_trip() -> None:
    names = ['we"ird', "back\\slash", "tab\there", "caf\u00e9"]
    text = format_checkpoint_state(names[0], names)
    assert text.splitlines()[0] == 'model_checkpoint_path: "we\\"ird"'
    assert "caf\\303\\251" in text  # non-ASCII bytes as octal escapes, as protobuf writes them
    state = parse_checkpoint_state(text)
    assert state["model_checkpoint_path"] == names[0]
    assert state["all_model_checkpoint_paths"] == names
    # fields newer TensorFlow versions add are read and ignored
    extra = parse_checkpoint_state(
        text + "all_model_checkpoint_timestamps: 1.5e9\nlast_preserved_timestamp: 2\n"
    )
    assert extra["all_model_checkpoint_timestamps"] == [1.5e9]


@pytest.mark.parametrize(
    "bad",
    [
        'model_checkpoint_path "x"\n',
        'model_checkpoint_path: "x\n',
        "model_checkpoint_path: x\n",
        'a: "\\q"\n',
    ],
)
def test_malformed_state_files_are_data_errors(tmp_path: Path, bad: str) -> None:
    (tmp_path / "checkpoint").write_text(bad)
    with pytest.raises(DataLossError):
        tf.train.latest_checkpoint(tmp_path)


def test_update_checkpoint_state(tmp_path: Path) -> None:
    a, b = _save(tmp_path, (1, 2))
    tf.train.update_checkpoint_state(str(tmp_path), a, [b])
    assert (tmp_path / "checkpoint").read_text() == (
        'model_checkpoint_path: "model-1"\nall_model_checkpoint_paths: "model-2"\n'
        'all_model_checkpoint_paths: "model-1"\n'
    )
    assert tf.train.latest_checkpoint(tmp_path) == a
    with pytest.raises(InvalidArgumentError, match="not a checkpoint in"):
        tf.train.update_checkpoint_state(str(tmp_path), "/somewhere/else/model-1")
