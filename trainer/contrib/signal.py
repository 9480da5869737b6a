"""``tf.contrib.signal``: the TF 1.x home of :mod:`trainer.signal` (same functions)."""

from trainer.signal import *  # noqa: F403
from trainer.signal import __all__  # noqa: F401
