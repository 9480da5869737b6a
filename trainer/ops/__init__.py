"""Op families. Importing this package registers every op type (one stanza per op in each module).

``trainer/ops/training.py`` (optimizer update ops) is registered by ``trainer.train`` when it is imported,
``trainer/ops/comm_ops.py`` (``_Send``/``_Recv``/``MPIAllreduce``) by ``trainer.partition``. No module
here imports anything above the graph: the op modules install what the graph core needs from them
(operators, value conversion) at import.
"""

from trainer.ops import (  # noqa: F401 - imported for their registrations
    activation_ops,
    array_extras,
    array_ops,
    candidate_sampling,
    check_ops,
    clip_ops,
    control_flow,
    control_ops,
    conv1d_ops,
    conv_ops,
    einsum_ops,
    fake_quant_ops,
    functional_ops,
    image_ops,
    index_ops,
    linalg_ops,
    logging_ops,
    math_composites,
    math_ops,
    nn_ops,
    random_ops,
    sampling_ops,
    scan_ops,
    script_ops,
    segment_ops,
    sequence_ops,
    state_ops,
    tensor_array,
    unary_math_ops,
    variable_checks,
)
