"""Writes runtime_c/tests/test_models.h: small valid .tlm models as C byte arrays for the core C tests.

The models are encoded here with the raw ``flatbuffers`` Builder and the flatc-generated schema code
(``trainer.tlm.schema``), deliberately not with ``trainer.tlm.ModelBuilder``, so the C reader is checked
against an independent encoder. Expected outputs are computed with numpy in float64; the expected arena size
comes from the exporter's planner (``trainer.tlm.planner``), the Python mirror of runtime_c/src/planner.c.

    .venv/bin/python runtime_c/tests/gen_test_models.py      # rewrites runtime_c/tests/test_models.h
"""

from __future__ import annotations

import sys
from pathlib import Path

import flatbuffers
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
# Import the generated schema package and the planner directly from trainer/tlm, without importing the
# trainer package itself (which pulls in the whole training stack).
sys.path.insert(0, str(ROOT / "trainer" / "tlm"))

import planner  # noqa: E402

from schema import (  # noqa: E402
    Buffer,
    FullyConnectedOptions,
    Metadata,
    Model,
    Operator,
    Quantization,
    SoftmaxOptions,
    Tensor,
)

FLOAT32, INT8 = 0, 2
OP_FC, OP_RELU, OP_SOFTMAX, OP_QUANTIZE, OP_DEQUANTIZE = 3, 9, 13, 18, 19
OPT_NONE, OPT_FC, OPT_SOFTMAX = 0, 2, 7
DTYPE_SIZE = {FLOAT32: 4, INT8: 1}


class Net:
    """A tiny in-memory model description, encoded by :func:`encode`."""

    def __init__(self) -> None:
        self.tensors: list[dict] = []
        self.buffers: list[bytes] = [b""]  # buffer 0 is the empty buffer
        self.ops: list[dict] = []
        self.inputs: list[int] = []
        self.outputs: list[int] = []

    def tensor(
        self,
        name: str,
        shape: list[int],
        dtype: int = FLOAT32,
        data: np.ndarray | None = None,
        quant: tuple[float, int] | None = None,
    ) -> int:
        buf = 0
        if data is not None:
            self.buffers.append(np.ascontiguousarray(data).tobytes())
            buf = len(self.buffers) - 1
        self.tensors.append(dict(name=name, shape=shape, dtype=dtype, buffer=buf, quant=quant))
        return len(self.tensors) - 1

    def op(
        self, opcode: int, inputs: list[int], outputs: list[int], options: tuple[int, dict] | None = None
    ) -> None:
        self.ops.append(dict(opcode=opcode, inputs=inputs, outputs=outputs, options=options))

    def nbytes(self, t: int) -> int:
        info = self.tensors[t]
        return int(np.prod(info["shape"], dtype=np.int64)) * DTYPE_SIZE[info["dtype"]]

    def plan(self) -> planner.Plan:
        return planner.plan(
            [self.nbytes(t) for t in range(len(self.tensors))],
            [info["buffer"] != 0 for info in self.tensors],
            [(o["inputs"], o["outputs"]) for o in self.ops],
            self.inputs,
            self.outputs,
        )


def _int_vector(b: flatbuffers.Builder, values: list[int]) -> int:
    b.StartVector(4, len(values), 4)
    for v in reversed(values):
        b.PrependInt32(v)
    return b.EndVector()


def _options(b: flatbuffers.Builder, kind: int, fields: dict) -> int:
    if kind == OPT_FC:
        FullyConnectedOptions.Start(b)
        FullyConnectedOptions.AddActivation(b, fields.get("activation", 0))
        return FullyConnectedOptions.End(b)
    if kind == OPT_SOFTMAX:
        SoftmaxOptions.Start(b)
        SoftmaxOptions.AddBeta(b, fields.get("beta", 1.0))
        return SoftmaxOptions.End(b)
    raise ValueError(kind)


def encode(net: Net) -> bytes:
    b = flatbuffers.Builder(1024)
    b.ForceDefaults(True)  # write default-valued scalars too, so the tests can patch them
    buffers = []
    for data in net.buffers:
        vec = None
        if data:
            b.StartVector(1, len(data), 16)  # constant data is 16-byte aligned (schema force_align)
            for byte in reversed(data):
                b.PrependUint8(byte)
            vec = b.EndVector()
        Buffer.Start(b)
        if vec is not None:
            Buffer.AddData(b, vec)
        buffers.append(Buffer.End(b))
    tensors = []
    for info in net.tensors:
        name = b.CreateString(info["name"])
        shape = _int_vector(b, info["shape"])
        quant = None
        if info["quant"] is not None:
            scale, zp = info["quant"]
            Quantization.StartScaleVector(b, 1)
            b.PrependFloat32(scale)
            scales = b.EndVector()
            Quantization.StartZeroPointVector(b, 1)
            b.PrependInt64(zp)
            zps = b.EndVector()
            Quantization.Start(b)
            Quantization.AddScale(b, scales)
            Quantization.AddZeroPoint(b, zps)
            quant = Quantization.End(b)
        Tensor.Start(b)
        Tensor.AddName(b, name)
        Tensor.AddDtype(b, info["dtype"])
        Tensor.AddShape(b, shape)
        Tensor.AddBuffer(b, info["buffer"])
        if quant is not None:
            Tensor.AddQuantization(b, quant)
        tensors.append(Tensor.End(b))
    ops = []
    for op in net.ops:
        ins = _int_vector(b, op["inputs"])
        outs = _int_vector(b, op["outputs"])
        opt = _options(b, *op["options"]) if op["options"] else None
        Operator.Start(b)
        Operator.AddOpcode(b, op["opcode"])
        Operator.AddInputs(b, ins)
        Operator.AddOutputs(b, outs)
        if opt is not None:
            Operator.AddOptionsType(b, op["options"][0])
            Operator.AddOptions(b, opt)
        ops.append(Operator.End(b))

    def table_vector(items: list[int]) -> int:
        b.StartVector(4, len(items), 4)
        for item in reversed(items):
            b.PrependUOffsetTRelative(item)
        return b.EndVector()

    tensors_v = table_vector(tensors)
    ops_v = table_vector(ops)
    buffers_v = table_vector(buffers)
    inputs_v = _int_vector(b, net.inputs)
    outputs_v = _int_vector(b, net.outputs)
    producer = b.CreateString("gen_test_models.py")
    Metadata.Start(b)
    Metadata.AddProducer(b, producer)
    Metadata.AddArenaBytes(b, net.plan().arena_bytes)
    meta = Metadata.End(b)
    Model.Start(b)
    Model.AddVersion(b, 1)
    Model.AddTensors(b, tensors_v)
    Model.AddOperators(b, ops_v)
    Model.AddInputs(b, inputs_v)
    Model.AddOutputs(b, outputs_v)
    Model.AddBuffers(b, buffers_v)
    Model.AddMetadata(b, meta)
    b.Finish(Model.End(b), file_identifier=b"TLM1")
    return bytes(b.Output())


def field_pos(table: flatbuffers.table.Table, slot: int) -> int:
    off = table.Offset(slot)
    assert off, slot
    return table.Pos + off


def _vector_table(table: flatbuffers.table.Table, slot: int, index: int) -> flatbuffers.table.Table:
    elem = table.Vector(table.Offset(slot)) + 4 * index
    return flatbuffers.table.Table(table.Bytes, table.Indirect(elem))


def positions(data: bytes) -> dict[str, int]:
    """Byte positions of fields the C tests patch (to build malformed variants of a valid model)."""
    buf = bytearray(data)
    model = flatbuffers.table.Table(buf, flatbuffers.encode.Get(flatbuffers.packer.uoffset, buf, 0))
    t0 = _vector_table(model, 6, 0)  # Model.tensors[0]
    op0 = _vector_table(model, 8, 0)  # Model.operators[0]
    pos = {
        "VERSION": field_pos(model, 4),
        "T0_DIM1": t0.Vector(t0.Offset(8)) + 4,  # Tensor.shape[1]
        "T0_DTYPE": field_pos(t0, 6),
        "OP0_INPUT0": op0.Vector(op0.Offset(6)),  # Operator.inputs[0]
        "OP0_OPCODE": field_pos(op0, 4),
    }
    if op0.Offset(10):
        pos["OP0_OPTIONS_TYPE"] = field_pos(op0, 10)
    return pos


def mlp() -> tuple[Net, dict[str, np.ndarray]]:
    """x[2,8] -> FC(16) -> Relu -> FC(4) -> Softmax; outputs probs and logits."""
    rng = np.random.default_rng(20261126)
    w1 = (rng.standard_normal((16, 8)) * 0.5).astype(np.float32)
    b1 = (rng.standard_normal(16) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((4, 16)) * 0.5).astype(np.float32)
    b2 = (rng.standard_normal(4) * 0.1).astype(np.float32)
    x = rng.standard_normal((2, 8)).astype(np.float32)
    n = Net()
    tx = n.tensor("x", [2, 8])
    tw1 = n.tensor("dense/w", [16, 8], data=w1)
    tb1 = n.tensor("dense/b", [16], data=b1)
    th = n.tensor("dense/out", [2, 16])
    tr = n.tensor("relu", [2, 16])
    tw2 = n.tensor("logits/w", [4, 16], data=w2)
    tb2 = n.tensor("logits/b", [4], data=b2)
    tl = n.tensor("logits", [2, 4])
    tp = n.tensor("probs", [2, 4])
    n.op(OP_FC, [tx, tw1, tb1], [th], (OPT_FC, {}))
    n.op(OP_RELU, [th], [tr])
    n.op(OP_FC, [tr, tw2, tb2], [tl], (OPT_FC, {}))
    n.op(OP_SOFTMAX, [tl], [tp], (OPT_SOFTMAX, {"beta": 1.0}))
    n.inputs = [tx]
    n.outputs = [tp, tl]
    x64 = x.astype(np.float64)
    hidden = np.maximum(x64 @ w1.astype(np.float64).T + b1, 0.0)
    logits = hidden @ w2.astype(np.float64).T + b2
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    return n, {"x": x, "logits": logits, "probs": probs}


def qdq() -> tuple[Net, dict[str, np.ndarray]]:
    """x[2,5] float32 -> Quantize(scale 0.05, zp -3) -> q int8 -> Dequantize -> y float32."""
    scale, zp = np.float32(0.05), -3
    x = np.array([[0.0, 0.024, 0.026, -0.026, 1e9], [-1e9, np.nan, 3.0, -7.0, 0.075]], dtype=np.float32)
    n = Net()
    tx = n.tensor("x", [2, 5])
    tq = n.tensor("q", [2, 5], dtype=INT8, quant=(float(scale), zp))
    ty = n.tensor("y", [2, 5])
    n.op(OP_QUANTIZE, [tx], [tq])
    n.op(OP_DEQUANTIZE, [tq], [ty])
    n.inputs = [tx]
    n.outputs = [ty, tq]
    with np.errstate(invalid="ignore"):
        v = (x / scale).astype(np.float64)  # float32 division, as the runtime does it
    r = np.where(np.isnan(v), 0.0, np.sign(v) * np.floor(np.abs(v) + 0.5))  # round half away from zero
    q = np.where(np.isnan(v), zp, np.clip(r + zp, -128, 127)).astype(np.int8)
    y = np.float64(scale) * (q.astype(np.float64) - zp)
    return n, {"x": x, "q": q, "y": y}


def identity() -> tuple[Net, dict[str, np.ndarray]]:
    """No ops: the graph input is also the graph output."""
    n = Net()
    t = n.tensor("io", [3])
    n.inputs = [t]
    n.outputs = [t]
    return n, {}


def random_graphs(count: int = 40, seed: int = 20261126) -> list[dict]:
    """Random small DAGs (ops in execution order) with the Python planner's offsets for every tensor."""
    rng = np.random.default_rng(seed)
    graphs = []
    for _ in range(count):
        n_inputs = int(rng.integers(1, 3))
        n_const = int(rng.integers(0, 3))
        n_ops = int(rng.integers(0, 9))
        sizes = [int(rng.integers(1, 300)) for _ in range(n_inputs + n_const)]
        constant = [False] * n_inputs + [True] * n_const
        ops = []
        for _ in range(n_ops):
            k = int(rng.integers(1, 4))
            reads = sorted({int(v) for v in rng.integers(0, len(sizes), size=k)})
            ops.append((reads, [len(sizes)]))
            sizes.append(int(rng.integers(1, 300)))
            constant.append(False)
        candidates = [t for t in range(len(sizes)) if not constant[t]]
        outputs = sorted(
            {int(v) for v in rng.choice(candidates, size=min(2, len(candidates)), replace=False)}
        )
        inputs = list(range(n_inputs))
        result = planner.plan(sizes, constant, ops, inputs, outputs)
        offsets = [result.offsets.get(t, -1) for t in range(len(sizes))]
        graphs.append(
            dict(
                sizes=sizes,
                constant=constant,
                ops=ops,
                inputs=inputs,
                outputs=outputs,
                offsets=offsets,
                arena=result.arena_bytes,
            )
        )
    return graphs


def c_graphs(graphs: list[dict]) -> str:
    def ints(values: list[int]) -> str:
        return "{" + ", ".join(str(int(v)) for v in values) + "}" if values else "{0}"

    lines = [
        "/* Random graphs planned by trainer/tlm/planner.py: op k reads op_in[k][0..op_in_n[k]) and writes",
        " * tensor op_out[k]; offsets[t] is -1 for tensors the planner skips (constants). */",
        "typedef struct tm_graph {",
        "  int32_t tensors, ops, n_in, n_out;",
        "  int32_t bytes[16];",
        "  unsigned char constant[16];",
        "  int32_t op_in[8][3];",
        "  int32_t op_in_n[8];",
        "  int32_t op_out[8];",
        "  int32_t inputs[2], outputs[2];",
        "  long offsets[16];",
        "  unsigned long arena;",
        "} tm_graph;",
        "static const tm_graph tm_graphs[] = {",
    ]
    for g in graphs:
        op_in = (
            "{" + ", ".join(ints(list(r) + [0] * (3 - len(r))) for r, _ in g["ops"]) + "}"
            if g["ops"]
            else "{{0}}"
        )
        lines.append(
            f"  {{{len(g['sizes'])}, {len(g['ops'])}, {len(g['inputs'])}, {len(g['outputs'])}, "
            f"{ints(g['sizes'])}, {ints([int(c) for c in g['constant']])}, {op_in}, "
            f"{ints([len(r) for r, _ in g['ops']])}, {ints([w[0] for _, w in g['ops']])}, "
            f"{ints(g['inputs'])}, {ints(g['outputs'])}, {ints(g['offsets'])}, {g['arena']}u}},"
        )
    lines.append("};")
    lines.append(f"#define TM_GRAPH_COUNT {len(graphs)}")
    return "\n".join(lines)


def c_bytes(name: str, data: bytes) -> str:
    lines = [f"static const unsigned char {name}[{len(data)}] = {{"]
    for i in range(0, len(data), 16):
        lines.append("  " + ", ".join(f"0x{v:02x}" for v in data[i : i + 16]) + ",")
    lines.append("};")
    return "\n".join(lines)


def c_array(ctype: str, name: str, values: np.ndarray) -> str:
    flat = values.reshape(-1)
    if ctype == "float":
        body = ", ".join("NAN" if np.isnan(v) else f"{float(v)!r}f" for v in flat.astype(np.float32))
    else:
        body = ", ".join(str(int(v)) for v in flat)
    return f"static const {ctype} {name}[{flat.size}] = {{{body}}};"


def main() -> None:
    out = [
        "/* test_models.h: GENERATED by runtime_c/tests/gen_test_models.py; do not edit.",
        " * Small valid models (raw flatbuffers encoder, not ModelBuilder) with numpy-computed expected",
        " * outputs, the exporter planner's arena size, and byte positions of fields the tests patch. */",
        "#ifndef TL_TEST_MODELS_H",
        "#define TL_TEST_MODELS_H",
        "#include <math.h>",
        "#include <stdint.h>",
        "",
    ]
    for name, build in [("mlp", mlp), ("qdq", qdq), ("identity", identity)]:
        net, arrays = build()
        data = encode(net)
        out.append(c_bytes(f"tm_{name}", data))
        out.append(f"#define TM_{name.upper()}_ARENA_BYTES {net.plan().arena_bytes}u")
        for key, pos in positions(data).items() if net.ops else []:
            out.append(f"#define TM_{name.upper()}_POS_{key} {pos}u")
        for key, arr in arrays.items():
            ctype = "signed char" if arr.dtype == np.int8 else "float"
            out.append(c_array(ctype, f"tm_{name}_{key}", arr))
        out.append("")
    out.append(c_graphs(random_graphs()))
    out.append("")
    out.append("#endif /* TL_TEST_MODELS_H */")
    path = Path(__file__).with_name("test_models.h")
    path.write_text("\n".join(out) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
