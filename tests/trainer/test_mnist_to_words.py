"""examples/speech/mnist_to_words.py, tiny: the main demo's CNN (saved as the demo saves it) is imported with
import_meta_graph, its conv features are reused on 28x28 spectrogram images of three SYNTHESIZED spoken
words, and the three arms run, print the table (mean ± sd per cell) and write the plot."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
from conftest import need
from test_reuse_example import _save_untrained_demo_cnn

ROOT = Path(__file__).resolve().parents[2]


def load_example():
    sys.path.insert(0, str(ROOT / "examples" / "speech"))
    try:
        import mnist_to_words
    finally:
        sys.path.pop(0)
    return mnist_to_words


def test_spectrogram_images() -> None:
    """Silence is the black background, a loud tone is a bright horizontal line at its frequency."""
    m = load_example()
    t = np.arange(16000) / 16000
    tone = (np.sin(2 * np.pi * 1000 * t) * 20000).astype(np.int16)
    img = m.spectrogram_images(np.stack([np.zeros(16000, np.int16), tone]))
    assert img.shape == (2, 28, 28, 1) and img.dtype == np.float32
    assert img[0].max() == 0.0 and 0.5 < img[1].max() <= 1.0
    row = int(img[1, :, 14, 0].argmax())  # the 1 kHz band: low mel bands are at the bottom (row 27)
    assert 14 < row < 27 and np.ptp(img[1, row, 2:-2, 0]) < 0.02  # the same at every time


def test_tiny_mnist_to_words(tmp_path, capsys) -> None:
    need(importlib.util.find_spec("matplotlib") is not None, "matplotlib (the demo extra)")
    m = load_example()
    _save_untrained_demo_cnn(tmp_path / "mnist")
    png = tmp_path / "plot.png"
    args = ["--pretrained", str(tmp_path / "mnist"), "--words", "yes,no,stop", "--max-per-word", "6"]
    args += ["--sizes", "1,3", "--seeds", "0,1", "--min-steps", "2", "--epochs", "1", "--batch-size", "4"]
    r = m.run([*args, "--last-block", "--plot", str(png)])
    out = capsys.readouterr().out
    assert "SYNTHESIZED" in out and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert r["classes"] == ["yes", "no", "stop"]
    arms = ("scratch", "transfer", "last_block")
    for arm in arms:
        for k in (1, 3):
            accs = r["results"][arm][k]
            assert len(accs) == 2 and all(abs(a * 18 - round(a * 18)) < 1e-6 for a in accs)  # of 18 clips
    rows = [line.strip("|").split("|") for line in out.splitlines() if re.match(r"\| \d+ \| ", line)]
    assert [row[0].strip() for row in rows] == ["1", "3"] and "examples per word" in out
    for row in rows:
        k = int(row[0])
        stats = [np.array(r["results"][a][k]) * 100 for a in arms]
        for cell, acc in zip(row[1:4], stats, strict=True):
            mean, sd = re.fullmatch(r" ([\d.]+) ± ([\d.]+) % ", cell).groups()
            assert float(mean) == round(acc.mean(), 1) and float(sd) == round(acc.std(ddof=1), 1)


def test_docs_report_the_experiment() -> None:
    """docs/reuse.md has the command, a row per size of the table, 'synthesized' beside the numbers, and
    the plot."""
    doc = (ROOT / "docs" / "reuse.md").read_text()
    section = doc[doc.index("## 7. Experiment: MNIST features on spoken words") :]
    assert "python examples/speech/mnist_to_words.py --last-block" in section
    rows = re.findall(r"^\| (5|10|20|all \(58-68\)) \| [\d.]+ ± [\d.]+ % \|", section, re.M)
    assert rows == ["5", "10", "20", "all (58-68)"] and section.count("**synthesized**") >= 2
    assert (ROOT / "docs" / "reuse_mnist_to_words.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
