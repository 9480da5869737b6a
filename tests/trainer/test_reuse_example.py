"""examples/reuse/mnist_to_fashion.py, tiny: the demo's code path pretrains and saves, the experiment
imports the meta graph, trains both arms, prints the table and writes the plot."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
from conftest import need

import trainer as tf

ROOT = Path(__file__).resolve().parents[2]


def _fashion_available() -> bool:
    from trainer.datasets.loaders import _find_fashion_dir

    try:
        _find_fashion_dir(None, False, 0.0)
    except tf.errors.TensorletError:
        return False
    return True


def _save_untrained_demo_cnn(folder: Path) -> None:
    """The main demo's CNN (examples/mnist/cnn.py's ``build``) saved as the demo saves it, untrained: its
    training loop would spend most of this test's time evaluating 2,000 MNIST images (the full run of the
    example trains it with the demo itself)."""
    sys.path.insert(0, str(ROOT / "examples" / "mnist"))
    try:
        import cnn
    finally:
        sys.path.pop(0)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 28, 28, 1], name="x")
        training = tf.placeholder_with_default(False, [], name="training")
        cnn.build(x, training)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.train.Saver().save(sess, str(folder / "model"), global_step=0)


def test_tiny_mnist_to_fashion(tmp_path, capsys):
    need(_fashion_available(), "Fashion-MNIST (Debian package dataset-fashion-mnist)")
    need(importlib.util.find_spec("matplotlib") is not None, "matplotlib (the demo extra)")
    sys.path.insert(0, str(ROOT / "examples" / "reuse"))
    try:
        import mnist_to_fashion
    finally:
        sys.path.pop(0)
    _save_untrained_demo_cnn(tmp_path / "mnist")
    png = tmp_path / "plot.png"
    args = ["--pretrained", str(tmp_path / "mnist")]
    args += ["--sizes", "1,3", "--seeds", "0,1", "--min-steps", "2", "--epochs", "1", "--test", "60"]
    args += ["--batch-size", "8"]
    r = mnist_to_fashion.run([*args, "--last-block", "--plot", str(png)])
    out = capsys.readouterr().out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    arms = ("scratch", "transfer", "last_block")
    for arm in arms:
        for k in (1, 3):
            accs = r["results"][arm][k]
            assert len(accs) == 2 and all(0.0 <= a <= 1.0 for a in accs)
            assert all(abs(a * 60 - round(a * 60)) < 1e-6 for a in accs)  # counts of 60 test images
    rows = [line.strip("|").split("|") for line in out.splitlines() if re.match(r"\| \d+ \| ", line)]
    assert [row[0].strip() for row in rows] == ["1", "3"]
    for row in rows:  # mean ± sample sd of each arm's runs, then the gains over scratch
        k = int(row[0])
        stats = [np.array(r["results"][a][k]) * 100 for a in arms]
        for cell, acc in zip(row[1:4], stats, strict=True):
            mean, sd = re.fullmatch(r" ([\d.]+) ± ([\d.]+) % ", cell).groups()
            assert float(mean) == round(acc.mean(), 1) and float(sd) == round(acc.std(ddof=1), 1)
        for cell, acc in zip(row[4:], stats[1:], strict=True):
            assert abs(float(cell.split()[0]) - (acc.mean() - stats[0].mean())) < 0.051
