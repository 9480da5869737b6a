"""``tf.logging``: TF1's logging calls (``tf.logging.set_verbosity(tf.logging.INFO)``, ``tf.logging.info``)
on Python's ``logging``, through the logger named ``tensorlet``.

>>> import trainer as tf
>>> tf.logging.set_verbosity(tf.logging.INFO)
>>> tf.logging.get_verbosity() == tf.logging.INFO
True
"""

from __future__ import annotations

import logging as _logging
from typing import Any

DEBUG, INFO, WARN, ERROR, FATAL = (
    _logging.DEBUG,
    _logging.INFO,
    _logging.WARNING,
    _logging.ERROR,
    _logging.FATAL,
)
WARNING = WARN

_logger = _logging.getLogger("tensorlet")
_counts: dict[Any, int] = {}


def get_logger() -> _logging.Logger:
    return _logger


def set_verbosity(v: int) -> None:
    """Log messages of level ``v`` and above (a handler to stderr is added if the logger has none)."""
    if not _logger.handlers and not _logging.getLogger().handlers:
        handler = _logging.StreamHandler()
        handler.setFormatter(_logging.Formatter("%(levelname)s:%(name)s:%(message)s"))
        _logger.addHandler(handler)
    _logger.setLevel(v)


def get_verbosity() -> int:
    return _logger.getEffectiveLevel()


def log(level: int, msg: Any, *args: Any, **kwargs: Any) -> None:
    _logger.log(level, msg, *args, **kwargs)


def debug(msg: Any, *args: Any, **kwargs: Any) -> None:
    _logger.debug(msg, *args, **kwargs)


def info(msg: Any, *args: Any, **kwargs: Any) -> None:
    _logger.info(msg, *args, **kwargs)


def warning(msg: Any, *args: Any, **kwargs: Any) -> None:
    _logger.warning(msg, *args, **kwargs)


warn = warning


def error(msg: Any, *args: Any, **kwargs: Any) -> None:
    _logger.error(msg, *args, **kwargs)


def fatal(msg: Any, *args: Any, **kwargs: Any) -> None:
    _logger.critical(msg, *args, **kwargs)


def vlog(level: int, msg: Any, *args: Any, **kwargs: Any) -> None:
    _logger.log(level, msg, *args, **kwargs)


def log_every_n(level: int, msg: Any, n: int, *args: Any) -> None:
    """Log on the 1st, (n+1)th, (2n+1)th ... call from the same place."""
    key = ("every", msg, n)
    count = _counts.get(key, 0)
    _counts[key] = count + 1
    if count % max(int(n), 1) == 0:
        _logger.log(level, msg, *args)


def log_first_n(level: int, msg: Any, n: int, *args: Any) -> None:
    """Log only the first ``n`` calls with this message."""
    key = ("first", msg, n)
    count = _counts.get(key, 0)
    _counts[key] = count + 1
    if count < int(n):
        _logger.log(level, msg, *args)
