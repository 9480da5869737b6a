"""BatchNormalization over the channel (last) axis, with moving statistics updated through UPDATE_OPS.

Training (``training=True`` or a bool Tensor that is true): normalize with the batch mean and (biased)
variance and build the moving-average updates
``moving -= (moving - batch_stat) * (1 - momentum)``, added to ``tf.GraphKeys.UPDATE_OPS`` exactly like
TF1, so the training op must depend on them::

    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    with tf.control_dependencies(update_ops):
        train_op = optimizer.minimize(loss)

Inference (``training=False``): normalize with ``moving_mean`` / ``moving_variance``.
``y = gamma * (x - mean) / sqrt(var + epsilon) + beta``.
"""

from __future__ import annotations

from typing import Any

from trainer.errors import InvalidArgumentError
from trainer.graph import GraphKeys, add_to_collection, name_scope
from trainer.layers.base import Layer, as_float_flag, is_training_tensor
from trainer.ops.array_ops import constant
from trainer.ops.nn_ops import batch_normalization, moments


class BatchNormalization(Layer):
    _base_name = "batch_normalization"

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        trainable: bool = True,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(name, trainable, dtype)
        if not 0.0 <= float(momentum) <= 1.0:
            raise InvalidArgumentError(f"BatchNormalization: momentum must be in [0, 1], got {momentum}")
        if float(epsilon) <= 0.0:
            raise InvalidArgumentError(f"BatchNormalization: epsilon must be positive, got {epsilon}")
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = beta_initializer
        self.gamma_initializer = gamma_initializer
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer
        self.beta_regularizer = beta_regularizer
        self.gamma_regularizer = gamma_regularizer
        self.gamma: Any = None
        self.beta: Any = None
        self.moving_mean: Any = None
        self.moving_variance: Any = None

    def build(self, input_shape: Any) -> None:
        rank = input_shape.ndims
        if rank is None or rank < 2:
            raise InvalidArgumentError(
                f"BatchNormalization {self.name}: input needs a known rank >= 2, got {input_shape}"
            )
        if self.axis not in (-1, rank - 1):
            raise InvalidArgumentError(
                f"BatchNormalization {self.name}: only the last axis (channels_last) is supported, got "
                f"axis={self.axis} for rank {rank}"
            )
        self.axis = rank - 1
        channels = input_shape.dims[-1]
        if channels is None:
            raise InvalidArgumentError(
                f"BatchNormalization {self.name}: unknown channel count in {input_shape}"
            )
        c = [int(channels)]
        if self.scale:
            self.gamma = self.add_weight("gamma", c, self.gamma_initializer, self.gamma_regularizer)
        if self.center:
            self.beta = self.add_weight("beta", c, self.beta_initializer, self.beta_regularizer)
        self.moving_mean = self.add_weight("moving_mean", c, self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight(
            "moving_variance", c, self.moving_variance_initializer, trainable=False
        )

    def call(self, inputs: Any, training: Any = False) -> Any:
        mm, mv = self.moving_mean.value(), self.moving_variance.value()
        gamma = self.gamma.value() if self.scale else None
        beta = self.beta.value() if self.center else None
        if training is False or training is None:
            return batch_normalization(inputs, mm, mv, beta, gamma, self.epsilon)
        if training is not True and not is_training_tensor(training):
            raise InvalidArgumentError(
                f"BatchNormalization {self.name}: training must be a bool or bool Tensor"
            )
        axes = list(range(inputs.shape.ndims - 1))
        mean, var = moments(inputs, axes)
        decay = constant(1.0 - self.momentum, dtype=inputs.dtype)
        if training is not True:  # a bool tensor: blend, and scale the update by 0 or 1
            t = as_float_flag(training, inputs.dtype)
            one_minus_t = constant(1.0, dtype=inputs.dtype) - t
            mean = t * mean + one_minus_t * mm
            var = t * var + one_minus_t * mv
            decay = decay * t
        with name_scope("AssignMovingAvg"):
            upd_mean = self.moving_mean.assign_sub((mm - mean) * decay)
        with name_scope("AssignMovingAvg_1"):
            upd_var = self.moving_variance.assign_sub((mv - var) * decay)
        for u in (upd_mean, upd_var):
            self.updates.append(u)
            add_to_collection(GraphKeys.UPDATE_OPS, u)
        return batch_normalization(inputs, mean, var, beta, gamma, self.epsilon)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
        }
