"""tensorlet trainer: TensorFlow 1 graph mode on numpy. ``import trainer as tf`` runs classic TF1 programs.

>>> import trainer as tf
>>> x = tf.placeholder(tf.float32, [None, 3])
>>> w = tf.Variable(tf.ones([3, 1]))
>>> y = tf.matmul(x, w)
>>> with tf.Session() as sess:
...     sess.run(tf.global_variables_initializer())
...     print(sess.run(y, {x: [[1, 2, 3]]}))
[[6.]]

Sub-packages: ``tf.nn``, ``tf.losses``, ``tf.train`` (optimizers, Saver), ``tf.layers``, ``tf.datasets``,
``tf.errors``, ``tf.summary``, ``tf.contrib``, ``tf.app``, ``tf.flags``, ``tf.gfile``, ``tf.logging``
(docs/tf1_compat.md has the list).
The model-file package ``trainer.tlm`` is not imported here.
"""

# ruff: noqa: F401 - this module re-exports the public API

from trainer import (  # ops registers every op type; nn and losses are public namespaces
    dtypes,
    errors,
    losses,
    nn,
    ops,
)
from trainer.config import ConfigProto, GPUOptions, RunMetadata, RunOptions
from trainer.device_spec import DeviceSpec
from trainer.dtypes import (
    DType,
    as_dtype,
    bool,  # noqa: A004
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    string,
    uint8,
)
from trainer.gradients import AggregationMethod, gradients
from trainer.graph import (
    AUTO_REUSE,
    Graph,
    GraphKeys,
    Operation,
    Tensor,
    VariableScope,
    add_to_collection,
    add_to_collections,
    colocate_with,
    control_dependencies,
    convert_to_tensor,
    device,
    get_collection,
    get_collection_ref,
    get_default_graph,
    get_variable_scope,
    name_scope,
    reset_default_graph,
    variable_scope,
)
from trainer.ops.array_extras import (
    bincount,
    check_numerics,
    clip_by_average_norm,
    confusion_matrix,
    depth_to_space,
    dynamic_partition,
    dynamic_stitch,
    identity_n,
    invert_permutation,
    matrix_band_part,
    random_crop,
    reverse,
    reverse_v2,
    scatter_nd_update,
    setdiff1d,
    shape_n,
    space_to_depth,
    sparse_to_dense,
    verify_tensor_all_finite,
    where_v2,
)
from trainer.ops.array_ops import (
    broadcast_to,
    concat,
    constant,
    expand_dims,
    fill,
    gather,
    identity,
    one_hot,
    ones,
    ones_like,
    pad,
    placeholder,
    placeholder_with_default,
    rank,
    reshape,
    shape,
    size,
    slice,  # noqa: A004
    split,
    squeeze,
    stack,
    stop_gradient,
    strided_slice,
    tile,
    transpose,
    unstack,
    zeros,
    zeros_like,
)
from trainer.ops.check_ops import (
    Assert,
    assert_equal,
    assert_greater,
    assert_greater_equal,
    assert_less,
    assert_less_equal,
    assert_negative,
    assert_non_negative,
    assert_positive,
)
from trainer.ops.clip_ops import clip_by_global_norm, clip_by_norm, clip_by_value, global_norm
from trainer.ops.control_flow import case, cond, while_loop
from trainer.ops.control_ops import group, no_op, tuple  # noqa: A004
from trainer.ops.einsum_ops import einsum
from trainer.ops.fake_quant_ops import (
    fake_quant_with_min_max_args,
    fake_quant_with_min_max_vars,
    fake_quant_with_min_max_vars_per_channel,
)
from trainer.ops.functional_ops import foldl, foldr, map_fn, scan
from trainer.ops.index_ops import gather_nd, range, scatter_nd, sequence_mask, unique  # noqa: A004
from trainer.ops.linalg_ops import (
    diag,
    diag_part,
    eye,
    matrix_determinant,
    matrix_diag,
    matrix_diag_part,
    matrix_inverse,
)
from trainer.ops.logging_ops import Print, print  # noqa: A004
from trainer.ops.math_composites import (
    argsort,
    boolean_mask,
    lin_space,
    linspace,
    logical_xor,
    matrix_transpose,
    meshgrid,
    norm,
    reduce_logsumexp,
    sort,
    tensordot,
    to_double,
    trace,
)
from trainer.ops.math_ops import (
    abs,  # noqa: A004
    add,
    add_n,
    argmax,
    argmin,
    cast,
    count_nonzero,
    div,
    divide,
    equal,
    exp,
    floor,
    floordiv,
    floormod,
    greater,
    greater_equal,
    less,
    less_equal,
    log,
    logical_and,
    logical_not,
    logical_or,
    matmul,
    maximum,
    minimum,
    mod,
    multiply,
    neg,
    negative,
    not_equal,
    pow,  # noqa: A004
    reciprocal,
    reduce_all,
    reduce_any,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_sum,
    rsqrt,
    sign,
    sqrt,
    square,
    squared_difference,
    subtract,
    to_float,
    to_int32,
    to_int64,
    truediv,
    where,
)
from trainer.ops.nn_ops import sigmoid, tanh
from trainer.ops.random_ops import random_normal, random_uniform, truncated_normal
from trainer.ops.sampling_ops import multinomial, random_shuffle
from trainer.ops.scan_ops import cumprod, cumsum, reduce_prod
from trainer.ops.script_ops import py_func
from trainer.ops.segment_ops import segment_mean, segment_sum, unsorted_segment_mean, unsorted_segment_sum
from trainer.ops.sequence_ops import reverse_sequence
from trainer.ops.state_ops import assign, assign_add, assign_sub, scatter_add, scatter_sub, scatter_update
from trainer.ops.tensor_array import TensorArray
from trainer.ops.unary_math_ops import (
    acos,
    asin,
    atan,
    atan2,
    ceil,
    cos,
    cosh,
    expm1,
    is_finite,
    is_inf,
    is_nan,
    log1p,
    rint,
    round,  # noqa: A004
    sin,
    sinh,
    tan,
)
from trainer.ops.variable_checks import (
    assert_variables_initialized,
    is_variable_initialized,
    model_variables,
    moving_average_variables,
    report_uninitialized_variables,
)
from trainer.random_seed import set_random_seed
from trainer.session import InteractiveSession, Session, get_default_session
from trainer.templates import make_template
from trainer.tensor_shape import Dimension, TensorShape
from trainer.variables import (
    Variable,
    all_variables,
    get_variable,
    global_variables,
    global_variables_initializer,
    initialize_all_variables,
    local_variables,
    local_variables_initializer,
    trainable_variables,
    variables_initializer,
)

newaxis = None
sub = subtract
mul = multiply

# The optimizer, layer, dataset and initializer packages build on the core above, so they come last; with
# them the TF1 programs' tools: summaries for TensorBoard, contrib (submodules load on first use), app, flags.
from trainer import (  # noqa: E402
    app,
    contrib,
    data,
    datasets,
    flags,
    gfile,
    image,
    initializers,
    layers,
    metrics,
    regularizers,
    signal,
    summary,
    train,
)
from trainer import tf_logging as logging  # noqa: E402 - tf.logging (trainer/logging.py would shadow the stdlib)
from trainer.initializers import (  # noqa: E402
    constant_initializer,
    glorot_normal_initializer,
    glorot_uniform_initializer,
    ones_initializer,
    orthogonal_initializer,
    random_normal_initializer,
    random_uniform_initializer,
    truncated_normal_initializer,
    variance_scaling_initializer,
    zeros_initializer,
)

# tf.math, tf.random, tf.debugging, tf.linalg, tf.quantization: TF 1.13+ aliases of the names above.
from trainer.namespaces import build as _build_namespaces  # noqa: E402

globals().update(_build_namespaces(__import__("trainer")))
del _build_namespaces

# Deprecated spellings TF 1.15 still had.
arg_max = argmax
arg_min = argmin
initialize_local_variables = local_variables_initializer


def __getattr__(name: str):
    """``tf.lite`` (the converter package, imported on first use: it costs a fifth of a second)."""
    if name == "lite":
        import importlib

        return importlib.import_module("trainer.lite")
    raise AttributeError(f"module 'trainer' has no attribute {name!r}")
