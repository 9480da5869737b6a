"""Speech Commands loader: word folders of 16 kHz WAV clips, the official split lists, the ``_unknown_`` and
``_silence_`` classes of TensorFlow's speech_commands example, padding to one second, and seeded augmentation
(time shift, noise mixing, gain).

It reads either a directory in the Google Speech Commands layout (the real data set, unchanged) or the bundled
**synthesized** ``spoken_words`` archive (read straight from the ``.tar.xz``, nothing is extracted)::

    DIR/WORD/SPEAKER_nohash_K.wav       one clip, 16-bit mono PCM, at most 1 s
    DIR/validation_list.txt             relative paths of the validation clips (one a line)
    DIR/testing_list.txt                relative paths of the test clips; every other clip trains
    DIR/_background_noise_/*.wav        optional long noise recordings used for augmentation

>>> from trainer.datasets import speech_commands as sc
>>> data = sc.load(wanted_words=["yes", "no"], seed=0)        # the bundled synthesized set
>>> data.classes
['_silence_', '_unknown_', 'yes', 'no']
>>> data.train.audio.dtype, data.train.audio.shape[1]
(dtype('int16'), 16000)

Without ``validation_list.txt`` / ``testing_list.txt`` a clip's split comes from a hash of its speaker (the
part of the file name before ``_nohash_``), as in TensorFlow's ``which_set``, so a speaker never straddles
two splits.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import re
import tarfile
import wave
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from trainer.errors import DataLossError, InvalidArgumentError, NotFoundError

SPOKEN_WORDS_ARCHIVE = Path(__file__).resolve().parent / "data" / "spoken_words" / "spoken_words.tar.xz"
SPOKEN_WORDS = (
    "yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go",
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
)  # fmt: skip
SILENCE = "_silence_"
UNKNOWN = "_unknown_"
BACKGROUND_NOISE_DIR = "_background_noise_"
SAMPLE_RATE = 16000
SPLITS = ("train", "validation", "test")
_MAX_NUM_WAVS_PER_CLASS = 2**27 - 1  # TensorFlow's which_set constant


@dataclass
class SpeechSplit:
    """One split: ``audio`` int16 [n, clip_samples] (zero-padded at the end), ``labels`` int64 [n] indexing
    :attr:`SpeechCommands.classes`, ``files`` the relative path of each clip (``""`` for silence)."""

    audio: np.ndarray
    labels: np.ndarray
    files: list[str]

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class SpeechCommands:
    """A loaded data set: the class names (``_silence_``, ``_unknown_`` when asked for, then the wanted words)
    and the three splits; ``background`` holds the ``_background_noise_`` recordings (int16), if any."""

    classes: list[str]
    train: SpeechSplit
    validation: SpeechSplit
    test: SpeechSplit
    background: list[np.ndarray] = field(default_factory=list)

    def split(self, name: str) -> SpeechSplit:
        if name not in SPLITS:
            raise InvalidArgumentError(f"speech_commands: unknown split {name!r} (expected one of {SPLITS})")
        return getattr(self, name)


# ---- reading clips ----


def read_wav(data: bytes, name: str = "<wav>", sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The int16 samples of a mono 16-bit PCM WAV file's bytes; raises DataLossError on anything else."""
    try:
        with wave.open(io.BytesIO(data)) as w:
            channels, width, rate, n = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
            frames = w.readframes(n)
    except (wave.Error, EOFError) as e:
        raise DataLossError(f"speech_commands: {name} is not a readable WAV file ({e})") from e
    if channels != 1 or width != 2:
        raise DataLossError(
            f"speech_commands: {name} has {channels} channel(s) of {8 * width}-bit samples; "
            "expected mono 16-bit PCM"
        )
    if rate != sample_rate:
        raise DataLossError(f"speech_commands: {name} is sampled at {rate} Hz; expected {sample_rate} Hz")
    return np.frombuffer(frames, dtype="<i2").astype(np.int16)


def pad_or_trim(samples: np.ndarray, length: int) -> np.ndarray:
    """``samples`` cut or zero-padded at the end to exactly ``length`` (int16)."""
    out = np.zeros(length, np.int16)
    n = min(length, len(samples))
    out[:n] = samples[:n]
    return out


class _Source:
    """Uniform access to a Speech Commands directory or a ``.tar``/``.tar.xz`` archive of one (read in one
    sequential pass: seeking back in a compressed stream would decompress it again)."""

    def __init__(self, path: Path):
        self.path = path
        self._data: dict[str, bytes] | None = None
        if path.is_dir():
            self.files = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            data: dict[str, bytes] = {}
            try:
                with tarfile.open(path, "r|*") as tar:
                    for m in tar:
                        f = tar.extractfile(m) if m.isfile() else None
                        if f is not None:
                            data[m.name] = f.read()
            except (tarfile.TarError, OSError, EOFError) as e:
                raise DataLossError(f"speech_commands: {path} is not a readable tar archive ({e})") from e
            # the archive may hold one top folder (spoken_words/): paths are taken relative to it
            tops = {name.split("/", 1)[0] for name in data}
            prefix = tops.pop() + "/" if len(tops) == 1 and all("/" in n for n in data) else ""
            self._data = {name[len(prefix) :]: b for name, b in data.items()}
            self.files = sorted(self._data)
        else:
            raise NotFoundError(f"speech_commands: {path} is neither a directory nor an archive")

    def read(self, rel: str) -> bytes:
        return (self.path / rel).read_bytes() if self._data is None else self._data[rel]

    def has(self, rel: str) -> bool:
        return (self.path / rel).is_file() if self._data is None else rel in self._data


def _speaker(rel: str) -> str:
    return re.sub(r"_nohash_.*$", "", os.path.basename(rel))


def which_set(rel: str, validation_percentage: float, testing_percentage: float) -> str:
    """TensorFlow's hash split: the speaker of clip ``rel`` decides its split, stable across data releases."""
    digest = hashlib.sha1(_speaker(rel).encode("utf-8")).hexdigest()
    percent = (int(digest, 16) % (_MAX_NUM_WAVS_PER_CLASS + 1)) * (100.0 / _MAX_NUM_WAVS_PER_CLASS)
    if percent < validation_percentage:
        return "validation"
    if percent < validation_percentage + testing_percentage:
        return "test"
    return "train"


def _read_all(path: str, sample_rate: int, clip_samples: int) -> tuple[dict[str, np.ndarray], dict, list]:
    """Every word clip (padded), the split lists and the background recordings of one source; an archive's
    decoded clips are kept for the process (keyed by its size and mtime), a directory is read each time."""
    p = Path(path)
    if p.is_file():
        st = p.stat()
        return _read_archive(path, st.st_size, st.st_mtime_ns, sample_rate, clip_samples)
    return _read_source(path, sample_rate, clip_samples)


@functools.lru_cache(maxsize=2)
def _read_archive(path: str, size: int, mtime_ns: int, sample_rate: int, clip_samples: int):
    return _read_source(path, sample_rate, clip_samples)


def _read_source(path: str, sample_rate: int, clip_samples: int) -> tuple[dict[str, np.ndarray], dict, list]:
    src = _Source(Path(path))
    lists: dict[str, set[str]] = {}
    for split, name in (("validation", "validation_list.txt"), ("test", "testing_list.txt")):
        if src.has(name):
            lists[split] = {ln.strip() for ln in src.read(name).decode("utf-8").splitlines() if ln.strip()}
    clips: dict[str, np.ndarray] = {}
    background: list[np.ndarray] = []
    for rel in src.files:
        if not rel.lower().endswith(".wav") or rel.count("/") != 1:
            continue
        if rel.startswith(BACKGROUND_NOISE_DIR + "/"):
            background.append(read_wav(src.read(rel), rel, sample_rate))
            continue
        clips[rel] = pad_or_trim(read_wav(src.read(rel), rel, sample_rate), clip_samples)
    if not clips:
        raise NotFoundError(f"speech_commands: no WORD/*.wav clips in {path}")
    return clips, lists, background


def load(
    path: str | os.PathLike[str] | None = None,
    *,
    wanted_words: Sequence[str] | None = None,
    silence_percentage: float = 10.0,
    unknown_percentage: float = 10.0,
    validation_percentage: float = 10.0,
    testing_percentage: float = 10.0,
    sample_rate: int = SAMPLE_RATE,
    clip_duration_ms: int = 1000,
    seed: int = 0,
) -> SpeechCommands:
    """Load a Speech Commands directory (or archive; default: the bundled synthesized ``spoken_words``).

    ``wanted_words`` (default: every word folder) become classes 2.. after ``_silence_`` (0) and
    ``_unknown_`` (1), as in TensorFlow's speech_commands example; clips of other words are ``_unknown_``,
    sampled to ``unknown_percentage`` percent of each split's wanted clips, and ``silence_percentage`` percent
    of all-zero clips are added as ``_silence_`` (augmentation turns them into noise). A percentage of 0
    drops that class. The splits follow ``validation_list.txt`` / ``testing_list.txt`` when present, else
    :func:`which_set`. Everything random is drawn from ``seed``.
    """
    source = Path(path) if path is not None else SPOKEN_WORDS_ARCHIVE
    for name, pct in (("silence_percentage", silence_percentage), ("unknown_percentage", unknown_percentage)):
        if not 0.0 <= pct <= 1000.0:
            raise InvalidArgumentError(f"speech_commands: {name}={pct} must be in 0..1000")
    if not 8000 <= sample_rate <= 48000 or not 10 <= clip_duration_ms <= 60000:
        raise InvalidArgumentError(
            f"speech_commands: sample_rate={sample_rate} (8000..48000) or "
            f"clip_duration_ms={clip_duration_ms} (10..60000) is out of range"
        )
    clip_samples = sample_rate * clip_duration_ms // 1000
    clips, lists, background = _read_all(str(source), sample_rate, clip_samples)
    all_words = sorted({rel.split("/", 1)[0] for rel in clips})
    words = list(wanted_words) if wanted_words is not None else all_words
    missing = [w for w in words if w not in all_words]
    if missing or not words or len(set(words)) != len(words):
        raise InvalidArgumentError(
            f"speech_commands: wanted_words {words} must be distinct words of the data set {all_words} "
            f"(missing: {missing})"
        )
    classes = ([SILENCE] if silence_percentage > 0 else []) + ([UNKNOWN] if unknown_percentage > 0 else [])
    classes += words
    index = {w: i for i, w in enumerate(classes)}
    rng = np.random.default_rng(seed)
    splits: dict[str, SpeechSplit] = {}
    for split in SPLITS:
        wanted: list[str] = []
        unknown: list[str] = []
        for rel in sorted(clips):
            if lists:
                s = next((k for k, v in lists.items() if rel in v), "train")
            else:
                s = which_set(rel, validation_percentage, testing_percentage)
            if s != split:
                continue
            (wanted if rel.split("/", 1)[0] in index else unknown).append(rel)
        files = list(wanted)
        if UNKNOWN in index and unknown:
            n_unknown = min(len(unknown), int(np.ceil(len(wanted) * unknown_percentage / 100)))
            files += [unknown[i] for i in sorted(rng.choice(len(unknown), n_unknown, replace=False))]
        n_silence = int(np.ceil(len(wanted) * silence_percentage / 100)) if SILENCE in index else 0
        audio = np.zeros((len(files) + n_silence, clip_samples), np.int16)
        for i, rel in enumerate(files):
            audio[i] = clips[rel]
        labels = [index.get(rel.split("/", 1)[0], index.get(UNKNOWN, -1)) for rel in files]
        labels += [index.get(SILENCE, -1)] * n_silence
        splits[split] = SpeechSplit(audio, np.asarray(labels, np.int64), files + [""] * n_silence)
    return SpeechCommands(classes, splits["train"], splits["validation"], splits["test"], list(background))


# ---- augmentation ----


def white_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` samples of Gaussian white noise with unit RMS (float32)."""
    return rng.standard_normal(n).astype(np.float32)


def pink_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` samples of pink (1/f power) noise with unit RMS (float32): white noise shaped in the frequency
    domain by 1/sqrt(f), the DC bin removed."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spectrum), dtype=np.float64)
    f[0] = 1.0
    spectrum /= np.sqrt(f)
    spectrum[0] = 0.0
    x = np.fft.irfft(spectrum, n)
    return (x / max(float(np.sqrt(np.mean(x * x))), 1e-12)).astype(np.float32)


@dataclass(frozen=True)
class Augmentation:
    """TensorFlow-style augmentation settings: shift by up to ``time_shift_ms`` either way (zero fill),
    mix noise with probability ``noise_probability`` at an RMS drawn uniformly in 0..``noise_volume``
    (relative to int16 full scale; silence clips always get noise), scale by a gain drawn in ``gain_db``."""

    time_shift_ms: float = 100.0
    noise_probability: float = 0.8
    noise_volume: float = 0.1
    gain_db: tuple[float, float] = (-6.0, 6.0)


def augment(
    audio: np.ndarray,
    labels: np.ndarray,
    rng: np.random.Generator,
    settings: Augmentation = Augmentation(),
    *,
    background: Iterable[np.ndarray] = (),
    silence_label: int | None = 0,
    sample_rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """An augmented copy (int16, same shape) of the clips ``audio`` [n, samples]; ``labels`` tells which are
    silence. Noise comes from a random window of a ``background`` recording when given, else from white or
    pink noise made here. The result depends only on the inputs and the state of ``rng``."""
    audio = np.asarray(audio)
    if audio.ndim != 2 or audio.dtype != np.int16:
        raise InvalidArgumentError(
            f"augment: audio must be int16 [n, samples], got {audio.dtype} {audio.shape}"
        )
    n, length = audio.shape
    noises = [np.asarray(b, np.float32) / 32768.0 for b in background if len(b) >= length]
    shift_max = int(settings.time_shift_ms * sample_rate / 1000)
    out = np.empty((n, length), np.float32)
    for i in range(n):
        x = audio[i].astype(np.float32) / 32768.0
        shift = int(rng.integers(-shift_max, shift_max + 1)) if shift_max > 0 else 0
        shifted = np.zeros_like(x)
        if shift >= 0:
            shifted[shift:] = x[: length - shift]
        else:
            shifted[:shift] = x[-shift:]
        gain = 10.0 ** (rng.uniform(*settings.gain_db) / 20.0)
        y = shifted * gain
        is_silence = silence_label is not None and int(labels[i]) == silence_label
        if is_silence or rng.random() < settings.noise_probability:
            if noises:
                b = noises[int(rng.integers(len(noises)))]
                start = int(rng.integers(0, len(b) - length + 1))
                noise = b[start : start + length]
                noise = noise / max(float(np.sqrt(np.mean(noise * noise))), 1e-12)
            else:
                noise = white_noise(rng, length) if rng.random() < 0.5 else pink_noise(rng, length)
            y = y + noise * rng.uniform(0.0, settings.noise_volume)
        out[i] = y
    return np.clip(np.round(out * 32768.0), -32768, 32767).astype(np.int16)


__all__ = [
    "SPOKEN_WORDS",
    "SPOKEN_WORDS_ARCHIVE",
    "SILENCE",
    "UNKNOWN",
    "Augmentation",
    "SpeechCommands",
    "SpeechSplit",
    "augment",
    "load",
    "pad_or_trim",
    "pink_noise",
    "read_wav",
    "which_set",
    "white_noise",
]
