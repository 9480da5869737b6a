"""The TFLite importer (trainer.lite.tflite) against LiteRT's reference kernels.

Every committed fixture (tests/fixtures/tflite/, made by TensorFlow's converter) is imported, run on the C
runtime and on LiteRT with ``OpResolverType.BUILTIN_REF`` on 100 seeded random inputs. The rules:

- int8 outputs: byte-identical, every output of every int8 fixture (per-channel FullyConnected rounds once,
  Mean requantizes the centered sum: TFLite's reference rules, docs/tflite.md section 5); for the fixtures
  with those ops every intermediate tensor is compared too;
- float32 outputs: for each output tensor, ``max |ours - litert| <= 1e-5 * max(1, max |litert|)``: relative
  to the tensor's largest magnitude (float32 sums in another order differ by a few ulps of the largest terms;
  an element near 0 has no meaningful relative error of its own).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from tflite_fixtures import fixture, litert, opcode_index_of, patch_scalar, random_input, set_opcode

from trainer.lite.tflite import TFLiteImportError, from_tflite, schema
from trainer.lite.tflite.reader import read_tflite
from trainer.tlm import read_model

pyruntime = pytest.importorskip("pyruntime")

N_INPUTS = 100
FLOAT_FIXTURES = ["ops", "ops_f16", "multi_io", "buffer_offset", "kws_ds_cnn"]
INT8_FIXTURES = [
    "ops_int8",
    "multi_io_int8",
    "kws_ds_cnn_int8",
    "ic_resnet8_int8",
    "vww_mobilenet_025_int8",
    "ad_autoencoder_int8",
]
# the fixtures with per-channel FullyConnected or Mean (the two rules tensorlet changed to TFLite's)
INT8_FC_MEAN = ["ops_int8", "multi_io_int8", "ad_autoencoder_int8"]


def run_both(name: str, n: int = N_INPUTS, seed: int = 0):
    """Yield (litert outputs, tensorlet outputs) for ``n`` random inputs."""
    lr = litert()
    data = fixture(name)
    ref = lr.Interpreter(model_content=data, experimental_op_resolver_type=lr.OpResolverType.BUILTIN_REF)
    ref.allocate_tensors()
    ours = pyruntime.Interpreter(model_content=from_tflite(data))
    ours.allocate_tensors()
    ref_in, ref_out = ref.get_input_details(), ref.get_output_details()
    our_in, our_out = ours.get_input_details(), ours.get_output_details()
    assert [list(d["shape"]) for d in ref_in] == [list(d["shape"]) for d in our_in]
    assert [np.dtype(d["dtype"]) for d in ref_out] == [np.dtype(d["dtype"]) for d in our_out]
    rng = np.random.default_rng(seed)
    for _ in range(n):
        xs = [random_input(d, rng) for d in ref_in]
        for d, x in zip(ref_in, xs, strict=True):
            ref.set_tensor(d["index"], x)
        for d, x in zip(our_in, xs, strict=True):
            ours.set_tensor(d["index"], x)
        ref.invoke()
        ours.invoke()
        yield [ref.get_tensor(d["index"]) for d in ref_out], [ours.get_tensor(d["index"]) for d in our_out]


@pytest.mark.parametrize("name", FLOAT_FIXTURES)
def test_float_outputs_match_litert_reference(name):
    for ref, ours in run_both(name):
        for a, b in zip(ref, ours, strict=True):
            assert a.dtype == b.dtype == np.float32 and a.shape == b.shape
            bound = 1e-5 * max(1.0, float(np.abs(a).max()))
            assert float(np.abs(a - b).max()) <= bound, (name, float(np.abs(a - b).max()), bound)


@pytest.mark.parametrize("name", INT8_FIXTURES)
def test_int8_outputs_byte_identical_to_litert_reference(name):
    for ref, ours in run_both(name):
        for a, b in zip(ref, ours, strict=True):
            if a.dtype == np.float32:
                a = a.view(np.uint32)
                b = b.view(np.uint32)
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", INT8_FC_MEAN)
def test_int8_every_intermediate_tensor_byte_identical(name):
    """Every intermediate int8 tensor compared (not only the outputs, where a Softmax or a clamp could hide a
    difference): per-channel FullyConnected and Mean give LiteRT's reference bytes."""
    lr = litert()
    data = fixture(name)
    m = read_tflite(data)
    ref = lr.Interpreter(
        model_content=data,
        experimental_op_resolver_type=lr.OpResolverType.BUILTIN_REF,
        experimental_preserve_all_tensors=True,
    )
    ref.allocate_tensors()
    ours = pyruntime.Interpreter(model_content=from_tflite(data), experimental_preserve_all_tensors=True)
    ours.allocate_tensors()
    by_name = {d["name"]: d["index"] for d in ours.get_tensor_details()}
    rng = np.random.default_rng(0)
    compared = 0
    for _ in range(30):
        xs = [random_input(d, rng) for d in ref.get_input_details()]
        for d, x in zip(ref.get_input_details(), xs, strict=True):
            ref.set_tensor(d["index"], x)
        for d, x in zip(ours.get_input_details(), xs, strict=True):
            ours.set_tensor(d["index"], x)
        ref.invoke()
        ours.invoke()
        for op in m.operators:
            for o in op.outputs:
                t = m.tensors[o]
                if t.name in by_name:
                    got = ours.get_tensor(by_name[t.name])
                    np.testing.assert_array_equal(ref.get_tensor(o), got, op.name)
                    compared += 1
    assert compared >= 30 * len(m.operators) // 2


def test_numpy_reference_gives_the_runtime_bytes_on_imported_int8_models():
    """The imported int8 models through trainer's numpy reference interpreter: the same bytes as the C runtime
    (AveragePool2D with shared parameters included: ResNet-8's global pool, zero point -128; per-channel
    FullyConnected's single rounding and Mean's summed requantization: ops_int8, ad_autoencoder_int8)."""
    from trainer.runtime_ops.interpreter import reference_run

    for name in ("ic_resnet8_int8", "multi_io_int8", "ops_int8", "ad_autoencoder_int8"):
        tlm = from_tflite(fixture(name))
        interp = pyruntime.Interpreter(model_content=tlm)
        rng = np.random.default_rng(7)
        for _ in range(3):
            xs = [random_input(d, rng) for d in interp.get_input_details()]
            for a, b in zip(interp.run(*xs), reference_run(tlm, *xs), strict=True):
                np.testing.assert_array_equal(a, b)


def test_hybrid_model_becomes_float_with_dequantized_weights():
    """Dynamic-range model: int8 FullyConnected weights become float32 ``scale * q`` (docs/tflite.md)."""
    data = fixture("hybrid")
    m = read_tflite(data)
    fc = next(op for op in m.operators if op.name == "FULLY_CONNECTED")
    w = m.tensors[fc.inputs[1]]
    assert w.type == "INT8" and m.tensors[fc.inputs[0]].type == "FLOAT32"
    info = read_model(from_tflite(data))
    fc_tlm = next(op for op in info.ops if op.opcode == "FullyConnected")
    weights = info.tensors[fc_tlm.inputs[1]]
    q = np.frombuffer(m.buffer_bytes(w.buffer), np.int8).reshape(w.shape).astype(np.float64)
    scale = np.asarray(w.quant.scale, np.float64).reshape(-1, 1)
    np.testing.assert_array_equal(weights.data, (scale * q).astype(np.float32))
    assert all(t.dtype == np.float32 for t in info.tensors)
    # LiteRT's hybrid kernel quantizes the activations on the fly: close, not equal (measured < 3% of range)
    for ref, ours in run_both("hybrid", n=20):
        assert np.abs(ref[0] - ours[0]).max() <= 0.05 * np.abs(ref[0]).max()


def test_float16_weights_stay_float16():
    """TFLite's float16 weights + DEQUANTIZE become FLOAT16 constants of the weighted ops (as in tensorlet,
    docs/quantization.md), other float16 constants float32; no Dequantize op is left."""
    info = read_model(from_tflite(fixture("ops_f16")))
    assert "Dequantize" not in [op.opcode for op in info.ops]
    weighted = [op for op in info.ops if op.opcode in ("Conv2D", "DepthwiseConv2D", "FullyConnected")]
    assert weighted and all(info.tensors[i].dtype == np.float16 for op in weighted for i in op.inputs[1:])
    float16 = {i for op in weighted for i in op.inputs[1:]}
    assert all(t.dtype == np.float32 for t in info.tensors if t.index not in float16)


def test_reader_agrees_with_litert_on_every_tensor():
    """The schema's field slots, checked against LiteRT's reading of the same files."""
    lr = litert()
    for name in [*FLOAT_FIXTURES, *INT8_FIXTURES, "hybrid"]:
        data = fixture(name)
        m = read_tflite(data)
        ref = lr.Interpreter(model_content=data, experimental_op_resolver_type=lr.OpResolverType.BUILTIN_REF)
        details = {d["index"]: d for d in ref.get_tensor_details()}
        for t in m.tensors:
            d = details.get(t.index)
            if d is None:
                continue
            assert d["name"] == t.name and list(d["shape"]) == t.shape, (name, t.index)
            qp = d["quantization_parameters"]
            assert list(qp["scales"]) == pytest.approx(t.quant.scale if t.quant else [])
            assert list(qp["zero_points"]) == (t.quant.zero_point if t.quant else [])
        assert [d["index"] for d in ref.get_input_details()] == m.inputs
        assert [d["index"] for d in ref.get_output_details()] == m.outputs


def test_signatures_are_kept_as_metadata():
    lr = litert()
    data = fixture("kws_ds_cnn_int8")
    entry = read_model(from_tflite(data)).metadata.entries["tflite.signature.serving_default"]
    ours = json.loads(entry)
    ref = lr.Interpreter(model_content=data).get_signature_list()["serving_default"]
    assert sorted(ours["inputs"]) == sorted(ref["inputs"])
    assert sorted(ours["outputs"]) == sorted(ref["outputs"])


def test_buffers_after_the_flatbuffer_import_like_inline_ones():
    m = read_tflite(fixture("buffer_offset"))
    flatbuffer_end = max(loc[0] for loc in m.buffers if loc is not None)
    assert any(loc is not None and loc[0] >= 1000 for loc in m.buffers) and flatbuffer_end > 0
    assert from_tflite(fixture("buffer_offset")) == from_tflite(fixture("multi_io"))


def test_deprecated_builtin_code_alone_is_read():
    """Files before schema 3a hold only deprecated_builtin_code (builtin_code reads 0)."""
    from tflite_fixtures import opcode_tables

    data = fixture("ops")
    patched = data
    for k in range(len(opcode_tables(data))):
        t = opcode_tables(patched)[k]
        if t.has(schema.OPERATOR_CODE["builtin_code"]):  # stored unless 0 (ADD)
            patched = patch_scalar(patched, t, schema.OPERATOR_CODE["builtin_code"], "i", 0)
    assert patched != data
    assert from_tflite(patched) == from_tflite(data)


def test_pyruntime_loads_tflite_by_path_and_content(tmp_path):
    data = fixture("multi_io_int8")
    path = tmp_path / "model.bin"  # detected by the identifier, not the extension
    path.write_bytes(data)
    rng = np.random.default_rng(1)
    a = pyruntime.Interpreter(model_path=str(path))
    b = pyruntime.Interpreter(model_content=data)
    c = pyruntime.Interpreter(model_content=from_tflite(data))
    xs = [random_input(d, rng) for d in c.get_input_details()]
    outs = [i.run(*xs) for i in (a, b, c)]
    for o in outs[1:]:
        for x, y in zip(outs[0], o, strict=True):
            np.testing.assert_array_equal(x, y)


def test_pyruntime_refuses_unsupported_tflite_with_the_import_error():
    relu_n1_to_1 = schema.BUILTIN_OPERATORS.index("RELU_N1_TO_1")
    data = set_opcode(fixture("multi_io"), opcode_index_of(fixture("multi_io"), 3), relu_n1_to_1)  # was RELU
    with pytest.raises(TFLiteImportError, match=r"operator 3 \(RELU_N1_TO_1\)"):
        pyruntime.Interpreter(model_content=data)


# ---- refusals: one line, every offending op with its index, no file ----


def test_unsupported_ops_are_all_named_in_one_line():
    data = fixture("ops")
    m = read_tflite(data)
    tanh = next(op.index for op in m.operators if op.name == "TANH")
    relu = next(op.index for op in m.operators if op.name == "RELU")
    # LSH_PROJECTION: a builtin no tensorlet op maps to (HARD_SWISH was one until it became a runtime op)
    data = set_opcode(data, opcode_index_of(data, tanh), schema.BUILTIN_OPERATORS.index("LSH_PROJECTION"))
    data = set_opcode(data, opcode_index_of(data, relu), schema.BUILTIN_OPERATORS.index("CUSTOM"))
    with pytest.raises(TFLiteImportError) as e:
        from_tflite(data)
    msg = str(e.value)
    assert "\n" not in msg
    assert f"operator {tanh} (LSH_PROJECTION)" in msg and f"operator {relu} (CUSTOM('?'))" in msg


def test_fused_tanh_is_refused_with_the_op_index():
    data = fixture("ops")
    m = read_tflite(data)
    conv = next(op.index for op in m.operators if op.name == "CONV_2D")
    from tflite_fixtures import operators

    options = operators(data)[conv].table(schema.OPERATOR["builtin_options"], "options")
    data = patch_scalar(data, options, schema.CONV_2D_OPTIONS["fused_activation_function"][0], "b", 4)
    with pytest.raises(TFLiteImportError, match=rf"operator {conv} \(CONV_2D\): fused activation TANH"):
        from_tflite(data)


def test_int16_activations_are_refused():
    data = fixture("multi_io_int8")
    from tflite_fixtures import subgraph

    t = subgraph(data).tables(schema.SUBGRAPH["tensors"], "tensors")[read_tflite(data).outputs[0]]
    data = patch_scalar(data, t, schema.TENSOR["type"], "b", schema.TENSOR_TYPES.index("INT16"))
    with pytest.raises(TFLiteImportError, match="int16 activations"):
        from_tflite(data)


@pytest.mark.parametrize(
    "data, match",
    [
        (b"", "no FlatBuffer header"),
        (b"\x00\x00\x00\x00TLM1", "file identifier"),
        (b"\x08\x00\x00\x00TFL3", "run past the end of the file"),
    ],
)
def test_malformed_files_give_one_line(data, match):
    with pytest.raises(TFLiteImportError, match=match) as e:
        from_tflite(data)
    assert "\n" not in str(e.value)


def test_truncations_all_refused_cleanly():
    data = fixture("multi_io_int8")
    for n in range(0, len(data), 7):
        with pytest.raises(TFLiteImportError):
            from_tflite(data[:n])


# ---- CLI ----


def test_cli_import_tflite(tmp_path, capsys):
    from trainer.cli import main

    src = tmp_path / "m.tflite"
    src.write_bytes(fixture("kws_ds_cnn_int8"))
    out = tmp_path / "m.tlm"
    assert main(["import-tflite", str(src), str(out)]) == 0
    assert out.read_bytes() == from_tflite(fixture("kws_ds_cnn_int8"))
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(set_opcode(fixture("multi_io"), opcode_index_of(fixture("multi_io"), 3), 20))
    assert main(["import-tflite", str(bad), str(tmp_path / "bad.tlm")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "operator 3 (RELU_N1_TO_1)" in err
    assert not (tmp_path / "bad.tlm").exists()
