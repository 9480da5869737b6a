"""Session configuration objects (``tf.ConfigProto``, ``tf.GPUOptions``): fields are stored as given.

``device_count``, ``allow_soft_placement`` and ``log_device_placement`` are read by the placement engine.
"""

from __future__ import annotations

from typing import Any


class _Fields:
    _defaults: dict[str, Any] = {}

    def __init__(self, **kwargs: Any) -> None:
        for k, v in self._defaults.items():
            setattr(self, k, dict(v) if isinstance(v, dict) else v)
        for k, v in kwargs.items():
            setattr(self, k, v)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"


class GPUOptions(_Fields):
    _defaults = {"allow_growth": False, "per_process_gpu_memory_fraction": 1.0, "visible_device_list": ""}


class ConfigProto(_Fields):
    _defaults = {
        "device_count": {},
        "allow_soft_placement": False,
        "log_device_placement": False,
        "intra_op_parallelism_threads": 0,
        "inter_op_parallelism_threads": 0,
        "gpu_options": None,
    }


class RunOptions(_Fields):
    # TF1's trace levels (accepted; the trainer records no step stats)
    NO_TRACE, SOFTWARE_TRACE, HARDWARE_TRACE, FULL_TRACE = 0, 1, 2, 3
    _defaults = {"trace_level": 0}


class RunMetadata(_Fields):
    pass
