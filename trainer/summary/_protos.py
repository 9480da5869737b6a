"""The TensorBoard protobufs, imported on first use from the optional ``tensorboard`` package.

Without the package (``pip install tensorlet[tensorboard]``) summaries are no-ops: the summary ops return
empty bytes and ``FileWriter`` writes nothing. One ``UserWarning`` says so, the first time it matters.
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace
from typing import Any

_protos: SimpleNamespace | None = None
_missing = False
_warned = False


def protos() -> SimpleNamespace | None:
    """``summary_pb2``, ``event_pb2``, ``graph_pb2`` ... as attributes, or None without tensorboard."""
    global _protos, _missing
    if _protos is None and not _missing:
        try:
            from tensorboard.compat.proto import (
                attr_value_pb2,
                event_pb2,
                graph_pb2,
                node_def_pb2,
                summary_pb2,
                tensor_pb2,
                tensor_shape_pb2,
                types_pb2,
            )
            from tensorboard.summary.writer.event_file_writer import EventFileWriter
        except ImportError:
            _missing = True
        else:
            _protos = SimpleNamespace(
                attr_value_pb2=attr_value_pb2,
                event_pb2=event_pb2,
                graph_pb2=graph_pb2,
                node_def_pb2=node_def_pb2,
                summary_pb2=summary_pb2,
                tensor_pb2=tensor_pb2,
                tensor_shape_pb2=tensor_shape_pb2,
                types_pb2=types_pb2,
                EventFileWriter=EventFileWriter,
            )
    if _protos is None:
        warn_missing()
    return _protos


def warn_missing() -> None:
    """Warn once per process that summaries are disabled."""
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(
            "tf.summary: the 'tensorboard' package is not installed, so summaries are no-ops and no event "
            "files are written (pip install 'tensorlet[tensorboard]')",
            UserWarning,
            stacklevel=3,
        )


def available() -> bool:
    """True when the tensorboard protobufs can be imported (does not warn)."""
    global _missing
    if _protos is not None:
        return True
    if _missing:
        return False
    try:
        import tensorboard.compat.proto.summary_pb2  # noqa: F401
    except ImportError:
        _missing = True
        return False
    return True


def _reset_for_tests(missing: bool) -> Any:
    """Pretend tensorboard is (not) importable; returns the previous state for restoring."""
    global _protos, _missing, _warned
    old = (_protos, _missing, _warned)
    if missing:
        _protos, _missing, _warned = None, True, False
    return old


def _restore_for_tests(state: Any) -> None:
    global _protos, _missing, _warned
    _protos, _missing, _warned = state
