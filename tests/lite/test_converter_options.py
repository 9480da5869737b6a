"""The Converter's TensorFlow spellings (issue #18, "Converter details"): the message for ``Optimize.DEFAULT``
without a dataset names both implemented quantizations, inference types are accepted as strings, ``tf.int8``
and numpy types alike, a representative dataset may be a generator function, a generator or an iterable (as
TensorFlow accepts), and ``import trainer as tf; tf.lite.TFLiteConverter`` is TF1's name of the Converter."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import trainer as tf
from trainer.errors import UnimplementedError
from trainer.lite import Converter, Optimize
from trainer.quant.ptq import quantize_model
from trainer.tlm import read_model


def _session():
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(3)
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        y = tf.nn.softmax(tf.layers.Dense(3)(x))
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    return sess, x, y


def _samples() -> list[list[np.ndarray]]:
    rng = np.random.default_rng(0)
    return [[rng.standard_normal((1, 4)).astype(np.float32)] for _ in range(6)]


def test_default_optimization_without_dataset_names_both_quantizations() -> None:
    sess, x, y = _session()
    conv = Converter.from_session(sess, [x], [y])
    conv.optimizations = [Optimize.DEFAULT]
    with pytest.raises(UnimplementedError, match="float16") as err:
        conv.convert()
    assert "representative_dataset" in str(err.value) and "supported_types" in str(err.value)
    # the fix the message names works: float16 weights, half the float32 weight bytes
    conv.target_spec.supported_types = [tf.float16]
    half = read_model(conv.convert())
    full = read_model(Converter.from_session(sess, [x], [y]).convert())
    w16 = [t for t in half.tensors if t.data is not None and t.data.dtype == np.float16]
    w32 = [t for t in full.tensors if t.data is not None and t.name == w16[0].name]
    assert w16 and w16[0].data.nbytes * 2 == w32[0].data.nbytes


@pytest.mark.parametrize("spelling", ["int8", tf.int8, np.int8, np.dtype("int8")])
def test_inference_types_in_any_spelling(spelling) -> None:
    sess, x, y = _session()
    data = Converter.from_session(sess, [x], [y]).convert()
    want = quantize_model(data, _samples, inference_input_type="int8", inference_output_type="int8")
    got = quantize_model(data, _samples, inference_input_type=spelling, inference_output_type=spelling)
    assert got == want
    m = read_model(got)
    assert m.tensors[m.inputs[0]].dtype == np.int8 and m.tensors[m.outputs[0]].dtype == np.int8
    conv = Converter.from_session(sess, [x], [y])
    conv.optimizations = [Optimize.DEFAULT]
    conv.representative_dataset = _samples
    conv.inference_input_type = conv.inference_output_type = spelling
    assert conv.convert() == want


def test_bad_inference_type_is_one_clear_error() -> None:
    sess, x, y = _session()
    data = Converter.from_session(sess, [x], [y]).convert()
    with pytest.raises(ValueError, match="inference_input_type must be float32 or int8"):
        quantize_model(data, _samples, inference_input_type=np.int16)


def test_representative_dataset_as_function_generator_or_iterable() -> None:
    sess, x, y = _session()
    data = Converter.from_session(sess, [x], [y]).convert()

    def gen():
        yield from _samples()

    want = quantize_model(data, gen)
    assert quantize_model(data, gen()) == want  # a generator (TF accepts it too)
    assert quantize_model(data, _samples()) == want  # a list of samples
    conv = Converter.from_session(sess, [x], [y])
    conv.optimizations = [Optimize.DEFAULT]
    conv.representative_dataset = gen()
    assert conv.convert() == want
    with pytest.raises(TypeError, match="representative_dataset must be a generator function"):
        quantize_model(data, 42)


def test_tf_lite_is_reachable_from_import_trainer_as_tf() -> None:
    # a fresh interpreter: in this process another test may already have imported trainer.lite
    code = (
        "import trainer as tf\n"
        "conv, opt = tf.lite.TFLiteConverter, tf.lite.Optimize\n"
        "import trainer.lite.converter as c\n"
        "assert conv is c.Converter and opt.DEFAULT == 'DEFAULT'\n"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "ok", out.stderr
