"""The per-layer error report of an int8 model against its float original, both run on the C runtime
(``tensorlet compare``): every tensor the two share by name, with max abs error, SQNR and, for class vectors
(``[batch, classes]``), argmax agreement; a summary line ends the table.

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
    argmax_agreement: float  # rows whose argmax agrees; nan unless a class vector [batch, classes]
    is_output: bool = False  # a graph output of the float model


def _runtime_values(model: bytes, samples) -> tuple[list[int], list[list[np.ndarray]]]:
    import pyruntime

    full, outs = with_all_outputs(model)
    interp = pyruntime.Interpreter(model_content=full)
    interp.allocate_tensors()
    return outs, [interp.run(*sample) for sample in samples]


def compare_models(float_model: bytes, int8_model: bytes, samples) -> list[LayerReport]:
    """Run both models on the C runtime (pyruntime) for every sample (one array per float-model input;
    int8-model inputs get them quantized when the int8 model takes int8) and report each tensor they share
    by name, worst SQNR first. A tensor named alike with another shape in the two models is a ValueError (the
    two files are not one model's float and int8 versions)."""
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
        if tuple(qt.shape) != tuple(fm.tensors[i].shape):
            fshape, qshape = list(fm.tensors[i].shape), list(qt.shape)
            raise ValueError(
                f"tensor {name!r} is {fshape} in the float model and {qshape} in the int8 model: are they "
                "two versions of the same model?"
            )
        f = np.stack([v[k] for v in f_vals]).astype(np.float64)
        q = np.stack([v[qk] for v in q_vals])
        q = dequantize(q, *_tq(qt)).astype(np.float64) if qt.dtype == np.int8 else q.astype(np.float64)
        err = f - q
        noise, signal = float(np.sum(err**2)), float(np.sum(f**2))
        sqnr = math.inf if noise == 0 else (10 * math.log10(signal / noise) if signal > 0 else -math.inf)
        shape = tuple(fm.tensors[i].shape)
        classes = len(shape) in (1, 2) and shape[-1] > 1  # a class vector (a feature map's argmax is noise)
        agree = float(np.mean(f.argmax(-1) == q.argmax(-1))) if classes else math.nan
        max_err = float(np.max(np.abs(err)))
        reports.append(LayerReport(name, shape, max_err, sqnr, agree, is_output=i in fm.outputs))
    return sorted(reports, key=lambda r: r.sqnr_db)


def format_report(reports: list[LayerReport]) -> str:
    """A fixed-width table of :func:`compare_models` results."""
    lines = [f"{'tensor':40s} {'shape':>18s} {'max|err|':>10s} {'SQNR dB':>8s} {'argmax':>7s}"]
    for r in reports:
        agree = "-" if math.isnan(r.argmax_agreement) else f"{r.argmax_agreement:.3f}"
        lines.append(
            f"{r.name[:40]:40s} {str(list(r.shape)):>18s} {r.max_abs_error:10.4g} {r.sqnr_db:8.2f} "
            f"{agree:>7s}"
        )
    return "\n".join([*lines, summary_line(reports)])


def summary_line(reports: list[LayerReport]) -> str:
    """One line: how many tensors, the worst SQNR and, per graph output, its SQNR and argmax agreement."""
    if not reports:
        return "summary: the models share no tensor by name"
    worst = min(reports, key=lambda r: r.sqnr_db)
    noun = "tensor" if len(reports) == 1 else "tensors"
    parts = [f"summary: {len(reports)} {noun} compared, worst SQNR {worst.sqnr_db:.2f} dB ({worst.name})"]
    for r in reports:
        if r.is_output:
            agree = "" if math.isnan(r.argmax_agreement) else f", argmax agreement {r.argmax_agreement:.3f}"
            parts.append(f"output {r.name}: SQNR {r.sqnr_db:.2f} dB{agree}")
    return "; ".join(parts)
