"""Running a cell over a sequence: ``dynamic_rnn`` (a while loop), ``static_rnn`` (unrolled) and the
bidirectional variants, with TF1's scopes (``rnn/``, ``bidirectional_rnn/fw/``, ``.../bw/``) and
``sequence_length`` semantics: past a row's length its outputs are zero and its state is carried through
unchanged, so the final state is the state at the row's last valid step.

>>> import numpy as np
>>> import trainer as tf
>>> with tf.Graph().as_default():
...     x = tf.placeholder(tf.float32, [None, 5, 3])
...     cell = tf.nn.rnn_cell.GRUCell(4)
...     outputs, state = tf.nn.dynamic_rnn(cell, x, sequence_length=[5, 2], dtype=tf.float32)
...     with tf.Session() as sess:
...         sess.run(tf.global_variables_initializer())
...         o, s = sess.run([outputs, state], {x: np.ones((2, 5, 3))})
>>> o.shape, bool(np.all(o[1, 2:] == 0)), bool(np.allclose(s[1], o[1, 1]))
((2, 5, 4), True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trainer import dtypes as _dt
from trainer import nest
from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, convert_to_tensor, variable_scope
from trainer.ops import array_ops, math_ops
from trainer.ops.control_flow import _while
from trainer.ops.sequence_ops import reverse_sequence
from trainer.rnn.cells import RNNCell


def _initial_state(cell: RNNCell, initial_state: Any, batch: Any, dtype: Any, fn: str) -> Any:
    if initial_state is not None:
        return initial_state
    if dtype is None:
        raise InvalidArgumentError(f"{fn}: give dtype when there is no initial_state")
    return cell.zero_state(batch, dtype)


def _masked(t: Tensor, seq: Tensor | None, out: Tensor, new: list[Tensor], old: list[Tensor]) -> Any:
    """Zero the outputs and keep the old state in rows whose sequence has ended (``t >= length``)."""
    if seq is None:
        return out, new
    live = array_ops.expand_dims(math_ops.cast(math_ops.less(t, seq), out.dtype), 1)
    dead = 1.0 - live
    return out * live, [n * live + o * dead for n, o in zip(new, old, strict=True)]


def dynamic_rnn(
    cell: RNNCell,
    inputs: Any,
    sequence_length: Any = None,
    initial_state: Any = None,
    dtype: Any = None,
    parallel_iterations: int | None = None,
    swap_memory: bool = False,
    time_major: bool = False,
    scope: Any = None,
) -> tuple[Tensor, Any]:
    """``(outputs, final_state)`` of ``cell`` run over ``inputs`` ([batch, time, depth], or
    [time, batch, depth] with ``time_major``) in a ``tf.while_loop``."""
    with variable_scope(scope or "rnn"):
        x = convert_to_tensor(inputs)
        if x.shape.ndims != 3:
            raise InvalidArgumentError(f"dynamic_rnn: inputs must be rank 3, got {x.shape}")
        if not time_major:
            x = array_ops.transpose(x, [1, 0, 2])
        steps, batch = x.shape.dims[0], x.shape.dims[1]
        n_steps = steps if steps is not None else array_ops.shape(x)[0]
        n_batch = batch if batch is not None else array_ops.shape(x)[1]
        state = _initial_state(cell, initial_state, n_batch, dtype, "dynamic_rnn")
        seq = None if sequence_length is None else math_ops.cast(sequence_length, _dt.int32)
        flat = [convert_to_tensor(s) for s in nest.flatten(state)]
        step_shape = x.shape.dims[1:]

        def body(t: Tensor, *s: Tensor) -> Any:
            x_t = array_ops.gather(x, t)
            x_t.set_shape(step_shape)
            out, new = cell(x_t, nest.pack_sequence_as(state, list(s)))
            out, new_flat = _masked(t, seq, out, [convert_to_tensor(n) for n in nest.flatten(new)], list(s))
            return [t + 1, *new_flat], [out]

        final, (stacked,) = _while(
            lambda t, *s: math_ops.less(t, n_steps),
            body,
            [array_ops.constant(0, name="time"), *flat],
            None,
            True,
            "while",
            None,
            True,
        )
        stacked.set_shape([steps, *stacked.shape.dims[1:]] if stacked.shape.ndims else None)
        outputs = stacked if time_major else array_ops.transpose(stacked, [1, 0, 2])
        return outputs, nest.pack_sequence_as(state, final[1:])


def static_rnn(
    cell: RNNCell,
    inputs: Sequence[Any],
    initial_state: Any = None,
    dtype: Any = None,
    sequence_length: Any = None,
    scope: Any = None,
) -> tuple[list[Tensor], Any]:
    """``(outputs, final_state)`` of ``cell`` unrolled over the list ``inputs`` (each [batch, depth])."""
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise InvalidArgumentError("static_rnn: inputs must be a non-empty list of [batch, depth] tensors")
    with variable_scope(scope or "rnn"):
        xs = [convert_to_tensor(x) for x in inputs]
        batch = xs[0].shape.dims[0] if xs[0].shape.ndims else None
        n_batch = batch if batch is not None else array_ops.shape(xs[0])[0]
        state = _initial_state(cell, initial_state, n_batch, dtype, "static_rnn")
        seq = None if sequence_length is None else math_ops.cast(sequence_length, _dt.int32)
        outputs = []
        for t, x in enumerate(xs):
            out, new = cell(x, state)
            flat_new = [convert_to_tensor(n) for n in nest.flatten(new)]
            out, flat_new = _masked(array_ops.constant(t), seq, out, flat_new, nest.flatten(state))
            state = nest.pack_sequence_as(new, flat_new)
            outputs.append(out)
        return outputs, state


def _reverse_time(x: Tensor, seq: Any, time_axis: int, batch_axis: int) -> Tensor:
    if seq is None:
        n = x.shape.dims[time_axis]
        if n is None:
            raise InvalidArgumentError("bidirectional rnn: a dynamic length needs sequence_length")
        lens = math_ops.cast(array_ops.fill(array_ops.shape(x)[batch_axis : batch_axis + 1], n), _dt.int32)
    else:
        lens = math_ops.cast(seq, _dt.int32)
    return reverse_sequence(x, lens, seq_axis=time_axis, batch_axis=batch_axis)


def bidirectional_dynamic_rnn(
    cell_fw: RNNCell,
    cell_bw: RNNCell,
    inputs: Any,
    sequence_length: Any = None,
    initial_state_fw: Any = None,
    initial_state_bw: Any = None,
    dtype: Any = None,
    parallel_iterations: int | None = None,
    swap_memory: bool = False,
    time_major: bool = False,
    scope: Any = None,
) -> tuple[tuple[Tensor, Tensor], tuple[Any, Any]]:
    """``((out_fw, out_bw), (state_fw, state_bw))``: ``cell_bw`` reads each sequence reversed (within its
    length) and its outputs are reversed back, so both outputs are aligned with the inputs."""
    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw:
            out_fw, st_fw = dynamic_rnn(
                cell_fw, inputs, sequence_length, initial_state_fw, dtype, time_major=time_major, scope=fw
            )
        ta, ba = (0, 1) if time_major else (1, 0)
        with variable_scope("bw") as bw:
            rev = _reverse_time(convert_to_tensor(inputs), sequence_length, ta, ba)
            tmp, st_bw = dynamic_rnn(
                cell_bw, rev, sequence_length, initial_state_bw, dtype, time_major=time_major, scope=bw
            )
        out_bw = _reverse_time(tmp, sequence_length, ta, ba)
    return (out_fw, out_bw), (st_fw, st_bw)


def static_bidirectional_rnn(
    cell_fw: RNNCell,
    cell_bw: RNNCell,
    inputs: Sequence[Any],
    initial_state_fw: Any = None,
    initial_state_bw: Any = None,
    dtype: Any = None,
    sequence_length: Any = None,
    scope: Any = None,
) -> tuple[list[Tensor], Any, Any]:
    """``(outputs, state_fw, state_bw)``, each output the concatenation of the forward and (re-aligned)
    backward outputs of that step."""
    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw:
            out_fw, st_fw = static_rnn(cell_fw, inputs, initial_state_fw, dtype, sequence_length, fw)
        with variable_scope("bw") as bw:
            stacked = array_ops.stack([convert_to_tensor(x) for x in inputs])
            rev = array_ops.unstack(_reverse_time(stacked, sequence_length, 0, 1))
            tmp, st_bw = static_rnn(cell_bw, rev, initial_state_bw, dtype, sequence_length, bw)
        out_bw = array_ops.unstack(_reverse_time(array_ops.stack(tmp), sequence_length, 0, 1))
        outputs = [array_ops.concat([f, b], 1) for f, b in zip(out_fw, out_bw, strict=True)]
    return outputs, st_fw, st_bw
