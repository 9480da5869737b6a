"""examples/speech/streaming.py: the smoothing and scoring rules on hand-made posteriors, and the whole
stream (bundled SYNTHESIZED clips with gaps and a little noise -> fixed-point front-end -> int8 keyword model
on pyruntime over a sliding window -> smoothing) on a short generated recording, whose detections must be
exactly its words, each at its known position."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "kws" / "kws_int8.tlm"


@pytest.fixture(scope="module")
def st():
    sys.path.insert(0, str(ROOT / "examples" / "speech"))
    try:
        import streaming
    finally:
        sys.path.pop(0)
    return streaming


def test_smoothing_suppression_and_scoring(st) -> None:
    times = np.round(np.arange(1, 31) * 0.1, 3)  # a window every 100 ms, 0.1 .. 3.0 s
    probs = np.full((30, 12), 0.01)
    probs[:, 0] = 0.89  # silence
    yes, stop = st.CLASSES.index("yes"), st.CLASSES.index("stop")
    probs[5:12, 0], probs[5:12, yes] = 0.09, 0.81  # "yes" in the windows ending 0.6 .. 1.2 s
    probs[20:23, 0], probs[20:23, stop] = 0.19, 0.71  # "stop" 2.1 .. 2.3 s, weaker
    probs[25:27, 0], probs[25:27, 1] = 0.09, 0.81  # _unknown_: never reported
    got = st.smooth_and_detect(times, probs, average_ms=300, threshold=0.5, suppression_ms=1000)
    # 3-window averages: "yes" tops from 0.7 s ((0.81 + 0.81 + 0.01) / 3 = 0.543); suppressed until 1.7 s,
    # gone by then; "stop" averages 0.477 at 2.2 s (below the threshold) and 0.71 at 2.3 s
    assert [(d.word, d.time) for d in got] == [("yes", 0.7), ("stop", 2.3)]
    assert got[0].score == pytest.approx((0.81 * 2 + 0.01) / 3) and got[1].score == pytest.approx(0.71)
    again = st.smooth_and_detect(times, probs, average_ms=300, threshold=0.5, suppression_ms=100)
    assert [d.time for d in again if d.word == "yes"] == [0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3]  # no refractory
    truth = [st.Word("yes", 0.4, 0.6), st.Word("stop", 1.9, 2.1), st.Word("go", 2.5, 2.7)]
    r = st.score(got + [st.Detection("yes", 2.8, 0.9)], truth, tolerance_ms=500)
    assert [(d.word, w.start) for d, w in r["matched"]] == [("yes", 0.4), ("stop", 1.9)]
    assert [w.word for w in r["misses"]] == ["go"] and [d.time for d in r["false_alarms"]] == [2.8]


def test_recording_layout(st) -> None:
    audio, truth = st.make_recording(3, (0.5, 0.5), 0.0, seed=1)
    assert audio.dtype == np.int16 and len(audio) == 16000 * (3 * 1.5 + 0.5)
    for k, w in enumerate(truth):  # each word inside its clip, after its 0.5 s gap
        assert 0.5 + 1.5 * k <= w.start < w.end <= 1.5 * (k + 1)
        assert np.abs(audio[int(w.start * 16000) : int(w.end * 16000)]).max() > 1000
    assert not audio[:8000].any()


def test_stream_windows_and_detections(st) -> None:
    """Five clips that the fixture model gets right on their own (top posterior >= 0.8, five words), gaps
    of whole 100 ms hops and no noise: the window that covers a clip exactly gives the clip's own int8
    output byte for byte (frames, window times and features line up), and the smoothed detections are
    those words at their positions, at least four of five, with no false alarm (the model is less sure
    of words away from where its training clips had them)."""
    ensure_pyruntime()
    spotter = st.Spotter(FIXTURE.read_bytes())
    clips, labels = st.keyword_clips()
    alone = []
    for x in st.ff.compute_int8(clips[:80], spotter.params):  # clip by clip
        alone.append(spotter.interp.run(x[None, :, :, None])[0].reshape(-1))
    picks: list[int] = []
    for i, out in enumerate(alone):
        logits = (out.astype(np.float32) - spotter.out_zp) * spotter.out_scale
        p = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
        if int(p.argmax()) == labels[i] and p.max() >= 0.8 and labels[i] not in labels[picks]:
            picks.append(i)
    assert len(picks) >= 5, picks
    audio, truth = st.make_recording(5, (0.4, 0.8), 0.0, seed=0, picks=picks[:5], align=1600)
    feats = spotter.features(audio)
    times, probs = spotter.posteriors(feats, 5)
    for k, i in enumerate(picks[:5]):
        start = int(round(truth[k].start * 16000 - st.voiced_span(clips[i])[0]))  # the clip's first sample
        assert start % 1600 == 0
        last = start // 320 + 49  # frames start/320 .. start/320 + 48: the clip, exactly
        w = int(np.flatnonzero(np.isclose(times, ((last - 1) * 320 + 480) / 16000))[0])
        window = feats[last - 49 : last][None, :, :, None]
        assert np.array_equal(spotter.interp.run(window)[0].reshape(-1), alone[i])
        assert int(probs[w].argmax()) == labels[i]
    found = st.smooth_and_detect(times, probs, average_ms=500, threshold=0.5, suppression_ms=1000)
    r = st.score(found, truth, tolerance_ms=1200)
    assert len(r["matched"]) >= 4 and not r["false_alarms"], (found, truth)
