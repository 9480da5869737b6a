"""``tf.train``: optimizers, learning rate decay, the global step and checkpoints (TF1 names).

>>> import trainer as tf
>>> x = tf.Variable([1.0, -2.0])
>>> train_op = tf.train.AdamOptimizer(0.1).minimize(tf.reduce_sum(tf.square(x)))
>>> saver = tf.train.Saver()
"""

from trainer.train.checkpoint_utils import (
    CheckpointReader,
    NewCheckpointReader,
    init_from_checkpoint,
    load_variable,
)
from trainer.train.checkpoint_utils import load_checkpoint_reader as load_checkpoint
from trainer.train.global_step import (
    create_global_step,
    get_global_step,
    get_or_create_global_step,
    increment_global_step,
)
from trainer.train.learning_rate_decay import (
    cosine_decay,
    exponential_decay,
    inverse_time_decay,
    natural_exp_decay,
    piecewise_constant,
    polynomial_decay,
)
from trainer.train.meta_graph import export_meta_graph, import_meta_graph
from trainer.train.moving_averages import ExponentialMovingAverage
from trainer.train.optimizer import (
    AdadeltaOptimizer,
    AdagradOptimizer,
    AdamOptimizer,
    GradientDescentOptimizer,
    MomentumOptimizer,
    Optimizer,
    RMSPropOptimizer,
)
from trainer.train.saver import (
    CheckpointState,
    Saver,
    checkpoint_exists,
    get_checkpoint_state,
    latest_checkpoint,
    list_variables,
    update_checkpoint_state,
)

__all__ = [
    "AdadeltaOptimizer",
    "AdagradOptimizer",
    "AdamOptimizer",
    "CheckpointReader",
    "CheckpointState",
    "ExponentialMovingAverage",
    "GradientDescentOptimizer",
    "MomentumOptimizer",
    "NewCheckpointReader",
    "Optimizer",
    "RMSPropOptimizer",
    "Saver",
    "checkpoint_exists",
    "cosine_decay",
    "create_global_step",
    "export_meta_graph",
    "exponential_decay",
    "get_checkpoint_state",
    "get_global_step",
    "get_or_create_global_step",
    "import_meta_graph",
    "increment_global_step",
    "init_from_checkpoint",
    "inverse_time_decay",
    "latest_checkpoint",
    "list_variables",
    "load_checkpoint",
    "load_variable",
    "natural_exp_decay",
    "piecewise_constant",
    "polynomial_decay",
    "update_checkpoint_state",
]
