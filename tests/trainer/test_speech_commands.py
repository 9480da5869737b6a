"""trainer.datasets.speech_commands on a tiny Speech Commands directory made here (word folders, the two
split lists, a _background_noise_ folder) and on the bundled synthesized spoken_words archive."""

from __future__ import annotations

import hashlib
import wave
from pathlib import Path

import numpy as np
import pytest

from trainer.datasets import speech_commands as sc
from trainer.errors import DataLossError, InvalidArgumentError


def write_wav(path: Path, samples: np.ndarray, rate: int = 16000, channels: int = 1) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(samples, "<i2").tobytes())


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """3 words x 4 speakers x 2 takes; speaker s3 is the test split, s2 validation; one noise recording."""
    root = tmp_path / "speech"
    for w, word in enumerate(["yes", "no", "up"]):
        for s in range(4):
            for k in range(2):
                n = 8000 + 1000 * s  # shorter than 1 s: padded
                value = 100 * (w + 1) + 10 * s + k  # identifies the clip
                write_wav(root / word / f"s{s}_nohash_{k}.wav", np.full(n, value, np.int16))
    (root / "validation_list.txt").write_text(
        "".join(f"{w}/s2_nohash_{k}.wav\n" for w in ["yes", "no", "up"] for k in (0, 1))
    )
    (root / "testing_list.txt").write_text(
        "".join(f"{w}/s3_nohash_{k}.wav\n" for w in ["yes", "no", "up"] for k in (0, 1))
    )
    write_wav(
        root / "_background_noise_" / "hum.wav", (np.sin(np.arange(40000) * 0.05) * 3000).astype(np.int16)
    )
    return root


def test_layout_splits_classes_and_padding(tiny: Path) -> None:
    d = sc.load(tiny, wanted_words=["yes", "no"], silence_percentage=50, unknown_percentage=25, seed=1)
    assert d.classes == ["_silence_", "_unknown_", "yes", "no"]
    # train: speakers s0, s1 -> 4 yes + 4 no wanted, 2 of the 4 "up" clips as unknown (25%), 4 silence (50%)
    assert len(d.train) == 8 + 2 + 4 and np.bincount(d.train.labels).tolist() == [4, 2, 4, 4]
    assert len(d.test) == 4 + 1 + 2 and all(
        f.startswith(("yes/s3", "no/s3", "up/s3", "")) for f in d.test.files
    )
    assert all("s2" in f for f in d.validation.files if f)
    assert d.train.audio.shape == (14, 16000) and d.train.audio.dtype == np.int16
    i = d.train.files.index("no/s1_nohash_1.wav")
    assert (d.train.audio[i, :9000] == 200 + 10 + 1).all() and (d.train.audio[i, 9000:] == 0).all()
    assert d.train.labels[i] == 3
    silence = d.train.labels == 0
    assert (d.train.audio[silence] == 0).all() and [d.train.files[j] for j in np.nonzero(silence)[0]] == [
        ""
    ] * 4
    assert len(d.background) == 1 and len(d.background[0]) == 40000
    # deterministic: the same seed picks the same unknown clips, another seed may not
    again = sc.load(tiny, wanted_words=["yes", "no"], silence_percentage=50, unknown_percentage=25, seed=1)
    assert again.train.files == d.train.files


def test_hash_split_without_lists_keeps_speakers_together(tiny: Path) -> None:
    (tiny / "validation_list.txt").unlink()
    (tiny / "testing_list.txt").unlink()
    d = sc.load(
        tiny, silence_percentage=0, unknown_percentage=0, validation_percentage=30, testing_percentage=30
    )
    assert d.classes == ["no", "up", "yes"]
    assert len(d.train) + len(d.validation) + len(d.test) == 24
    for split in (d.train, d.validation, d.test):
        for f in split.files:
            assert sc.which_set(f, 30, 30) == (
                "train" if split is d.train else "validation" if split is d.validation else "test"
            )
    speakers = [{f.split("/")[1].split("_")[0] for f in s.files} for s in (d.train, d.validation, d.test)]
    assert (
        not (speakers[0] & speakers[1])
        and not (speakers[0] & speakers[2])
        and not (speakers[1] & speakers[2])
    )


def test_augment_is_seeded_and_does_what_it_says(tiny: Path) -> None:
    d = sc.load(tiny, wanted_words=["yes"], silence_percentage=50, unknown_percentage=0)
    a1 = sc.augment(d.train.audio, d.train.labels, np.random.default_rng(3), background=d.background)
    a2 = sc.augment(d.train.audio, d.train.labels, np.random.default_rng(3), background=d.background)
    a3 = sc.augment(d.train.audio, d.train.labels, np.random.default_rng(4), background=d.background)
    assert a1.dtype == np.int16 and a1.shape == d.train.audio.shape
    assert np.array_equal(a1, a2) and not np.array_equal(a1, a3)
    silence = d.train.labels == 0
    assert np.all(np.abs(a1[silence]).max(axis=1) > 0)  # silence always gets noise
    # no noise, no gain: a pure time shift of a constant clip moves its edge by at most 100 ms
    clean = sc.augment(
        d.train.audio[~silence], d.train.labels[~silence], np.random.default_rng(0),
        sc.Augmentation(time_shift_ms=100, noise_probability=0.0, gain_db=(0.0, 0.0)), silence_label=None,
    )  # fmt: skip
    for orig, got in zip(d.train.audio[~silence], clean, strict=True):
        n_orig, n_got = int(np.count_nonzero(orig)), int(np.count_nonzero(got))
        assert set(np.unique(got)) <= {0, int(orig[0])} and abs(n_orig - n_got) <= 1600
    # gain only: +6 dB doubles the amplitude
    loud = sc.augment(
        d.train.audio[:1], np.array([1]), np.random.default_rng(0),
        sc.Augmentation(time_shift_ms=0, noise_probability=0.0, gain_db=(6.0206, 6.0206)), silence_label=None,
    )  # fmt: skip
    assert abs(int(loud[0, 0]) - 2 * int(d.train.audio[0, 0])) <= 1


def test_made_noise_is_white_or_pink() -> None:
    rng = np.random.default_rng(0)
    for make, slope in ((sc.white_noise, 0.0), (sc.pink_noise, -1.0)):
        x = make(rng, 1 << 16)
        assert abs(float(np.sqrt(np.mean(x * x))) - 1.0) < 0.02
        p = np.abs(np.fft.rfft(x)) ** 2
        f = np.arange(len(p))
        bands = [p[(f >= lo) & (f < 2 * lo)].mean() for lo in (64, 256, 1024, 4096)]
        fitted = np.polyfit(np.log2([64, 256, 1024, 4096]), np.log2(bands), 1)[0]  # power per octave
        assert abs(fitted - slope) < 0.15, (make.__name__, fitted)


def test_bad_input_errors(tiny: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="wanted_words"):
        sc.load(tiny, wanted_words=["yes", "maybe"])
    write_wav(tiny / "no" / "s9_nohash_0.wav", np.zeros(200, np.int16), channels=2)
    with pytest.raises(DataLossError, match="mono 16-bit"):
        sc.load(tiny)
    with pytest.raises(DataLossError, match="8000 Hz"):
        sc.read_wav((tiny / "yes" / "s0_nohash_0.wav").read_bytes(), "x.wav", sample_rate=8000)


def test_bundled_synthesized_archive() -> None:
    digest = hashlib.sha256(sc.SPOKEN_WORDS_ARCHIVE.read_bytes()).hexdigest()
    assert digest == "c4f80469de201f109e08b03091db77275d5f1f8c34034ab826f29621a9d6c079"
    assert "SYNTHESIZED" in (sc.SPOKEN_WORDS_ARCHIVE.parent / "README.md").read_text()
    d = sc.load(silence_percentage=0, unknown_percentage=0)
    assert sorted(d.classes) == sorted(sc.SPOKEN_WORDS)
    assert (len(d.train), len(d.validation), len(d.test)) == (1285, 153, 162)
    voices = [
        {f.split("/")[1].split("_nohash_")[0] for f in s.files} for s in (d.train, d.validation, d.test)
    ]
    assert not (voices[0] & voices[2]) and not (voices[0] & voices[1])  # speaker-held-out
    assert np.bincount(d.train.labels, minlength=20).min() >= 55
