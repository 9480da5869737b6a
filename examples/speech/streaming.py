"""Streaming keyword spotting: a longer recording made of several bundled SYNTHESIZED clips with gaps (and
optional noise), the fixed-point front-end and the int8 keyword model on a sliding 1 s window, posterior
smoothing with a suppression time, and the detected words with their timestamps.

    .venv/bin/python examples/speech/streaming.py --model out/kws/kws_int8.tlm --words 8 --noise 0.02
    .venv/bin/python examples/speech/streaming.py --model tests/fixtures/kws/kws_int8.tlm --words 5

1. **Recording**: ``--words`` keyword clips of the test split (held-out voices), each placed after a gap of
   ``--gap`` seconds (uniform in the range), white noise of RMS ``--noise`` (fraction of full scale) over
   everything. A word's true position is the voiced part of its clip (frames within 20 dB of the clip's peak
   frame energy).
2. **Features**: the front-end's frames are independent (no noise reduction or gain state, see
   docs/audio.md), so the stream's int8 features are computed once, frame by frame every 20 ms, exactly as a
   device would compute them while recording (``fixed_frontend.compute_int8``, bit-exact with
   ``tl_frontend_compute_int8``).
3. **Sliding window**: every ``--hop-ms`` (100 ms) the last 49 frames (1 s) go through the int8 model on
   pyruntime (the C runtime); its output is dequantized and turned into posteriors by a softmax.
4. **Smoothing** (as TensorFlow's ``RecognizeCommands``): posteriors averaged over the windows of the last
   ``--average-ms``; a keyword (not ``_silence_``/``_unknown_``) is reported when its average is the top one,
   reaches ``--threshold`` and at least ``--suppression-ms`` have passed since the last report (a refractory
   time: one word, one report).
5. **Scoring**: a detection matches a true word of the same name when it comes between the word's start and
   ``--tolerance-ms`` after its end, each true word at most once; the rest are false alarms.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
try:
    import trainer  # noqa: F401
except ImportError:  # a source checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))
from trainer.audio import fixed_frontend as ff  # noqa: E402
from trainer.datasets import speech_commands as sc  # noqa: E402
from trainer.errors import InvalidArgumentError  # noqa: E402
from trainer.tlm import read_model  # noqa: E402

RATE = 16000
KEYWORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")  # examples/speech/kws.py
CLASSES = ["_silence_", "_unknown_", *KEYWORDS]
FEATURE_OFFSET, FEATURE_SCALE = 4096, 1.0 / 4096  # kws.py's model input: (q - 4096) / 4096
WINDOW_FRAMES = 49  # one second of 20 ms frames
FRAME_MS = 20


@dataclass(frozen=True)
class Word:
    """A word in the recording: its class name and its voiced span in seconds."""

    word: str
    start: float
    end: float


@dataclass(frozen=True)
class Detection:
    """A reported keyword: the time (end of the window that triggered it, seconds) and its average score."""

    word: str
    time: float
    score: float


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="out/kws/kws_int8.tlm", help="int8 model made by kws.py")
    p.add_argument("--words", type=int, default=8, help="keyword clips in the recording (default 8)")
    p.add_argument("--gap", default="0.3,1.0", help="seconds between clips, min,max (default 0.3,1.0)")
    p.add_argument("--noise", type=float, default=0.0, help="white noise RMS, fraction of full scale")
    p.add_argument("--hop-ms", type=int, default=100, help="window hop (default 100 ms)")
    p.add_argument("--average-ms", type=int, default=500, help="posterior averaging (default 500 ms)")
    p.add_argument("--threshold", type=float, default=0.5, help="average posterior to report (default 0.5)")
    p.add_argument("--suppression-ms", type=int, default=1000, help="refractory time (default 1000 ms)")
    p.add_argument("--tolerance-ms", type=int, default=1200, help="a match's lateness after the word's end")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--wav", default="", help="also write the recording as a .wav file")
    return p.parse_args(argv)


def voiced_span(clip: np.ndarray) -> tuple[int, int]:
    """First and last sample of the frames whose energy is above 1/100 of the loudest frame's (20 dB)."""
    frames = clip[: len(clip) // 320 * 320].astype(np.float64).reshape(-1, 320)
    energy = (frames * frames).mean(axis=1)
    loud = np.flatnonzero(energy >= 0.01 * energy.max()) if energy.max() > 0 else np.array([0])
    return int(loud[0]) * 320, int(loud[-1] + 1) * 320


def make_recording(
    n_words: int,
    gap: tuple[float, float],
    noise: float,
    seed: int,
    picks: Sequence[int] | None = None,
    align: int = 1,
) -> tuple[np.ndarray, list[Word]]:
    """int16 audio of ``n_words`` keyword clips of the bundled test split (``picks``: their indexes in
    :func:`keyword_clips`, else drawn with ``seed``) with gaps and noise, and the true word spans. Gaps are
    whole multiples of ``align`` samples (1600 with a 100 ms hop: every clip then fills one window
    exactly)."""
    rng = np.random.default_rng(seed)
    clips, labels = keyword_clips()
    if picks is None:
        picks = rng.choice(len(clips), size=n_words, replace=False).tolist()
    pieces: list[np.ndarray] = []
    truth: list[Word] = []
    at = 0
    for i in picks:
        silence = int(rng.uniform(*gap) * RATE) // align * align
        pieces.append(np.zeros(silence, np.float32))
        at += silence
        lo, hi = voiced_span(clips[i])
        truth.append(Word(CLASSES[int(labels[i])], (at + lo) / RATE, (at + hi) / RATE))
        pieces.append(clips[i].astype(np.float32))
        at += len(clips[i])
    pieces.append(np.zeros(int(gap[1] * RATE), np.float32))
    audio = np.concatenate(pieces)
    if noise > 0:
        audio += sc.white_noise(rng, len(audio)) * np.float32(noise * 32767)
    return np.clip(np.rint(audio), -32768, 32767).astype(np.int16), truth


_CLIPS: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def keyword_clips() -> tuple[np.ndarray, np.ndarray]:
    """The keyword clips (no silence, no unknown) of the bundled set's test split and their labels in
    CLASSES."""
    if "test" not in _CLIPS:
        data = sc.load(wanted_words=list(KEYWORDS), silence_percentage=0, unknown_percentage=0, seed=0)
        to_model = np.array([CLASSES.index(c) for c in data.classes])  # no _silence_/_unknown_ classes here
        _CLIPS["test"] = (data.test.audio, to_model[data.test.labels])
    return _CLIPS["test"]


class Spotter:
    """The int8 model on pyruntime over sliding windows of the stream's int8 features."""

    def __init__(self, model: bytes) -> None:
        import pyruntime

        info = read_model(model)
        q_in = info.tensors[info.inputs[0]].quantization
        q_out = info.tensors[info.outputs[0]].quantization
        if info.tensors[info.inputs[0]].dtype != np.int8 or q_in is None or q_out is None:
            raise InvalidArgumentError("streaming: the model must have int8 input and output (kws_int8.tlm)")
        self.params = ff.int8_params(
            float(q_in.scale[0]), int(q_in.zero_point[0]), FEATURE_OFFSET, FEATURE_SCALE
        )
        self.out_scale, self.out_zp = float(q_out.scale[0]), int(q_out.zero_point[0])
        self.interp = pyruntime.Interpreter(model_content=model)

    def features(self, audio: np.ndarray) -> np.ndarray:
        """int8 [frames, 40] of the whole stream (frame f covers samples 320 f .. 320 f + 480)."""
        return ff.compute_int8(audio, self.params)

    def posteriors(self, feats: np.ndarray, hop_frames: int) -> tuple[np.ndarray, np.ndarray]:
        """(end time in seconds, softmax posteriors [classes]) of every window of 49 frames, every
        ``hop_frames`` frames."""
        times, probs = [], []
        for last in range(WINDOW_FRAMES, len(feats) + 1, hop_frames):
            window = feats[last - WINDOW_FRAMES : last][None, :, :, None]
            logits = (
                self.interp.run(window)[0].reshape(-1).astype(np.float32) - self.out_zp
            ) * self.out_scale
            e = np.exp(logits - logits.max())
            probs.append(e / e.sum())
            times.append(((last - 1) * FRAME_MS * 16 + 480) / RATE)  # the window's last sample
        return np.asarray(times), np.asarray(probs)


def smooth_and_detect(
    times: np.ndarray, probs: np.ndarray, average_ms: int, threshold: float, suppression_ms: int
) -> list[Detection]:
    """TensorFlow's RecognizeCommands rule: average the posteriors of the last ``average_ms``; report the top
    class when it is a keyword, its average reaches ``threshold`` and ``suppression_ms`` have passed since
    the previous report."""
    out: list[Detection] = []
    ms = np.rint(np.asarray(times) * 1000).astype(np.int64)  # whole milliseconds: no rounding surprises
    last_report = None
    for t, now in zip(times, ms, strict=True):
        avg = probs[(ms > now - average_ms) & (ms <= now)].mean(
            axis=0
        )  # windows ending in the last average_ms
        top = int(avg.argmax())
        if (
            top < 2
            or avg[top] < threshold
            or (last_report is not None and now - last_report < suppression_ms)
        ):
            continue
        out.append(Detection(CLASSES[top], float(t), float(avg[top])))
        last_report = now
    return out


def score(detections: list[Detection], truth: list[Word], tolerance_ms: int) -> dict[str, Any]:
    """Matches (detection, word), misses and false alarms (see the module docstring)."""
    used: set[int] = set()
    matched, false_alarms = [], []
    for d in detections:
        hit = next(
            (
                k
                for k, w in enumerate(truth)
                if k not in used and w.word == d.word and w.start <= d.time <= w.end + tolerance_ms / 1000
            ),
            None,
        )
        if hit is None:
            false_alarms.append(d)
        else:
            used.add(hit)
            matched.append((d, truth[hit]))
    misses = [w for k, w in enumerate(truth) if k not in used]
    return {"matched": matched, "misses": misses, "false_alarms": false_alarms}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    lo, hi = (float(v) for v in args.gap.split(","))
    model = Path(args.model)
    if not model.is_file():
        raise SystemExit(f"streaming: no model at {model}; make one with examples/speech/kws.py")
    audio, truth = make_recording(args.words, (lo, hi), args.noise, args.seed)
    if args.wav:
        import wave

        with wave.open(args.wav, "wb") as w:
            w.setnchannels(1), w.setsampwidth(2), w.setframerate(RATE)
            w.writeframes(audio.astype("<i2").tobytes())
    spotter = Spotter(model.read_bytes())
    times, probs = spotter.posteriors(spotter.features(audio), args.hop_ms // FRAME_MS)
    detections = smooth_and_detect(times, probs, args.average_ms, args.threshold, args.suppression_ms)
    result = score(detections, truth, args.tolerance_ms)
    print(f"recording: {len(audio) / RATE:.1f} s, {len(truth)} words (bundled SYNTHESIZED test clips), "
          f"noise RMS {args.noise:g} of full scale; {len(times)} windows")  # fmt: skip
    print("words:     " + ", ".join(f"{w.word} {w.start:.2f}-{w.end:.2f} s" for w in truth))
    for d in detections:
        print(f"detected {d.word:>5s} at {d.time:6.2f} s (score {d.score:.2f})")
    print(
        f"{len(result['matched'])}/{len(truth)} words detected, {len(result['misses'])} missed, "
        f"{len(result['false_alarms'])} false alarms (synthesized speech)"
    )
    return {"truth": truth, "detections": detections, **result}


if __name__ == "__main__":
    main()
