"""RNN cells with TF1's variables, names and gate order (``tf.nn.rnn_cell``, ``tf.contrib.rnn``).

A cell maps ``(inputs [batch, depth], state) -> (output, new_state)``. It creates its variables on the first
call, under ``<variable scope>/<cell name>/`` (``rnn/basic_lstm_cell/kernel``, ``.../bias``), and reuses
them on every later call, so one cell object called once per time step (``static_rnn``) or inside a loop
body (``dynamic_rnn``) shares its weights. The formulas, gate orders and defaults are TF1's, so a kernel
trained by TensorFlow means the same here:

* ``BasicRNNCell``: ``h' = tanh([x, h] @ kernel + bias)``.
* ``BasicLSTMCell``/``LSTMCell``: ``i, j, f, o = split([x, h] @ kernel + bias, 4)``,
  ``c' = c * sigmoid(f + forget_bias) + sigmoid(i) * tanh(j)``, ``h' = tanh(c') * sigmoid(o)``; state
  ``LSTMStateTuple(c, h)``. ``LSTMCell`` adds peepholes (``w_i_diag``, ``w_f_diag``, ``w_o_diag``),
  ``cell_clip`` and a projection ``num_proj`` (``projection/kernel``, ``proj_clip``).
* ``GRUCell``: ``r, u = split(sigmoid([x, h] @ gates/kernel + gates/bias), 2)`` (gate bias initialized to
  1), ``c = tanh([x, r * h] @ candidate/kernel + candidate/bias)``, ``h' = u * h + (1 - u) * c``.

>>> import trainer as tf
>>> with tf.Graph().as_default():
...     cell = tf.nn.rnn_cell.BasicLSTMCell(8)
...     out, state = cell(tf.zeros([2, 3]), cell.zero_state(2, tf.float32))
...     names = [v.name for v in tf.trainable_variables()]
>>> names, state.h.shape.as_list()
(['basic_lstm_cell/kernel:0', 'basic_lstm_cell/bias:0'], [2, 8])
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Sequence
from typing import Any

from trainer import dtypes as _dt
from trainer import initializers, nest
from trainer.errors import InvalidArgumentError, UnimplementedError
from trainer.graph import Tensor, convert_to_tensor, get_default_graph, name_scope, variable_scope
from trainer.ops import array_ops, math_ops, nn_ops, random_ops
from trainer.variables import get_variable


class LSTMStateTuple(namedtuple("LSTMStateTuple", ("c", "h"))):
    """An LSTM state: cell state ``c`` and output ``h`` (TF1's field order)."""

    __slots__ = ()

    @property
    def dtype(self) -> _dt.DType:
        return self.c.dtype


def _snake(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower().replace("l_s_t_m", "lstm").replace("g_r_u", "gru")


class RNNCell:
    """The base: ``state_size``, ``output_size``, ``zero_state`` and the variable scope of ``build``."""

    def __init__(self, name: str | None = None, dtype: Any = None, reuse: Any = None) -> None:
        self._name = name
        self._dtype = _dt.as_dtype(dtype) if dtype is not None else None
        self._reuse = reuse
        self._scope: Any = None
        self._built = False

    @property
    def state_size(self) -> Any:
        raise NotImplementedError

    @property
    def output_size(self) -> int:
        raise NotImplementedError

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        """Zeros shaped like the state, for ``batch_size`` rows (an int or a scalar tensor)."""
        dt = _dt.as_dtype(dtype)
        with name_scope(type(self).__name__ + "ZeroState"):
            return nest.map_structure(lambda n: _zeros(batch_size, n, dt), self.state_size)

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple[Any, Any]:
        """One step. The first call creates the variables under ``scope`` (default: the snake-cased class
        name made unique in the current variable scope); later calls reuse them."""
        g = get_default_graph()
        if not self._built:
            base = scope if isinstance(scope, str) else self._name or _snake(type(self).__name__)
            reuse = self._reuse or g._var_scope.reuse
            name = base
            if scope is None and self._name is None and not reuse:  # a default name is made unique
                taken = g.__dict__.setdefault("_rnn_cell_names", set())
                k = 0
                while f"{g._var_scope.name}/{name}" in taken:
                    k += 1
                    name = f"{base}_{k}"
                taken.add(f"{g._var_scope.name}/{name}")
            with variable_scope(name, reuse=reuse or None) as s:
                self._scope = s
                inputs = _as_tensors(inputs)
                self.build(inputs)
                self._built = True
                return self.call(inputs, state)
        with name_scope(self._scope.name.rsplit("/", 1)[-1]):
            return self.call(_as_tensors(inputs), state)

    def build(self, inputs: Any) -> None:
        """Create the variables (in the cell's variable scope)."""

    def call(self, inputs: Any, state: Any) -> tuple[Any, Any]:
        raise NotImplementedError


def _as_tensors(x: Any) -> Any:
    return nest.map_structure(convert_to_tensor, x)


def _zeros(batch_size: Any, n: int, dt: _dt.DType) -> Tensor:
    if isinstance(batch_size, Tensor):
        dims = array_ops.stack([math_ops.cast(batch_size, _dt.int32), n])
        return array_ops.fill(dims, array_ops.constant(0, dtype=dt))
    return array_ops.zeros([int(batch_size), n], dt)


def _depth(x: Tensor, cell: str) -> int:
    d = x.shape.dims[-1] if x.shape.ndims == 2 else None
    if d is None:
        raise InvalidArgumentError(f"{cell}: inputs must be [batch, depth] with a known depth, got {x.shape}")
    return int(d)


def _linear(args: Sequence[Tensor], kernel: Any, bias: Any) -> Tensor:
    x = args[0] if len(args) == 1 else array_ops.concat(list(args), 1)
    return nn_ops.bias_add(math_ops.matmul(x, kernel), bias)


class BasicRNNCell(RNNCell):
    """``h' = activation([x, h] @ kernel + bias)``; output and state are ``h'``."""

    def __init__(
        self,
        num_units: int,
        activation: Any = None,
        reuse: Any = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(name, dtype, reuse)
        self._num_units = int(num_units)
        self._activation = activation if activation is not None else nn_ops.tanh

    @property
    def state_size(self) -> int:
        return self._num_units

    @property
    def output_size(self) -> int:
        return self._num_units

    def build(self, inputs: Tensor) -> None:
        d, n = _depth(inputs, "BasicRNNCell"), self._num_units
        self._kernel = get_variable("kernel", [d + n, n], dtype=inputs.dtype)
        self._bias = get_variable("bias", [n], dtype=inputs.dtype, initializer=initializers.zeros())

    def call(self, inputs: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        h = self._activation(_linear([inputs, state], self._kernel, self._bias))
        return h, h


class BasicLSTMCell(RNNCell):
    """TF1's basic LSTM: one kernel for the four gates (i, j, f, o) and ``forget_bias`` added to f."""

    def __init__(
        self,
        num_units: int,
        forget_bias: float = 1.0,
        state_is_tuple: bool = True,
        activation: Any = None,
        reuse: Any = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(name, dtype, reuse)
        self._num_units = int(num_units)
        self._forget_bias = float(forget_bias)
        self._state_is_tuple = state_is_tuple
        self._activation = activation if activation is not None else nn_ops.tanh

    @property
    def state_size(self) -> Any:
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    @property
    def output_size(self) -> int:
        return self._num_units

    def build(self, inputs: Tensor) -> None:
        d, n = _depth(inputs, type(self).__name__), self._num_units
        self._kernel = get_variable("kernel", [d + n, 4 * n], dtype=inputs.dtype)
        self._bias = get_variable("bias", [4 * n], dtype=inputs.dtype, initializer=initializers.zeros())

    def call(self, inputs: Tensor, state: Any) -> tuple[Tensor, Any]:
        c, h = state if self._state_is_tuple else array_ops.split(state, 2, axis=1)
        i, j, f, o = array_ops.split(_linear([inputs, h], self._kernel, self._bias), 4, axis=1)
        sig, act = nn_ops.sigmoid, self._activation
        new_c = c * sig(f + self._forget_bias) + sig(i) * act(j)
        new_h = act(new_c) * sig(o)
        new_state = (
            LSTMStateTuple(new_c, new_h) if self._state_is_tuple else array_ops.concat([new_c, new_h], 1)
        )
        return new_h, new_state


class LSTMCell(RNNCell):
    """TF1's full LSTM: optional peepholes, cell clipping and an output projection ``num_proj``."""

    def __init__(
        self,
        num_units: int,
        use_peepholes: bool = False,
        cell_clip: float | None = None,
        initializer: Any = None,
        num_proj: int | None = None,
        proj_clip: float | None = None,
        num_unit_shards: Any = None,
        num_proj_shards: Any = None,
        forget_bias: float = 1.0,
        state_is_tuple: bool = True,
        activation: Any = None,
        reuse: Any = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(name, dtype, reuse)
        if num_unit_shards or num_proj_shards:
            raise UnimplementedError(
                "LSTMCell: num_unit_shards/num_proj_shards (deprecated in TF1) are not supported"
            )
        self._num_units = int(num_units)
        self._use_peepholes = use_peepholes
        self._cell_clip = cell_clip
        self._initializer = initializer
        self._num_proj = int(num_proj) if num_proj else None
        self._proj_clip = proj_clip
        self._forget_bias = float(forget_bias)
        self._state_is_tuple = state_is_tuple
        self._activation = activation if activation is not None else nn_ops.tanh

    @property
    def state_size(self) -> Any:
        n, m = self._num_units, self._num_proj or self._num_units
        return LSTMStateTuple(n, m) if self._state_is_tuple else n + m

    @property
    def output_size(self) -> int:
        return self._num_proj or self._num_units

    def build(self, inputs: Tensor) -> None:
        d, n, m = _depth(inputs, "LSTMCell"), self._num_units, self._num_proj or self._num_units
        dt, init = inputs.dtype, self._initializer
        self._kernel = get_variable("kernel", [d + m, 4 * n], dtype=dt, initializer=init)
        self._bias = get_variable("bias", [4 * n], dtype=dt, initializer=initializers.zeros())
        if self._use_peepholes:
            self._w_f = get_variable("w_f_diag", [n], dtype=dt, initializer=init)
            self._w_i = get_variable("w_i_diag", [n], dtype=dt, initializer=init)
            self._w_o = get_variable("w_o_diag", [n], dtype=dt, initializer=init)
        if self._num_proj:
            with variable_scope("projection"):
                self._proj = get_variable("kernel", [n, self._num_proj], dtype=dt, initializer=init)

    def call(self, inputs: Tensor, state: Any) -> tuple[Tensor, Any]:
        n = self._num_units
        if self._state_is_tuple:
            c, m = state
        else:
            c, m = array_ops.split(state, [n, (self._num_proj or n)], axis=1)
        i, j, f, o = array_ops.split(_linear([inputs, m], self._kernel, self._bias), 4, axis=1)
        sig, act = nn_ops.sigmoid, self._activation
        if self._use_peepholes:
            c_new = sig(f + self._forget_bias + self._w_f * c) * c + sig(i + self._w_i * c) * act(j)
        else:
            c_new = sig(f + self._forget_bias) * c + sig(i) * act(j)
        if self._cell_clip is not None:
            c_new = math_ops.minimum(math_ops.maximum(c_new, -self._cell_clip), self._cell_clip)
        m_new = sig(o + self._w_o * c_new) * act(c_new) if self._use_peepholes else sig(o) * act(c_new)
        if self._num_proj:
            m_new = math_ops.matmul(m_new, self._proj)
            if self._proj_clip is not None:
                m_new = math_ops.minimum(math_ops.maximum(m_new, -self._proj_clip), self._proj_clip)
        new_state = (
            LSTMStateTuple(c_new, m_new) if self._state_is_tuple else array_ops.concat([c_new, m_new], 1)
        )
        return m_new, new_state


class GRUCell(RNNCell):
    """TF1's GRU (Cho et al. 2014): reset and update gates, then a candidate from the reset state."""

    def __init__(
        self,
        num_units: int,
        activation: Any = None,
        reuse: Any = None,
        kernel_initializer: Any = None,
        bias_initializer: Any = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(name, dtype, reuse)
        self._num_units = int(num_units)
        self._activation = activation if activation is not None else nn_ops.tanh
        self._kernel_init = kernel_initializer
        self._bias_init = bias_initializer

    @property
    def state_size(self) -> int:
        return self._num_units

    @property
    def output_size(self) -> int:
        return self._num_units

    def build(self, inputs: Tensor) -> None:
        d, n, dt = _depth(inputs, "GRUCell"), self._num_units, inputs.dtype
        with variable_scope("gates"):
            self._gk = get_variable("kernel", [d + n, 2 * n], dtype=dt, initializer=self._kernel_init)
            self._gb = get_variable(
                "bias", [2 * n], dtype=dt, initializer=self._bias_init or initializers.constant(1.0)
            )
        with variable_scope("candidate"):
            self._ck = get_variable("kernel", [d + n, n], dtype=dt, initializer=self._kernel_init)
            self._cb = get_variable(
                "bias", [n], dtype=dt, initializer=self._bias_init or initializers.zeros()
            )

    def call(self, inputs: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        value = nn_ops.sigmoid(_linear([inputs, state], self._gk, self._gb))
        r, u = array_ops.split(value, 2, axis=1)
        c = self._activation(_linear([inputs, r * state], self._ck, self._cb))
        h = u * state + (1 - u) * c
        return h, h


class MultiRNNCell(RNNCell):
    """Cells stacked: cell k's output is cell k+1's input; the state is the tuple of the cells' states
    (variables under ``multi_rnn_cell/cell_<k>/``)."""

    def __init__(self, cells: Sequence[RNNCell], state_is_tuple: bool = True) -> None:
        super().__init__()
        if not cells:
            raise InvalidArgumentError("MultiRNNCell needs at least one cell")
        if not state_is_tuple:
            raise UnimplementedError(
                "MultiRNNCell(state_is_tuple=False) (deprecated in TF1) is not supported"
            )
        self._cells = list(cells)

    @property
    def state_size(self) -> tuple[Any, ...]:
        return tuple(c.state_size for c in self._cells)

    @property
    def output_size(self) -> int:
        return self._cells[-1].output_size

    def zero_state(self, batch_size: Any, dtype: Any) -> tuple[Any, ...]:
        with name_scope("MultiRNNCellZeroState"):
            return tuple(c.zero_state(batch_size, dtype) for c in self._cells)

    def call(self, inputs: Tensor, state: Any) -> tuple[Tensor, Any]:
        out, new = inputs, []
        for k, cell in enumerate(self._cells):
            with variable_scope(f"cell_{k}"):
                out, s = cell(out, state[k])
            new.append(s)
        return out, tuple(new)


class DropoutWrapper(RNNCell):
    """Dropout on a cell's inputs, outputs and (new) state, each kept with its ``*_keep_prob``.

    ``variational_recurrent=True`` (Gal and Ghahramani's variational dropout, as TF1 does it): one mask per
    ``Session.run`` for each of inputs, state and outputs, drawn with shape ``[1, size]`` when the wrapper
    is built and reused at every time step (and by every row of the batch). It needs ``dtype``, and
    ``input_size`` when the inputs are dropped.
    """

    def __init__(
        self,
        cell: RNNCell,
        input_keep_prob: Any = 1.0,
        output_keep_prob: Any = 1.0,
        state_keep_prob: Any = 1.0,
        variational_recurrent: bool = False,
        input_size: Any = None,
        dtype: Any = None,
        seed: int | None = None,
        dropout_state_filter_visitor: Any = None,
    ) -> None:
        super().__init__()
        self._cell = cell
        self._in, self._out, self._st = input_keep_prob, output_keep_prob, state_keep_prob
        self._seed = seed
        self._variational = bool(variational_recurrent)
        if self._variational:
            if dtype is None:
                raise InvalidArgumentError("DropoutWrapper: variational_recurrent=True needs dtype")
            if not _is_one(input_keep_prob) and input_size is None:
                raise InvalidArgumentError(
                    "DropoutWrapper: variational_recurrent=True with input_keep_prob < 1 needs input_size"
                )
            dt = _dt.as_dtype(dtype)
            salt = iter(range(1, 1 << 20))

            def noise(size: Any) -> Tensor:
                s = seed if seed is None else seed + next(salt)
                dims = [1, *(size.as_list() if hasattr(size, "as_list") else [int(size)])]
                return random_ops.random_uniform(dims, seed=s, dtype=dt)

            self._in_noise = None if _is_one(input_keep_prob) else nest.map_structure(noise, input_size)
            self._st_noise = nest.map_structure(noise, cell.state_size)
            self._out_noise = nest.map_structure(noise, cell.output_size)

    @property
    def state_size(self) -> Any:
        return self._cell.state_size

    @property
    def output_size(self) -> int:
        return self._cell.output_size

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        return self._cell.zero_state(batch_size, dtype)

    def _drop(self, x: Any, keep_prob: Any, noise: Any) -> Any:
        if _is_one(keep_prob):
            return x
        if not self._variational:
            return nest.map_structure(lambda t: _dropout(convert_to_tensor(t), keep_prob, self._seed), x)
        return nest.map_structure(lambda t, n: _variational(convert_to_tensor(t), keep_prob, n), x, noise)

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple[Any, Any]:
        inputs = self._drop(inputs, self._in, self._in_noise if self._variational else None)
        out, new_state = self._cell(inputs, state, scope)
        if not _is_one(self._st):  # TF1 leaves an LSTM's c unchanged; dropout on the h part only
            st_noise = self._st_noise if self._variational else None
            if isinstance(new_state, LSTMStateTuple):
                h_noise = st_noise.h if st_noise is not None else None
                new_state = LSTMStateTuple(new_state.c, self._drop(new_state.h, self._st, h_noise))
            else:
                new_state = self._drop(new_state, self._st, st_noise)
        return self._drop(out, self._out, self._out_noise if self._variational else None), new_state


def _variational(x: Tensor, keep_prob: Any, noise: Tensor) -> Tensor:
    """x / keep_prob * floor(keep_prob + noise): the mask ``noise`` was drawn once for all time steps."""
    kp = convert_to_tensor(keep_prob, dtype=x.dtype)
    out = math_ops.multiply(math_ops.truediv(x, kp), math_ops.floor(math_ops.add(kp, noise)))
    out.set_shape(x.shape)
    return out


def _is_one(p: Any) -> bool:
    return isinstance(p, (int, float)) and float(p) == 1.0


def _dropout(x: Tensor, keep_prob: Any, seed: int | None) -> Tensor:
    return x if _is_one(keep_prob) else nn_ops.dropout(x, keep_prob=keep_prob, seed=seed)
