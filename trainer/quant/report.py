"""The per-layer error report of an int8 model against its float original, both run on the C runtime
(``tensorlet compare``): every tensor the two share by name, with max abs error, SQNR and argmax agreement.

The only quantization module that needs the C runtime (``pyruntime``); it is imported when a report runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from trainer.quant.kernels_int8 import dequantize, quantize
from trainer.quant.rewrite import tensor_qparams as _tq
from trainer.quant.rewrite import with_all_outputs
from trainer.tlm import read_model


@dataclass
class LayerReport:
    """One tensor present in both models (matched by name): errors of the dequantized int8 values."""

    name: str
    shape: tuple[int, ...]
    max_abs_error: float
    sqnr_db: float  # 10 log10(sum f^2 / sum (f - q)^2); inf when identical
    argmax_agreement: float  # fraction of rows (last axis) whose argmax agrees; nan for scalars


def _runtime_values(model: bytes, samples) -> tuple[list[int], list[list[np.ndarray]]]:
    import pyruntime

    full, outs = with_all_outputs(model)
    interp = pyruntime.Interpreter(model_content=full)
    interp.allocate_tensors()
    return outs, [interp.run(*sample) for sample in samples]


def compare_models(float_model: bytes, int8_model: bytes, samples) -> list[LayerReport]:
    """Run both models on the C runtime (pyruntime) for every sample (one array per float-model input;
    int8-model inputs get them quantized when the int8 model takes int8) and report each tensor they share
    by name, worst SQNR first."""
    fm, qm = read_model(float_model), read_model(int8_model)
    samples = [list(s) for s in samples]
    q_samples = []
    for s in samples:
        row = []
        for x, i in zip(s, qm.inputs, strict=True):
            t = qm.tensors[i]
            row.append(quantize(x, *_tq(t)) if t.dtype == np.int8 else np.asarray(x, np.float32))
        q_samples.append(row)
    f_outs, f_vals = _runtime_values(float_model, samples)
    q_outs, q_vals = _runtime_values(int8_model, q_samples)
    q_by_name = {qm.tensors[i].name: (k, qm.tensors[i]) for k, i in enumerate(q_outs)}
    reports = []
    for k, i in enumerate(f_outs):
        name = fm.tensors[i].name
        if not name or name not in q_by_name or i in fm.inputs:
            continue
        qk, qt = q_by_name[name]
        f = np.stack([v[k] for v in f_vals]).astype(np.float64)
        q = np.stack([v[qk] for v in q_vals])
        q = dequantize(q, *_tq(qt)).astype(np.float64) if qt.dtype == np.int8 else q.astype(np.float64)
        err = f - q
        noise, signal = float(np.sum(err**2)), float(np.sum(f**2))
        sqnr = math.inf if noise == 0 else (10 * math.log10(signal / noise) if signal > 0 else -math.inf)
        agree = float(np.mean(f.argmax(-1) == q.argmax(-1))) if f.ndim >= 2 and f.shape[-1] > 1 else math.nan
        reports.append(LayerReport(name, tuple(fm.tensors[i].shape), float(np.max(np.abs(err))), sqnr, agree))
    return sorted(reports, key=lambda r: r.sqnr_db)


def format_report(reports: list[LayerReport]) -> str:
    """A fixed-width table of :func:`compare_models` results."""
    lines = [f"{'tensor':40s} {'shape':>18s} {'max|err|':>10s} {'SQNR dB':>8s} {'argmax':>7s}"]
    for r in reports:
        lines.append(
            f"{r.name[:40]:40s} {str(list(r.shape)):>18s} {r.max_abs_error:10.4g} {r.sqnr_db:8.2f} "
            f"{r.argmax_agreement:7.3f}"
        )
    return "\n".join(lines)
