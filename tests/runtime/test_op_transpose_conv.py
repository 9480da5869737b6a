"""TransposeConv beyond the registry-driven cases (tests/op_cases/transpose_conv.py): the optimized GEMM +
col2im path at every kernel level this CPU has against the reference kernel, float16 weights, the rejections
of prepare with their statuses, the work charged, and TF1 graphs (``tf.nn.conv2d_transpose``,
``tf.layers.conv2d_transpose`` with bias and activation) exported and run against the session."""

from __future__ import annotations

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

import trainer as tf
from trainer.lite import Converter
from trainer.runtime_ops.transpose_conv import transpose_conv
from trainer.tlm import ModelBuilder, read_model
from trainer.tlm.builder import Quantization

LEVELS = ("portable", "neon", "avx2", "avx512")


@pytest.fixture(scope="module")
def pyrt():
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def _model(x_shape, w, y_shape, bias=None, dtype=np.float32, quant=(None, None, None), **opts) -> bytes:
    options = {"padding": "SAME", "stride_h": 2, "stride_w": 2, "activation": "NONE", **opts}
    b = ModelBuilder()
    x = b.add_input("x", dtype, list(x_shape), quantization=quant[0])
    ins = [x, b.add_constant("w", w, quantization=quant[1])]
    if bias is not None:
        ins.append(b.add_constant("bias", bias))
    y = b.add_tensor("y", dtype, list(y_shape), quantization=quant[2])
    b.add_op("TransposeConv", ins, [y], **options)
    b.mark_output(y)
    return b.finish()


@pytest.mark.parametrize(
    "x_shape, kernel, out_c, stride, padding, out_hw",
    [
        ((1, 16, 16, 32), 4, 16, 2, "SAME", (32, 32)),  # the autoencoder's upsampling: several GEMM blocks
        ((2, 7, 5, 3), 3, 37, 2, "VALID", (15, 11)),  # columns past a panel, a batch of 2
        ((1, 9, 9, 8), 3, 8, 1, "SAME", (9, 9)),
        ((1, 4, 4, 5), 2, 3, 3, "VALID", (12, 12)),  # stride > kernel: outputs no tap reaches
    ],
)
def test_every_level_matches_the_reference_kernel(
    pyrt, x_shape, kernel, out_c, stride, padding, out_hw
) -> None:
    rng = np.random.default_rng(6)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal((out_c, kernel, kernel, x_shape[3])).astype(np.float32)
    bias = rng.standard_normal(out_c).astype(np.float32)
    y_shape = (x_shape[0], *out_hw, out_c)
    want = transpose_conv(x, w, bias, y_shape, (stride, stride), padding, "RELU6")
    opts = {"padding": padding, "stride_h": stride, "stride_w": stride, "activation": "RELU6"}
    data = _model(x_shape, w, y_shape, bias, **opts)
    ref = pyrt.Interpreter(model_content=data, kernels="reference").run(x)[0]
    assert float(np.abs(ref - want).max()) <= 1e-5 * float(np.abs(want).max())
    levels = 0
    for level in LEVELS:
        try:
            interp = pyrt.Interpreter(model_content=data, kernels=level)
        except pyrt.TensorletRuntimeError:  # not on this CPU
            continue
        levels += 1
        got = interp.run(x)[0]
        assert float(np.abs(got - want).max()) <= 1e-5 * float(np.abs(want).max()), level
        threaded = pyrt.Interpreter(model_content=data, kernels=level, num_threads=2).run(x)[0]
        assert threaded.tobytes() == got.tobytes(), level
    assert levels >= 1


def test_float16_weights_are_expanded(pyrt) -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 3, 3, 4)).astype(np.float32)
    w16 = rng.standard_normal((2, 3, 3, 4)).astype(np.float16)
    want = transpose_conv(x, w16.astype(np.float32), None, (1, 6, 6, 2), (2, 2), "SAME")
    for kernels in ("reference", None):
        got = pyrt.Interpreter(model_content=_model(x.shape, w16, (1, 6, 6, 2)), kernels=kernels).run(x)[0]
        assert float(np.abs(got - want).max()) <= 1e-5 * float(np.abs(want).max())


def test_prepare_rejections(pyrt) -> None:
    w = np.ones((2, 3, 3, 4), np.float32)
    cases = [
        (_model([1, 3, 3, 4], w, [1, 7, 6, 2]), "gives 4 x 3, not the input"),  # SAME, stride 2: ceil(7 / 2)
        (_model([1, 3, 3, 5], w, [1, 6, 6, 2]), "are not \\[2, kh, kw, 5\\]"),
        (_model([1, 3, 3, 4], w, [1, 6, 6, 3]), "are not \\[3, kh, kw, 4\\]"),
        (
            _model([1, 3, 3, 4], w, [1, 6, 6, 2], bias=np.ones(3, np.float32)),
            "bias shape \\[3\\] is not \\[2\\]",
        ),
        (_model([1, 3, 3, 4], w, [1, 2, 2, 2], padding="VALID"), "height"),  # a window larger than the output
    ]
    for data, pattern in cases:
        with pytest.raises(pyrt.TensorletRuntimeError, match=pattern) as e:
            pyrt.Interpreter(model_content=data).allocate_tensors()
        assert e.value.status_name == "TL_ERROR_BAD_SHAPE"
        assert "(TransposeConv)" in str(e.value)
    wq = Quantization([0.1, 0.2], [0, 3], axis=0)  # an asymmetric weight zero point
    q = (Quantization(0.1, 0), wq, Quantization(0.2, 0))
    w8 = np.ones((2, 3, 3, 4), np.int8)
    with pytest.raises(pyrt.TensorletRuntimeError, match="symmetric") as e:
        pyrt.Interpreter(
            model_content=_model([1, 3, 3, 4], w8, [1, 6, 6, 2], dtype=np.int8, quant=q)
        ).allocate_tensors()
    assert e.value.status_name == "TL_ERROR_BAD_QUANTIZATION"


def test_work_is_charged_per_multiply_add(pyrt) -> None:
    # TL_WORK_PER_OP + ceil(outputs x (ceil(macs / outputs) + 1) x weight / 16), weights 32 / 48 (Conv2D's):
    # 9 input pixels x 9 taps x 4 x 2 = 648 multiply-adds over 72 outputs: 9 per output
    w = np.ones((2, 3, 3, 4), np.float32)
    f = pyrt.Interpreter(model_content=_model([1, 3, 3, 4], w, [1, 6, 6, 2]))
    f.allocate_tensors()
    q = (Quantization(0.1, 0), Quantization(0.1, 0), Quantization(0.2, 0))
    i = pyrt.Interpreter(
        model_content=_model([1, 3, 3, 4], w.astype(np.int8), [1, 6, 6, 2], dtype=np.int8, quant=q)
    )
    i.allocate_tensors()
    assert i.work - f.work == 72 * 10 * 48 // 16 - 72 * 10 * 32 // 16


def test_tf1_decoder_exports_and_matches_the_session(pyrt) -> None:
    """tf.layers.conv2d_transpose (bias, relu; 'same', stride 2) then tf.nn.conv2d_transpose ('valid')."""
    rng = np.random.default_rng(12)
    g = tf.Graph()
    with g.as_default():
        z = tf.placeholder(tf.float32, [None, 4, 4, 6], name="z")
        h = tf.layers.conv2d_transpose(z, 8, 3, strides=2, padding="same", activation=tf.nn.relu)
        w = tf.constant(rng.standard_normal((2, 2, 1, 8)).astype(np.float32))
        out = tf.nn.conv2d_transpose(h, w, [2, 16, 16, 1], [1, 2, 2, 1], "VALID")
        init = tf.global_variables_initializer()
    zs = rng.standard_normal((2, 4, 4, 6)).astype(np.float32)
    with tf.Session(graph=g) as sess:
        sess.run(init)
        want = sess.run(out, {z: zs})
        conv = Converter.from_session(sess, [z], [out])
        conv.batch_size = 2
        data = conv.convert()
    assert [op.opcode for op in read_model(data).ops].count("TransposeConv") == 2
    for kernels in ("reference", None):
        got = pyrt.Interpreter(model_content=data, kernels=kernels).run(zs)[0]
        assert got.shape == want.shape
        assert float(np.abs(got - want).max()) <= 1e-5 * float(np.abs(want).max())
