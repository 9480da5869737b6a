"""``tf.summary.FileWriter``: TensorBoard event files (``events.out.tfevents.*``) in a log directory.

The record format and the event protobuf are the ``tensorboard`` package's own (its ``EventFileWriter``), so
TensorBoard and its ``EventAccumulator`` read what we write. Without the package the writer is a no-op.

>>> import tempfile, trainer as tf
>>> x = tf.placeholder(tf.float32, [])
>>> merged = tf.summary.merge([tf.summary.scalar("x", x)])
>>> with tempfile.TemporaryDirectory() as logdir, tf.Session() as sess:
...     with tf.summary.FileWriter(logdir, sess.graph) as writer:
...         for step in range(3):
...             writer.add_summary(sess.run(merged, {x: step * 0.5}), global_step=step)
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from trainer.errors import InvalidArgumentError
from trainer.graph import Graph
from trainer.summary._protos import protos
from trainer.summary.graph_def import node_defs_to_graph_def, to_graph_def


class FileWriter:
    """Writes ``Summary`` protobufs, the graph and session-log events to an event file in ``logdir``.

    ``graph`` (optional) is written at once, for TensorBoard's graph tab. Events are queued and written by
    a background thread every ``flush_secs`` seconds, when ``max_queue`` are pending, on :meth:`flush` and
    on :meth:`close`.
    """

    def __init__(
        self,
        logdir: str | os.PathLike[str],
        graph: Graph | None = None,
        max_queue: int = 10,
        flush_secs: float = 120,
        graph_def: Any = None,
        filename_suffix: str | None = None,
        session: Any = None,
    ) -> None:
        self._logdir = os.fspath(logdir)
        self._pb = protos()
        self._writer: Any = None
        self._closed = False
        if self._pb is not None:
            self._writer = self._pb.EventFileWriter(
                self._logdir, max_queue, flush_secs, filename_suffix or ""
            )
        if graph is not None or graph_def is not None:
            self.add_graph(graph, graph_def=graph_def)

    def get_logdir(self) -> str:
        return self._logdir

    def _add_event(self, event: Any, step: Any = None) -> None:
        if self._closed:
            raise InvalidArgumentError(f"FileWriter for {self._logdir!r} is closed")
        if self._writer is None:
            return
        event.wall_time = time.time()
        if step is not None:
            event.step = int(step)
        self._writer.add_event(event)

    def add_summary(self, summary: Any, global_step: Any = None) -> None:
        """Write a summary: the bytes ``sess.run`` returned for a summary op, or a ``Summary`` protobuf."""
        if self._writer is None:
            return
        pb = self._pb
        if isinstance(summary, np.ndarray) and summary.dtype == object and summary.size == 1:
            summary = summary.item()
        if isinstance(summary, (bytes, bytearray, memoryview)):
            summary = pb.summary_pb2.Summary.FromString(bytes(summary))
        elif not isinstance(summary, pb.summary_pb2.Summary):
            raise InvalidArgumentError(
                f"add_summary takes a summary op's bytes or a Summary proto, got {type(summary).__name__}"
            )
        self._add_event(pb.event_pb2.Event(summary=summary), global_step)

    def add_graph(self, graph: Graph | None = None, global_step: Any = None, graph_def: Any = None) -> None:
        """Write ``graph`` (our Graph), a ready ``GraphDef``, or ``Session.graph_def`` (node dicts) for
        TensorBoard's graph tab."""
        if self._writer is None:
            return
        if isinstance(graph, list):  # Session.graph_def passed where TF1 takes a graph (older programs)
            graph, graph_def = None, graph
        if isinstance(graph_def, list):
            graph_def = node_defs_to_graph_def(graph_def, self._pb)
        if graph_def is None:
            if graph is None:
                raise InvalidArgumentError("add_graph needs a graph or a graph_def")
            graph_def = to_graph_def(graph, self._pb)
        self._add_event(self._pb.event_pb2.Event(graph_def=graph_def.SerializeToString()), global_step)

    def add_session_log(self, session_log: Any, global_step: Any = None) -> None:
        """Write a ``SessionLog`` event (e.g. ``SessionLog(status=SessionLog.START)``)."""
        if self._writer is not None:
            self._add_event(self._pb.event_pb2.Event(session_log=session_log), global_step)

    def add_run_metadata(self, run_metadata: Any, tag: str, global_step: Any = None) -> None:
        """Accepted for TF1 compatibility; our RunMetadata has no step stats, so nothing is written."""

    def flush(self) -> None:
        if self._writer is not None and not self._closed:
            self._writer.flush()

    def close(self) -> None:
        if self._writer is not None and not self._closed:
            self._writer.close()
        self._closed = True

    def reopen(self) -> None:
        """Open a new event file in the same directory after :meth:`close`."""
        if self._closed and self._pb is not None:
            self._writer = self._pb.EventFileWriter(self._logdir)
        self._closed = False

    def __enter__(self) -> FileWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class FileWriterCache:
    """``tf.summary.FileWriterCache.get(logdir)``: one FileWriter per directory."""

    _cache: dict[str, FileWriter] = {}

    @classmethod
    def get(cls, logdir: str) -> FileWriter:
        if logdir not in cls._cache:
            cls._cache[logdir] = FileWriter(logdir)
        return cls._cache[logdir]

    @classmethod
    def clear(cls) -> None:
        for w in cls._cache.values():
            w.close()
        cls._cache.clear()
