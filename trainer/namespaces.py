"""The TF 1.13+ sub-namespaces that alias top-level names: ``tf.math``, ``tf.random``, ``tf.debugging``,
``tf.linalg`` and ``tf.quantization`` (``tf.math.log`` is ``tf.log``, ``tf.random.normal`` is
``tf.random_normal``, ...). Each is a module object holding the same functions; a name it lacks raises
``AttributeError`` naming the namespace.

>>> import trainer as tf
>>> tf.math.log is tf.log and tf.random.uniform is tf.random_uniform
True
"""

from __future__ import annotations

import types
from typing import Any


def _namespace(name: str, doc: str, names: dict[str, Any]) -> types.ModuleType:
    mod = types.ModuleType(f"trainer.{name}", doc)
    for k, v in names.items():
        setattr(mod, k, v)
    mod.__all__ = sorted(names)
    return mod


def build(tf: Any) -> dict[str, types.ModuleType]:
    """The namespaces over the top-level module ``tf`` (called once ``trainer`` has imported its API)."""

    def pick(*names: str, **renamed: str) -> dict[str, Any]:
        out = {n: getattr(tf, n) for n in names if hasattr(tf, n)}
        out.update({k: getattr(tf, v) for k, v in renamed.items() if hasattr(tf, v)})
        return out

    math = pick(
        "abs",
        "acos",
        "add",
        "add_n",
        "argmax",
        "argmin",
        "asin",
        "atan",
        "atan2",
        "ceil",
        "cos",
        "cosh",
        "count_nonzero",
        "cumprod",
        "cumsum",
        "divide",
        "equal",
        "exp",
        "expm1",
        "floor",
        "floordiv",
        "floormod",
        "greater",
        "greater_equal",
        "is_finite",
        "is_inf",
        "is_nan",
        "less",
        "less_equal",
        "log",
        "log1p",
        "logical_and",
        "logical_not",
        "logical_or",
        "logical_xor",
        "maximum",
        "minimum",
        "multiply",
        "negative",
        "not_equal",
        "pow",
        "reciprocal",
        "reduce_all",
        "reduce_any",
        "reduce_logsumexp",
        "reduce_max",
        "reduce_mean",
        "reduce_min",
        "reduce_prod",
        "reduce_sum",
        "rint",
        "round",
        "rsqrt",
        "segment_mean",
        "segment_sum",
        "sign",
        "sin",
        "sinh",
        "sqrt",
        "square",
        "squared_difference",
        "subtract",
        "tan",
        "truediv",
        "unsorted_segment_mean",
        "unsorted_segment_sum",
        mod="floormod",
        sigmoid="sigmoid",
        tanh="tanh",
        top_k="_top_k",
    )
    math["top_k"] = tf.nn.top_k
    math["in_top_k"] = tf.nn.in_top_k
    math["l2_normalize"] = tf.nn.l2_normalize
    math["softplus"] = tf.nn.softplus
    math["log_sigmoid"] = tf.nn.log_sigmoid
    random = pick(
        "set_random_seed",
        "multinomial",
        "random_shuffle",
        normal="random_normal",
        uniform="random_uniform",
        truncated_normal="truncated_normal",
        shuffle="random_shuffle",
        categorical="multinomial",
    )
    random["set_seed"] = tf.set_random_seed
    random["log_uniform_candidate_sampler"] = tf.nn.log_uniform_candidate_sampler
    random["uniform_candidate_sampler"] = tf.nn.uniform_candidate_sampler
    debugging = pick(
        "Assert",
        "assert_equal",
        "assert_greater",
        "assert_greater_equal",
        "assert_less",
        "assert_less_equal",
        "assert_negative",
        "assert_non_negative",
        "assert_positive",
        "is_finite",
        "is_inf",
        "is_nan",
    )
    linalg = pick(
        "einsum",
        "eye",
        "matmul",
        "norm",
        "trace",
        det="matrix_determinant",
        inv="matrix_inverse",
        diag="matrix_diag",
        diag_part="matrix_diag_part",
        transpose="matrix_transpose",
    )
    linalg["l2_normalize"] = tf.nn.l2_normalize
    quantization = pick(
        "fake_quant_with_min_max_args",
        "fake_quant_with_min_max_vars",
        "fake_quant_with_min_max_vars_per_channel",
    )
    return {
        "math": _namespace("math", "tf.math: math functions (aliases of the top-level names).", math),
        "random": _namespace("random", "tf.random: random ops (aliases of the top-level names).", random),
        "debugging": _namespace("debugging", "tf.debugging: run-time assertions.", debugging),
        "linalg": _namespace("linalg", "tf.linalg: linear algebra (aliases of the top-level names).", linalg),
        "quantization": _namespace(
            "quantization", "tf.quantization: fake quantization (top-level names).", quantization
        ),
    }
