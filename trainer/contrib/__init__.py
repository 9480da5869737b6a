"""``tf.contrib``: the few contrib modules classic TF1 programs use, each a submodule imported on first use.

``tf.contrib.layers`` (initializers, ``flatten``, ``fully_connected``, regularizers) and, where present,
``tf.contrib.rnn``. An attribute that is not a submodule raises AttributeError naming what exists.

>>> import trainer as tf
>>> init = tf.contrib.layers.xavier_initializer()
>>> w = tf.get_variable("w", [3, 4], initializer=init)
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def _submodules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def __getattr__(name: str) -> ModuleType:
    if name.startswith("_") or name not in _submodules():
        raise AttributeError(
            f"tf.contrib has no module {name!r} in tensorlet (available: {', '.join(_submodules())})"
        )
    module = importlib.import_module(f"{__name__}.{name}")
    globals()[name] = module
    return module


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_submodules()))
