"""The ``tensorlet`` command: look into, run and time ``.tlm`` models.

    tensorlet inspect model.tlm [--dot graph.dot] [--json]   ops, tensors, quantization, memory figures
    tensorlet run model.tlm --input x.npy [--output y.npy] [--reference]   (any batch on the C runtime)
    tensorlet bench model.tlm [--runs 200] [--warmup 20] [--threads T] [--kernels K] [--profile] [--json]
    tensorlet compare float.tlm int8.tlm --data x.npy [--json]   per-layer error of an int8 model
    tensorlet ops model.tlm [--header ops.h]          the ops a model uses (header: selective C builds)
    tensorlet export-c model.tlm [--name N] [--out-dir D] [--samples K]   N.c/N.h: the model as an aligned
                                                      const array (+ fw_data.c/.h: K test inputs, firmware)

``run`` and ``bench`` use the C runtime through pyruntime (``run --reference`` uses the numpy reference
interpreter instead). Exit codes, shared with the C tools (tl_run, tl_bench, classify): 0 success, 1 an error
(a model, data, runtime or environment error; one line on stderr saying which file and why), 2 a usage error,
130 interrupted (Ctrl-C), 141 (128 + SIGPIPE) when the reader of the output went away (``tensorlet inspect m |
head``). Every failure is one line (``TENSORLET_TRACEBACK=1`` shows the traceback of an unexpected one). Files
written (``--output``, ``--dot``, ``--header``, ``--out-dir``) get their missing parent directories created.
Every file is untrusted input: ``.npy`` files are parsed without pickle and their header checked against
their size; names and metadata from a model are printed with non-printable characters escaped.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import re
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from trainer import op_profile

EXIT_ERROR = 1
EXIT_USAGE = 2  # argparse's
EXIT_INTERRUPTED = 128 + 2  # what a shell reports for a tool killed by SIGINT
EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a tool killed by SIGPIPE
KERNEL_NAMES = ("auto", "reference", "portable", "neon", "avx2", "avx512")  # tl_kernels_from_name


class CliError(Exception):
    """A user-facing error: printed as ``tensorlet: error: ...`` with exit code 1."""


def _read_bytes(path: str, what: str = "model") -> bytes:
    p = Path(path)
    if not p.exists():
        raise CliError(f"{what} file {path!r} does not exist")
    if not p.is_file():
        raise CliError(f"{what} path {path!r} is not a file")
    try:
        data = p.read_bytes()
    except OSError as e:
        raise CliError(f"cannot read {what} file {path!r}: {e.strerror}") from None
    if not data:
        raise CliError(f"{what} file {path!r} is an empty file")
    return data


def _plural(n: int, word: str) -> str:
    """``1 input``, ``2 inputs``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _output_path(path: str) -> Path:
    """A file the CLI writes: its missing parent directories are created (the same for every option)."""
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CliError(f"cannot create the directory of {path!r}: {e.strerror}") from None
    return p


def _verify_with_runtime(data: bytes, path: str) -> Any:
    """Load the model with the C runtime (which verifies it completely); None when pyruntime is missing."""
    try:
        import pyruntime
    except ImportError:
        return None
    try:
        return pyruntime.Interpreter(model_content=data)
    except pyruntime.TensorletRuntimeError as e:
        raise CliError(f"{path!r} is not a valid .tlm model: {e}") from None


def _load_info(path: str) -> tuple[bytes, Any]:
    from trainer.tlm import read_model

    data = _read_bytes(path)
    if len(data) < 8 or data[4:8] != b"TLM1":
        raise CliError(f"{path!r} is not a .tlm model (no 'TLM1' file identifier)")
    _verify_with_runtime(data, path)
    try:
        return data, read_model(data)
    except Exception as e:  # the Python reader trusts the structure; a corrupt file fails anywhere
        raise CliError(f"{path!r} is not a valid .tlm model: {e}") from None


def _require_pyruntime() -> Any:
    try:
        import pyruntime
    except ImportError:
        raise CliError(
            "pyruntime (the C runtime for Python) is not installed: run `pip install -e .` with a C "
            "compiler, or use `tensorlet run --reference`"
        ) from None
    return pyruntime


# ---- inspect ----------------------------------------------------------------------------------------
def printable(text: object) -> str:
    """``text`` with every non-printable character (terminal escapes, newlines, NUL) written as ``\\xNN`` /
    ``\\uNNNN``: names and metadata come from the model file and must not drive the terminal."""
    s = str(text)
    if s.isprintable():
        return s
    return "".join(
        c if c.isprintable() else (f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}") for c in s
    )


def _fmt_shape(shape: Sequence[int]) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _fmt_quant(q: Any) -> str:
    if q is None or not q.scale:
        return ""
    if len(q.scale) == 1:
        return f"scale={q.scale[0]:.6g} zero_point={q.zero_point[0]}"
    return f"per-axis {q.axis}: {len(q.scale)} scales"


def _fmt_options(options: dict[str, Any]) -> str:
    parts = []
    for k, v in options.items():
        if v is None or (k == "activation" and v == "NONE"):
            continue
        parts.append(f"{k}={printable(v)}")
    return " ".join(parts)


def _kind(info: Any, t: Any) -> str:
    if t.index in info.inputs:
        return "input"
    if t.index in info.outputs:
        return "output"
    return "const" if t.buffer else "activation"


def inspect_model(info: Any, out: Any = None) -> None:
    from trainer.tlm import plan_model

    out = sys.stdout if out is None else out
    const_bytes = sum(t.nbytes for t in info.tensors if t.buffer)
    try:
        planned = plan_model(info).arena_bytes
    except ValueError as e:  # more time-overlapping tensors than the runtime's planner bound allows
        raise CliError(f"cannot plan the arena: {e}") from None
    md = info.metadata
    w = out.write
    w(f"model bytes      {info.size_bytes:,}\n")
    w(f"schema version   {info.version}\n")
    w(f"producer         {printable(md.producer)}\n")
    if md.description:
        w(f"description      {printable(md.description)}\n")
    w(f"constant bytes   {const_bytes:,}\n")
    w(f"arena bytes      {md.arena_bytes:,} (metadata); {planned:,} (planned now)\n")
    for key, value in md.entries.items():
        w(f"metadata         {printable(key)} = {printable(value)}\n")
    for label, indices in (("inputs", info.inputs), ("outputs", info.outputs)):
        w(f"\n{label}:\n")
        for i in indices:
            t = info.tensors[i]
            w(f"  {i:4d}  {printable(t.name):40s} {t.dtype_name:8s} {_fmt_shape(t.shape)}\n")
    w(f"\noperators ({len(info.ops)}):\n")
    for op in info.ops:
        ins = ", ".join(str(i) for i in op.inputs)
        outs = ", ".join(str(i) for i in op.outputs)
        w(f"  {op.index:4d}  {op.opcode:16s} ({ins}) -> ({outs})  {_fmt_options(op.options)}\n")
    w(f"\ntensors ({len(info.tensors)}):\n")
    w(f"  {'idx':>4s}  {'name':40s} {'dtype':8s} {'shape':18s} {'kind':10s} {'bytes':>10s}  quantization\n")
    for t in info.tensors:
        w(
            f"  {t.index:4d}  {printable(t.name):40s} {t.dtype_name:8s} {_fmt_shape(t.shape):18s} "
            f"{_kind(info, t):10s} {t.nbytes:10,d}  {_fmt_quant(t.quantization)}\n"
        )


def _dot_label(text: str) -> str:
    return printable(text).replace("\\", "\\\\").replace('"', '\\"')


def to_dot(info: Any) -> str:
    """The model as a Graphviz DOT graph: ops are boxes, graph inputs/outputs ellipses; edges carry shapes."""
    lines = ["digraph tlm {", "  rankdir=TB;", '  node [fontname="Helvetica", fontsize=10];']
    producer: dict[int, str] = {}
    for i in info.inputs:
        t = info.tensors[i]
        lines.append(f'  t{i} [shape=ellipse, label="{_dot_label(t.name)}\\n{_fmt_shape(t.shape)}"];')
        producer[i] = f"t{i}"
    for op in info.ops:
        consts = [info.tensors[i] for i in op.inputs if info.tensors[i].buffer]
        extra = "".join(f"\\n{_dot_label(c.name)} {_fmt_shape(c.shape)}" for c in consts)
        opts = _dot_label(_fmt_options(op.options))
        lines.append(f'  op{op.index} [shape=box, label="{op.index}: {op.opcode}\\n{opts}{extra}"];')
        for i in op.inputs:
            if i in producer:
                shape = _fmt_shape(info.tensors[i].shape)
                lines.append(f'  {producer[i]} -> op{op.index} [label="{shape}"];')
        for i in op.outputs:
            producer[i] = f"op{op.index}"
    for i in info.outputs:
        t = info.tensors[i]
        lines.append(f'  out{i} [shape=ellipse, label="{_dot_label(t.name)}\\n{_fmt_shape(t.shape)}"];')
        if i in producer:
            lines.append(f"  {producer[i]} -> out{i};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def runtime_figures(data: bytes, max_work: int) -> dict[str, Any] | None:
    """What the C runtime's prepare says of the model (default kernels): its arena, the memory it needs in
    all (``tl_interpreter_required_memory_bytes``: arena, tables and per-op memory such as the optimized
    kernels' packed weights, what a device needs besides the model bytes) and its work against the budget;
    ``{"refused": message}`` when prepare refuses it; None without pyruntime."""
    try:
        import pyruntime
    except ImportError:
        return None
    interp = pyruntime.Interpreter(model_content=data, max_work=max_work)
    try:
        interp.allocate_tensors()
    except pyruntime.TensorletRuntimeError as e:
        return {"refused": printable(e)}
    figures = {
        "runtime_arena_bytes": interp.arena_bytes,
        "required_memory_bytes": interp.required_memory_bytes,
        "work": interp.work,
    }
    interp.close()
    return figures


def _runtime_lines(figures: dict[str, Any] | None, max_work: int) -> list[str]:
    if figures is None:
        return []
    if "refused" in figures:
        return [f"work             refused by prepare: {figures['refused']}"]
    budget = f"{max_work:,}" if max_work else "the default"
    return [
        f"runtime arena    {figures['runtime_arena_bytes']:,} bytes (C runtime, default kernels)",
        f"required memory  {figures['required_memory_bytes']:,} bytes (arena + tables + per-op memory such "
        "as packed weights; tl_interpreter_required_memory_bytes)",
        f"work             {figures['work']:,} units of about 1 ns (budget {budget})",
    ]


def inspect_json(info: Any, figures: dict[str, Any] | None) -> dict[str, Any]:
    """``inspect --json``: the model's figures, inputs, outputs, operators and tensors."""
    from trainer.tlm import plan_model

    md = info.metadata

    def tensor(t: Any) -> dict[str, Any]:
        q = t.quantization
        return {
            "index": t.index,
            "name": t.name,
            "dtype": t.dtype_name,
            "shape": list(t.shape),
            "kind": _kind(info, t),
            "bytes": t.nbytes,
            "quantization": None
            if q is None or not q.scale
            else {"scales": [float(v) for v in q.scale], "zero_points": [int(v) for v in q.zero_point],
                  "axis": q.axis},
        }  # fmt: skip

    return {
        "model_bytes": info.size_bytes,
        "schema_version": info.version,
        "producer": md.producer,
        "description": md.description,
        "constant_bytes": sum(t.nbytes for t in info.tensors if t.buffer),
        "arena_bytes_metadata": md.arena_bytes,
        "arena_bytes_planned": plan_model(info).arena_bytes,
        "runtime": figures,
        "metadata": dict(md.entries),
        "inputs": [tensor(info.tensors[i]) for i in info.inputs],
        "outputs": [tensor(info.tensors[i]) for i in info.outputs],
        "operators": [
            {
                "index": op.index,
                "opcode": op.opcode,
                "inputs": list(op.inputs),
                "outputs": list(op.outputs),
                "options": {k: v for k, v in op.options.items() if v is not None},
            }
            for op in info.ops
        ],
        "tensors": [tensor(t) for t in info.tensors],
    }


def _print_json(value: Any) -> None:
    """JSON on stdout; inf and nan (SQNR of identical tensors, argmax of feature maps) become null."""

    def clean(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {str(k): clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        if isinstance(v, np.generic):
            return clean(v.item())
        return v

    print(json.dumps(clean(value), indent=2, default=str))


def cmd_inspect(args: argparse.Namespace) -> int:
    data, info = _load_info(args.model)
    figures = runtime_figures(data, args.max_work)
    if args.dot:
        dot = _output_path(args.dot)
        try:
            dot.write_text(to_dot(info))
        except OSError as e:
            raise CliError(f"cannot write {args.dot!r}: {e.strerror}") from None
    if args.json:
        _print_json(inspect_json(info, figures))
        return 0
    inspect_model(info)
    lines = _runtime_lines(figures, args.max_work)
    if lines:
        print("\n" + "\n".join(lines))
    if args.dot:
        print(f"\nwrote {args.dot}")
    return 0


# ---- run --------------------------------------------------------------------------------------------
_NPY_MAGIC = b"\x93NUMPY"


def parse_npy(data: bytes, path: str = "<bytes>") -> np.ndarray:
    """A ``.npy`` file's array, parsed as untrusted input: no pickle, plain numeric dtypes only, and the
    header's shape times its dtype size must equal the bytes after the header. Raises ``CliError``."""
    where = f"input file {path!r} is not a valid .npy array"
    if not data.startswith(_NPY_MAGIC):
        what = "a .npz archive (zip); pass one array per .npy file" if data[:2] == b"PK" else "no .npy magic"
        raise CliError(f"{where}: {what}")
    f = io.BytesIO(data)
    version = (data[6], data[7]) if len(data) >= 8 else None
    if version not in ((1, 0), (2, 0)):
        raise CliError(f"{where}: .npy format version {version} (1.0 and 2.0 are read)")
    # numpy parses the header text with ast/tokenize: any failure in there is a bad header
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numpy's note on headers written by Python 2
            np.lib.format.read_magic(f)
            fmt = np.lib.format
            read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            shape, fortran, dtype = read(f)
    except Exception as e:
        raise CliError(f"{where}: bad header ({type(e).__name__}: {printable(e)})") from None
    if dtype.kind not in "biufc" or dtype.fields is not None or dtype.subdtype is not None:
        raise CliError(f"{where}: dtype {dtype.str!r} (only plain numeric arrays; never pickled objects)")
    count = 1
    for d in shape:
        count *= d
    header = f.tell()
    if len(data) - header != count * dtype.itemsize:
        raise CliError(
            f"{where}: its header declares {dtype.name} {_fmt_shape(shape)} "
            f"({count * dtype.itemsize} bytes), the file holds {len(data) - header} bytes of data"
        )
    array = np.frombuffer(data, dtype=dtype, count=count, offset=header)
    array = array.reshape(shape, order="F" if fortran else "C")
    return np.ascontiguousarray(array).astype(dtype.newbyteorder("="), copy=False)


def _load_npy(path: str) -> np.ndarray:
    return parse_npy(_read_bytes(path, "input"), path)


def _dtype_hint(t: Any) -> str:
    """How to make an array of the input tensor t's dtype: a cast for float inputs, the tensor's own
    quantization for int8 ones (a cast of floats to int8 would be wrong)."""
    q = t.quantization
    if np.dtype(t.dtype) == np.int8 and q is not None and len(q.scale) == 1:
        scale, zp = float(q.scale[0]), int(q.zero_point[0])
        return (
            f" (quantize floats with its scale {scale:.6g} and zero point {zp}: "
            f"np.clip(np.round(x / {scale:.6g}) + {zp}, -128, 127).astype(np.int8))"
        )
    return f" (convert with .astype(np.{np.dtype(t.dtype).name}))"


def cmd_run(args: argparse.Namespace) -> int:
    data, info = _load_info(args.model)
    arrays = [_load_npy(p) for p in args.input]
    if len(arrays) != len(info.inputs):
        raise CliError(
            f"the model has {_plural(len(info.inputs), 'input')}, got {_plural(len(arrays), '--input file')}"
        )
    batch = None  # the C runtime runs another batch (resize_tensor_input); the reference does not
    for a, i, p in zip(arrays, info.inputs, args.input, strict=True):
        t = info.tensors[i]
        other_batch = (
            not args.reference and t.shape and a.ndim == len(t.shape) and a.shape[1:] == tuple(t.shape[1:])
        )
        if a.dtype != t.dtype or (a.shape != tuple(t.shape) and not other_batch):
            same_rows = a.ndim == len(t.shape) and a.shape[1:] == tuple(t.shape[1:])
            hint = _dtype_hint(t) if a.dtype != t.dtype and same_rows else ""
            if a.dtype == t.dtype and same_rows and args.reference:
                hint = " (the reference interpreter runs the model's batch only, the C runtime any batch)"
            raise CliError(
                f"input {t.name!r} needs {t.dtype_name} {_fmt_shape(t.shape)}, {p!r} holds "
                f"{a.dtype} {_fmt_shape(a.shape)}{hint}"
            )
        if a.shape != tuple(t.shape):
            batch = a.shape[0]
    if args.reference:
        try:
            if any(t.dtype == np.int8 for t in info.tensors):
                from trainer.quantize import reference_run  # int8 ops: the runtime's integer arithmetic

                outputs = reference_run(data, *arrays)
            else:
                from trainer.lite.reference import ReferenceInterpreter

                outputs = ReferenceInterpreter(model_content=data).run(*arrays)
        except Exception as e:  # the model passed the C verifier but the reference refuses it (prepare)
            raise CliError(f"the reference interpreter failed on {args.model!r}: {printable(e)}") from None
    else:
        pyruntime = _require_pyruntime()
        try:
            interp = pyruntime.Interpreter(model_content=data, max_work=args.max_work)
            if batch is not None:  # a batch other than the model's: re-planned by the C runtime
                for d, a in zip(interp.get_input_details(), arrays, strict=True):
                    interp.resize_tensor_input(d["index"], a.shape)
            outputs = interp.run(*arrays)
        except pyruntime.TensorletRuntimeError as e:
            raise CliError(f"the C runtime failed: {e}") from None
    if args.output and len(args.output) != len(outputs):
        raise CliError(
            f"the model has {_plural(len(outputs), 'output')}, "
            f"got {_plural(len(args.output), '--output file')}"
        )
    for k, (i, y) in enumerate(zip(info.outputs, outputs, strict=True)):
        name = printable(info.tensors[i].name)
        if args.output:
            try:
                np.save(_output_path(args.output[k]), y, allow_pickle=False)
            except OSError as e:
                raise CliError(f"cannot write {args.output[k]!r}: {e.strerror}") from None
            print(f"{name}: {y.dtype} {_fmt_shape(y.shape)} -> {args.output[k]}")
        else:
            print(f"{name}: {y.dtype} {_fmt_shape(y.shape)}")
            with np.printoptions(precision=6, suppress=True, threshold=200):
                print(y)
            if y.ndim == 2:
                print(f"argmax: {y.argmax(axis=1).tolist()}")
    return 0


# ---- bench ------------------------------------------------------------------------------------------
def cmd_bench(args: argparse.Namespace) -> int:
    data, info = _load_info(args.model)
    pyruntime = _require_pyruntime()
    kernels = args.kernels or os.environ.get("TENSORLET_KERNELS") or "auto"
    interp = pyruntime.Interpreter(
        model_content=data, max_work=args.max_work, num_threads=args.threads, kernels=kernels
    )
    try:
        interp.allocate_tensors()
    except pyruntime.TensorletRuntimeError as e:
        raise CliError(f"the C runtime failed: {e}") from None
    rng = np.random.default_rng(args.seed)
    for d in interp.get_input_details():
        value = rng.standard_normal(tuple(d["shape"])).astype(d["dtype"])
        interp.set_tensor(d["index"], value)
    for _ in range(args.warmup):
        interp.invoke()
    times = np.empty(args.runs)
    for k in range(args.runs):
        t0 = time.perf_counter()
        interp.invoke()
        times[k] = (time.perf_counter() - t0) * 1e6
    profile = op_profile.summarize(interp.profile(args.runs)) if args.profile else None
    if args.json:
        _print_json(
            {
                "model": args.model,
                "model_bytes": len(data),
                "arena_bytes": interp.arena_bytes,
                "required_memory_bytes": interp.required_memory_bytes,
                "runs": args.runs,
                "warmup": args.warmup,
                "threads": interp.num_threads,
                "kernels": kernels,
                "latency_us": {
                    "min": float(times.min()),
                    "median": float(np.median(times)),
                    "p90": float(np.percentile(times, 90)),
                    "mean": float(times.mean()),
                },
                **({"profile": profile} if profile else {}),
            }
        )
        return 0
    print(f"model            {args.model}")
    print(f"model bytes      {len(data):,}")
    print(f"arena bytes      {interp.arena_bytes:,}")
    print(f"required memory  {interp.required_memory_bytes:,} bytes (arena + tables + per-op memory)")
    print(f"threads          {interp.num_threads}, kernels {kernels}")
    print(f"runs             {args.runs} (after {args.warmup} warm-up), C runtime via pyruntime")
    print(f"latency min      {times.min():.1f} us")
    print(f"latency median   {np.median(times):.1f} us")
    print(f"latency p90      {np.percentile(times, 90):.1f} us")
    if profile:
        print(op_profile.format_profile(profile))
    return 0


# ---- compare ----------------------------------------------------------------------------------------
def _samples(arrays: list[np.ndarray], info: Any, paths: list[str]) -> list[list[np.ndarray]]:
    """Split each --data array into model-input-shaped samples (one sample, or a stack of them)."""
    per_input = []
    for a, i, p in zip(arrays, info.inputs, paths, strict=True):
        shape = tuple(info.tensors[i].shape)
        a = a.astype(np.float32)
        if a.shape == shape:
            per_input.append([a])
        elif shape and a.ndim == len(shape) and a.shape[1:] == shape[1:] and a.shape[0] % shape[0] == 0:
            per_input.append([a[k : k + shape[0]] for k in range(0, a.shape[0], shape[0])])
        else:
            raise CliError(
                f"{p!r} holds {_fmt_shape(a.shape)}: expected {_fmt_shape(shape)} or a stack of them"
            )
    if len({len(s) for s in per_input}) != 1:
        raise CliError("the --data files hold different numbers of samples")
    return [list(s) for s in zip(*per_input, strict=True)]


def cmd_compare(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from trainer.quantize import compare_models, format_report

    float_data, float_info = _load_info(args.float_model)
    int8_data, _ = _load_info(args.int8_model)
    _require_pyruntime()
    arrays = [_load_npy(p) for p in args.data]
    if len(arrays) != len(float_info.inputs):
        raise CliError(
            f"the float model has {_plural(len(float_info.inputs), 'input')}, got "
            f"{_plural(len(arrays), '--data file')}"
        )
    try:
        reports = compare_models(float_data, int8_data, _samples(arrays, float_info, args.data))
    except Exception as e:  # a mismatch between the two models (inputs, shapes) or a runtime error
        raise CliError(f"cannot compare the models: {e}") from None
    if args.json:
        _print_json([asdict(r) for r in reports])
    else:
        print(format_report(reports))
    return 0


# ---- embedded: selective builds and models as C arrays --------------------------------------------
def _c_op_name(opcode: str) -> str:
    """Schema op name -> the suffix of its C op code: FullyConnected -> FULLY_CONNECTED, Conv2D -> CONV2D."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", opcode).upper()


def ops_header(data: bytes, source: str = "model") -> str:
    """The selective-build header for ``data``: one ``#define TL_WITH_OP_<NAME> 1`` per op it uses. Build the
    runtime with ``-DTL_OPS_HEADER='"this.h"'`` (CMake: ``-DTL_OPS_HEADER=/abs/this.h``) to keep only these
    kernels; other ops then fail at prepare with TL_ERROR_UNSUPPORTED_OP."""
    from trainer.tlm import read_model
    from trainer.tlm.builder import OPCODES

    used = {op.opcode for op in read_model(data).ops}
    names = [name for name in OPCODES if name in used]  # schema order
    lines = [
        f"/* Ops used by {source}: written by `tensorlet ops --header` for a selective build of the runtime",
        " * (-DTL_OPS_HEADER); runtime_c/src/ops/op_table.c keeps only these kernels. */",
        "#ifndef TL_OPS_SELECTED_H",
        "#define TL_OPS_SELECTED_H",
        *(f"#define TL_WITH_OP_{_c_op_name(n)} 1 /* {n} */" for n in names),
        "#endif",
    ]
    return "\n".join(lines) + "\n"


def cmd_ops(args: argparse.Namespace) -> int:
    data, info = _load_info(args.model)
    if args.header is None:
        for op in sorted({op.opcode for op in info.ops}):
            print(op)
        return 0
    text = ops_header(data, printable(Path(args.model).name).replace("*/", "*_/"))  # inside a C comment
    if args.header == "-":
        sys.stdout.write(text)
    else:
        _write_text(args.header, text)
        print(f"wrote {args.header}")
    return 0


# C and C++ keywords (C89 to C23; the header is included from C++ too) and the names the standard reserves
C_KEYWORDS = frozenset(
    """auto break case char const continue default do double else enum extern float for goto if inline
    int long register restrict return short signed sizeof static struct switch typedef union
    unsigned void volatile while _Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary
    _Noreturn _Static_assert _Thread_local _BitInt _Decimal32 _Decimal64 _Decimal128 alignas alignof
    bool constexpr false nullptr static_assert thread_local true typeof typeof_unqual asm catch
    class delete explicit friend mutable namespace new noexcept operator private protected public
    template this throw try typeid typename using virtual wchar_t char8_t char16_t char32_t concept
    consteval constinit co_await co_return co_yield decltype export requires main NULL size_t
    uint8_t""".split()
)
# First words of the runtime's symbols (tl_<word>_...; runtime_c/src and include): a model array named
# tl_model or tl_conv2d_x would clash with them at link time. The core's words are listed here; each op's
# (its kernels are tl_<op>_f32, tl_<op>_int8, ...) come from the schema's op names, so a new op needs no
# edit here. tests/cli/test_hardening_cli.py keeps both in step with the sources. Other tl_ names
# (tl_fw_model) are the user's.
CORE_WORDS = frozenset(
    """activation align arena avg binary busy clamp clock concat conv cpu decode dot downscale dtype dw dw3
    dw3n dw3w dw3x3 dw8 error eval ew exp f32 fb fc free frontend gemm get half i8 i8p input interpreter inv
    isa kernels l2 logistic lut malloc model multiply one op ops opt options output plan prepare requantize
    round rounding rq16 saturating shape snprintf srdhm status tensor terse threadpool tr train trf verify
    version vsnprintf work""".split()
)


def runtime_words() -> frozenset[str]:
    """CORE_WORDS and the first word of every op's snake_case name (MaxPool2D: max, Conv2D: conv2d)."""
    from trainer.tlm.builder import OPCODES

    return CORE_WORDS | {re.sub(r"(?<=[a-z])([A-Z])", r"_\1", op).lower().split("_")[0] for op in OPCODES}


def check_c_name(name: str) -> None:
    """Raise ``CliError`` unless ``name`` (``name_len``, ``NAME_H``) can be defined beside the runtime."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise CliError(f"{printable(name)!r} is not a C identifier (letters, digits, _; not a digit first)")
    if name in C_KEYWORDS:
        raise CliError(f"{name!r} is a C/C++ keyword or standard name")
    if name.startswith("__") or re.match(r"_[A-Z]", name):
        raise CliError(f"{name!r} is reserved by the C standard (starts with __ or _ and a capital)")
    if name.upper().startswith("TL_") and not name.startswith("tl_") or name.upper() == "TENSORLET":
        raise CliError(f"{name!r} is in the runtime's macro namespace (TL_*, TENSORLET_H)")
    word = re.match(r"tl_([a-z0-9]+)", name)
    if word and word.group(1) in runtime_words():
        raise CliError(
            f"{name!r} may clash with the runtime's tl_{word.group(1)}_* symbols; choose another name"
        )


def export_c(data: bytes, name: str) -> tuple[str, str]:
    """(C source, header) holding ``data`` as ``const uint8_t name[]``, 16-byte aligned (what
    tl_model_load_nocopy / tl_model_load_static need), and ``const size_t name_len``."""
    check_c_name(name)
    guard = f"{name.upper()}_H"
    header = (
        f"/* {name}: a tensorlet .tlm model as a C array (written by `tensorlet export-c`).\n"
        f" * Load it without a copy: tl_model_load_static({name}, {name}_len, memory, sizeof memory,\n"
        " * &model, err, sizeof err). */\n"
        f"#ifndef {guard}\n#define {guard}\n#include <stddef.h>\n#include <stdint.h>\n"
        f'#ifdef __cplusplus\nextern "C" {{\n#endif\n'
        f"extern const uint8_t {name}[{len(data)}];\nextern const size_t {name}_len;\n"
        f"#ifdef __cplusplus\n}}\n#endif\n#endif\n"
    )
    chunks = (data[i : i + 16] for i in range(0, len(data), 16))
    rows = ",\n".join("  " + ", ".join(f"0x{b:02x}" for b in chunk) for chunk in chunks)
    source = (
        f'#include "{name}.h"\n\n'
        "#if defined(__GNUC__) || defined(__clang__)\n#define TL_MODEL_ALIGNED __attribute__((aligned(16)))\n"
        "#elif defined(_MSC_VER)\n#define TL_MODEL_ALIGNED __declspec(align(16))\n"
        '#else\n#error "tensorlet export-c: no way to align the model array with this compiler"\n#endif\n\n'
        f"TL_MODEL_ALIGNED const uint8_t {name}[{len(data)}] = {{\n{rows}\n}};\n"
        f"const size_t {name}_len = {len(data)};\n"
    )
    return source, header


def cmd_export_c(args: argparse.Namespace) -> int:
    data, _ = _load_info(args.model)
    name = args.name
    if name is None:  # from the file's stem, made a valid name
        name = re.sub(r"[^A-Za-z0-9_]", "_", Path(args.model).stem)
        try:
            check_c_name(name)
        except CliError:
            name = "model_" + name.lstrip("_")
    check_c_name(name)
    source, header = export_c(data, name)
    out = Path(args.out_dir)
    _write_text(str(out / f"{name}.c"), source)
    _write_text(str(out / f"{name}.h"), header)
    print(f"wrote {out / (name + '.c')} and {out / (name + '.h')} ({len(data)} bytes of model)")
    if args.samples is not None:
        _export_fw_data(args, data, out)
    return 0


def _export_fw_data(args: argparse.Namespace, data: bytes, out: Path) -> None:
    """fw_data.c/.h: ``--samples`` test inputs, labels and host-runtime outputs (trainer/lite/fw_data.py)."""
    from trainer.lite.fw_data import firmware_data_c, firmware_samples

    inputs = _load_npy(args.inputs) if args.inputs else None
    labels = _load_npy(args.labels) if args.labels else None
    try:
        xs, ys, expected = firmware_samples(data, args.samples, inputs, labels)
    except ValueError as e:
        raise CliError(f"--samples: {e}") from None
    source, header = firmware_data_c(xs, ys, expected)
    _write_text(str(out / "fw_data.c"), source)
    _write_text(str(out / "fw_data.h"), header)
    print(f"wrote {out / 'fw_data.c'} and {out / 'fw_data.h'} ({len(xs)} samples)")


# ---- import-tflite --------------------------------------------------------------------------------
def cmd_import_tflite(args: argparse.Namespace) -> int:
    """Convert a ``.tflite`` file to ``.tlm`` (docs/tflite.md); nothing is written on error."""
    from trainer.lite.tflite import TFLiteImportError, from_tflite

    data = _read_bytes(args.model, "TFLite model")
    try:
        out = from_tflite(data)
    except TFLiteImportError as e:
        raise CliError(f"{args.model!r}: {e}") from None
    try:
        _output_path(args.out).write_bytes(out)
    except OSError as e:
        raise CliError(f"cannot write {args.out!r}: {e.strerror}") from None
    print(f"wrote {args.out} ({len(out)} bytes) from {args.model} ({len(data)} bytes)")
    return 0


def cmd_export_tflite(args: argparse.Namespace) -> int:
    """Write a ``.tlm`` model as ``.tflite`` (docs/tflite.md section 7)."""
    from trainer.lite.tflite import TFLiteImportError, to_tflite

    data, _ = _load_info(args.model)
    try:
        out = to_tflite(data, micro=args.micro)
    except TFLiteImportError as e:
        raise CliError(f"{args.model!r}: {e}") from None
    try:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_bytes(out)
    except OSError as e:
        raise CliError(f"cannot write {args.out!r}: {e.strerror}") from None
    print(f"wrote {args.out} ({len(out)} bytes) from {args.model} ({len(data)} bytes)")
    return 0


def _write_text(path: str, text: str) -> None:
    try:
        _output_path(path).write_text(text)
    except OSError as e:
        raise CliError(f"cannot write {path!r}: {e.strerror}") from None


# ---- entry point ------------------------------------------------------------------------------------
def _work_budget(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if not 0 <= value < 2**64:
        raise argparse.ArgumentTypeError(f"must be in [0, 2**64), got {value}")
    return value


def _add_max_work(s: argparse.ArgumentParser) -> None:
    s.add_argument(
        "--max-work",
        type=_work_budget,
        default=0,
        metavar="N",
        help="work budget of the C runtime's prepare, in units of about 1 ns (default 0: the runtime's "
        "default, 1e9); a model above it is refused (docs/runtime.md)",
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _threads(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value != -1 and not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"must be -1 (one per CPU) or in [1, 64], got {value}")
    return value


def _add_json(s: argparse.ArgumentParser) -> None:
    s.add_argument("--json", action="store_true", help="print the result as JSON (for scripts)")


def version_text() -> str:
    """``tensorlet 0.1.0 (C runtime: tensorlet 0.1.0 (schema 1))``; the C part only with pyruntime."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        ours = version("tensorlet")
    except PackageNotFoundError:
        ours = "(not installed)"
    try:
        import pyruntime

        runtime = f" (C runtime: {pyruntime.version()})"
    except ImportError:
        runtime = " (C runtime: pyruntime not installed)"
    return f"tensorlet {ours}{runtime}"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tensorlet",
        description="Inspect, run, benchmark and compare tensorlet .tlm models (run, bench and compare "
        "use the C runtime). Exit codes: 0 ok, 1 error, 2 usage, 130 interrupted.",
    )
    p.add_argument("--version", action="version", version=version_text())
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    s = sub.add_parser(
        "inspect",
        help="print ops, tensors, shapes, dtypes, quantization, constant and arena bytes",
        description="Print a model's ops, tensors (shape, dtype, quantization, bytes) and memory figures.",
    )
    s.add_argument("model", help="the .tlm file")
    s.add_argument("--dot", metavar="FILE", help="also write the graph as Graphviz DOT to FILE")
    _add_json(s)
    _add_max_work(s)
    s.set_defaults(func=cmd_inspect)

    s = sub.add_parser(
        "run",
        help="run a model on .npy inputs",
        description="Run a model once on .npy inputs (exact dtype, no casting; the model's shape, or another "
        "batch on the C runtime) and print or save the outputs.",
    )
    s.add_argument("model", help="the .tlm file")
    s.add_argument(
        "--input",
        action="append",
        required=True,
        metavar="X.npy",
        help="an input array; once per model input",
    )
    s.add_argument("--output", action="append", metavar="Y.npy", help="save an output here; once per output")
    s.add_argument(
        "--reference", action="store_true", help="use the numpy reference interpreter, not the C runtime"
    )
    _add_max_work(s)
    s.set_defaults(func=cmd_run)

    s = sub.add_parser(
        "bench",
        help="time the C runtime on a model",
        description="Time invoke() on random inputs: min/median/p90 latency, arena bytes and model bytes.",
    )
    s.add_argument("model", help="the .tlm file")
    s.add_argument("--runs", type=_positive, default=200, help="timed invokes (default 200)")
    s.add_argument("--warmup", type=int, default=20, help="untimed invokes first (default 20)")
    s.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    s.add_argument(
        "--threads",
        type=_threads,
        default=1,
        metavar="T",
        help="threads per invoke, the caller's included: 1 to 64, or -1 for one per CPU (default 1)",
    )
    s.add_argument(
        "--kernels",
        choices=KERNEL_NAMES,
        help="kernel level (default: $TENSORLET_KERNELS, else auto: the fastest this CPU runs)",
    )
    s.add_argument(
        "--profile",
        action="store_true",
        help="then time each op over --runs more invokes: per-op and per-op-type tables (in --json too)",
    )
    _add_json(s)
    _add_max_work(s)
    s.set_defaults(func=cmd_bench)

    s = sub.add_parser(
        "compare",
        help="per-layer error of an int8 model against its float model (C runtime)",
        description="Run a float model and its int8 version on the C runtime and print, for every tensor "
        "they share by name, the max abs error, SQNR and argmax agreement, worst layer first.",
    )
    s.add_argument("float_model", help="the float32 .tlm")
    s.add_argument("int8_model", help="its int8 version (trainer.quantize / Converter optimizations)")
    s.add_argument(
        "--data",
        action="append",
        required=True,
        metavar="X.npy",
        help="inputs: one sample or a stack of samples; once per model input",
    )
    _add_json(s)
    s.set_defaults(func=cmd_compare)

    s = sub.add_parser(
        "ops",
        help="list the ops a model uses, or write the header of a selective C build",
        description="List the ops a model uses; with --header, write the C header (TL_WITH_OP_<NAME>) that "
        "compiles the runtime with only these kernels (-DTL_OPS_HEADER).",
    )
    s.add_argument("model", help="the .tlm file")
    s.add_argument("--header", metavar="FILE", help="write the selective-build header to FILE ('-': stdout)")
    s.set_defaults(func=cmd_ops)

    s = sub.add_parser(
        "export-c",
        help="write the model as a 16-byte aligned const C array (NAME.c + NAME.h) for firmware",
        description="Write NAME.c and NAME.h holding the model as a 16-byte aligned const uint8_t array "
        "(it stays in flash; load it with tl_model_load_static or tl_model_load_nocopy).",
    )
    s.add_argument("model", help="the .tlm file")
    s.add_argument("--name", help="C identifier of the array (default: the file's stem)")
    s.add_argument("--out-dir", default=".", help="directory for NAME.c and NAME.h (default: .)")
    s.add_argument(
        "--samples",
        type=int,
        metavar="N",
        help="also write fw_data.c/.h: N test inputs, labels and the host runtime's outputs for a firmware "
        "to check itself (int8 models; docs/embedded.md)",
    )
    s.add_argument(
        "--inputs", metavar="NPY", help="inputs for --samples (default: the bundled MNIST test digits)"
    )
    s.add_argument("--labels", metavar="NPY", help="labels for --samples (default: MNIST's, or the argmax)")
    s.set_defaults(func=cmd_export_c)

    s = sub.add_parser(
        "import-tflite",
        help="convert a TFLite model (.tflite) to a .tlm model (docs/tflite.md)",
        description="Convert a .tflite FlatBuffer (float32, int8, float16 weights, dynamic range) to .tlm. "
        "A model with anything tensorlet cannot represent is refused with one line naming every op and "
        "feature at fault; no file is written then.",
    )
    s.add_argument("model", help="the .tflite file")
    s.add_argument("out", help="the .tlm file to write")
    s.set_defaults(func=cmd_import_tflite)

    s = sub.add_parser(
        "export-tflite",
        help="write a .tlm model as a TFLite model (.tflite) for LiteRT, TFLite Micro, Netron",
        description="Write the model as a .tflite FlatBuffer (schema 3, one subgraph); import-tflite gives "
        "the .tlm back byte for byte.",
    )
    s.add_argument("model", help="the .tlm file")
    s.add_argument("out", help="the .tflite file to write")
    s.add_argument(
        "--micro",
        action="store_true",
        help="write it for TFLite Micro: float16 weights as float32, Relu6 and fused Concatenation "
        "activations in ops its kernels compute as LiteRT does (docs/tflite.md section 8)",
    )
    s.set_defaults(func=cmd_export_tflite)
    return p


def _check_environment() -> None:
    """The environment the C runtime reads through pyruntime, checked before any work (one line)."""
    kernels = os.environ.get("TENSORLET_KERNELS", "")
    if kernels and kernels not in KERNEL_NAMES:
        raise CliError(
            f"TENSORLET_KERNELS={printable(kernels)!r} is not a kernel level: use one of "
            f"{', '.join(KERNEL_NAMES)}"
        )


def _one_line(text: object) -> str:
    return " ".join(printable(line) for line in str(text).splitlines() if line.strip())


def main(argv: Sequence[str] | None = None) -> int:
    """The console script: one handler for every failure (one line on stderr, the exit codes above)."""
    try:
        args = build_parser().parse_args(argv)
        _check_environment()
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at interpreter exit
        return code
    except CliError as e:
        print(f"tensorlet: error: {_one_line(e)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("tensorlet: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `tensorlet inspect m | head`: the reader left; stop quietly like cat or grep
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # Python's final flush of stdout would fail again
        except (OSError, ValueError, io.UnsupportedOperation):
            pass
        return EXIT_BROKEN_PIPE
    except (SystemExit, GeneratorExit):
        raise
    except Exception as e:  # anything else is still one line (a bug in tensorlet, or an unusual OS error)
        if os.environ.get("TENSORLET_TRACEBACK"):
            raise
        print(f"tensorlet: error: {type(e).__name__}: {_one_line(e)}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
