"""Op families. Importing this package registers every op type (one stanza per op in each module).

``trainer/ops/training.py`` (optimizer update ops) is registered by ``trainer.train`` when it is imported.
"""

from trainer.ops import (  # noqa: F401 - imported for their registrations
    array_ops,
    control_ops,
    conv_ops,
    math_ops,
    nn_ops,
    random_ops,
    state_ops,
)
