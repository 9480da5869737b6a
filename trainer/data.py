"""``tf.data``: the input pipelines of TF 1.4+ programs, run on the host in Python.

A :class:`Dataset` describes a stream of elements (a nested structure of arrays): ``from_tensor_slices``,
``from_tensors``, ``range``, ``zip``, then ``map``, ``filter``, ``shuffle``, ``batch``, ``repeat``, ``take``,
``skip``, ``prefetch`` and ``cache`` (the last two change nothing here). An iterator turns it into graph
tensors: ``make_one_shot_iterator()`` or ``make_initializable_iterator()`` (run its ``initializer``, with a
``feed_dict`` for placeholders the dataset was built from), then ``get_next()``; each run of the
``IteratorGetNext`` op takes the next element, and the end raises ``tf.errors.OutOfRangeError`` as in TF.

``map`` and ``filter`` functions are traced once into a private graph of their own (as TF traces them into
a function) and run by a private session for each element, so they may use any tensorlet op but not
tensors of the main graph. Iterator state belongs to the session that runs it.

>>> import numpy as np
>>> import trainer as tf
>>> ds = tf.data.Dataset.from_tensor_slices((np.arange(5), np.arange(5) * 10))
>>> ds = ds.map(lambda a, b: a + b).batch(2)
>>> nxt = ds.make_one_shot_iterator().get_next()
>>> with tf.Session() as sess:
...     print([sess.run(nxt).tolist() for _ in range(3)])
[[0, 11], [22, 33], [44]]
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator as PyIterator
from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer import nest
from trainer.errors import FailedPreconditionError, InvalidArgumentError, OutOfRangeError
from trainer.graph import Graph, Tensor, apply_op, convert_to_tensor
from trainer.ops.array_ops import placeholder
from trainer.random_seed import get_seed
from trainer.registry import register
from trainer.session import Session
from trainer.tensor_shape import TensorShape, as_shape
from trainer.xp_compat import upload

Spec = tuple[TensorShape, _dt.DType]


class Dataset:
    """A description of a stream of elements; build one with the class methods below."""

    def __init__(
        self, structure: Any, specs: list[Spec], sources: list[Tensor], make: Callable[..., PyIterator]
    ):
        self._structure = structure  # the element's nesting, leaves replaced by None
        self._specs = specs  # one (shape, dtype) per leaf
        self._sources = sources  # graph tensors whose values the pipeline starts from
        self._make = make  # make(values of sources, rng) -> iterator of lists of arrays

    # -- sources
    @staticmethod
    def from_tensor_slices(tensors: Any) -> Dataset:
        """One element per row of the first axis of every component."""
        flat = [convert_to_tensor(t) for t in nest.flatten(tensors)]
        for t in flat:
            if t.shape.ndims == 0:
                raise InvalidArgumentError(
                    f"from_tensor_slices: {t.name} is a scalar, it has no rows to slice"
                )
        specs = [
            (TensorShape(None) if t.shape.dims is None else TensorShape(t.shape.dims[1:]), t.dtype)
            for t in flat
        ]

        def make(values: list[np.ndarray], rng: Any) -> PyIterator[list[np.ndarray]]:
            n = {len(v) for v in values}
            if len(n) != 1:
                raise InvalidArgumentError(
                    f"from_tensor_slices: components have different lengths {sorted(n)}"
                )
            for i in range(n.pop()):
                yield [v[i] for v in values]

        return Dataset(_skeleton(tensors), specs, flat, make)

    @staticmethod
    def from_tensors(tensors: Any) -> Dataset:
        """A single element: the tensors themselves."""
        flat = [convert_to_tensor(t) for t in nest.flatten(tensors)]

        def make(values: list[np.ndarray], rng: Any) -> PyIterator[list[np.ndarray]]:
            yield list(values)

        return Dataset(_skeleton(tensors), [(t.shape, t.dtype) for t in flat], flat, make)

    @staticmethod
    def range(*args: int) -> Dataset:  # noqa: A003 - the TensorFlow name
        """``range(stop)``, ``range(start, stop[, step])`` as int64 scalars."""
        r = range(*[int(a) for a in args])

        def make(values: list[np.ndarray], rng: Any) -> PyIterator[list[np.ndarray]]:
            for i in r:
                yield [np.asarray(i, np.int64)]

        return Dataset(None, [(TensorShape([]), _dt.int64)], [], make)

    @staticmethod
    def zip(datasets: Any) -> Dataset:
        """Elements of several datasets side by side (a tuple/dict of their elements), to the shortest."""
        parts = nest.flatten(datasets) if not isinstance(datasets, Dataset) else [datasets]
        if not all(isinstance(d, Dataset) for d in parts):
            raise InvalidArgumentError("Dataset.zip takes a structure of datasets")
        sources = [s for d in parts for s in d._sources]
        counts = [len(d._sources) for d in parts]

        def make(values: list[np.ndarray], rng: Any) -> PyIterator[list[np.ndarray]]:
            its, k = [], 0
            for d, c in zip(parts, counts, strict=True):
                its.append(d._make(values[k : k + c], rng))
                k += c
            for elems in zip(*its, strict=False):
                yield [a for e in elems for a in e]

        structure = nest.pack_sequence_as(datasets, [d._structure for d in parts]) if parts else None
        return Dataset(structure, [s for d in parts for s in d._specs], sources, make)

    # -- transformations
    def map(self, map_func: Callable[..., Any], num_parallel_calls: Any = None) -> Dataset:
        """``map_func`` applied to every element (a tuple element is passed as separate arguments)."""
        fn = _Traced(map_func, self._structure, self._specs, "map")

        def make(values: list[np.ndarray], rng: Any) -> PyIterator[list[np.ndarray]]:
            for e in self._make(values, rng):
                yield fn(e)

        return Dataset(fn.out_structure, fn.out_specs, self._sources, make)

    def filter(self, predicate: Callable[..., Any]) -> Dataset:
        """The elements for which ``predicate`` gives True."""
        fn = _Traced(predicate, self._structure, self._specs, "filter")
        if len(fn.out_specs) != 1 or fn.out_specs[0][1] is not _dt.bool:
            raise InvalidArgumentError("Dataset.filter: the predicate must return one bool scalar")

        def make(values: list[np.ndarray], rng: Any) -> PyIterator[list[np.ndarray]]:
            for e in self._make(values, rng):
                if bool(fn(e)[0]):
                    yield e

        return Dataset(self._structure, self._specs, self._sources, make)

    def shuffle(
        self, buffer_size: int, seed: int | None = None, reshuffle_each_iteration: bool = True
    ) -> Dataset:
        """Elements drawn at random from a buffer of the next ``buffer_size`` ones."""
        size = int(buffer_size)
        if size < 1:
            raise InvalidArgumentError(f"Dataset.shuffle: buffer_size must be >= 1, got {buffer_size}")

        def make(values: list[np.ndarray], rng: Any) -> PyIterator[list[np.ndarray]]:
            # a seed fixes the sequence of shuffles; each pass (a repeat) still shuffles anew
            r = rng if seed is None else np.random.default_rng([int(seed), int(rng.integers(2**31))])
            buf: list[Any] = []
            for e in self._make(values, rng):
                buf.append(e)
                if len(buf) == size:
                    yield buf.pop(int(r.integers(len(buf))))
            while buf:
                yield buf.pop(int(r.integers(len(buf))))

        return Dataset(self._structure, self._specs, self._sources, make)

    def batch(self, batch_size: int, drop_remainder: bool = False) -> Dataset:
        """Consecutive elements stacked along a new first axis (the last batch may be smaller)."""
        n = int(batch_size)
        if n < 1:
            raise InvalidArgumentError(f"Dataset.batch: batch_size must be >= 1, got {batch_size}")

        def make(values: list[np.ndarray], rng: Any) -> PyIterator[list[np.ndarray]]:
            buf: list[Any] = []
            for e in self._make(values, rng):
                buf.append(e)
                if len(buf) == n:
                    yield [np.stack(c) for c in zip(*buf, strict=True)]
                    buf = []
            if buf and not drop_remainder:
                yield [np.stack(c) for c in zip(*buf, strict=True)]

        specs = [
            (
                TensorShape(None)
                if s.dims is None
                else TensorShape([n if drop_remainder else None, *s.dims]),
                d,
            )
            for s, d in self._specs
        ]
        return Dataset(self._structure, specs, self._sources, make)

    def repeat(self, count: int | None = None) -> Dataset:
        """The elements ``count`` times over (forever by default); a shuffle inside reshuffles each time."""

        def make(values: list[np.ndarray], rng: Any) -> PyIterator[list[np.ndarray]]:
            k = 0
            while count is None or count < 0 or k < count:
                empty = True
                for e in self._make(values, rng):
                    empty = False
                    yield e
                if empty:
                    return
                k += 1

        return Dataset(self._structure, self._specs, self._sources, make)

    def take(self, count: int) -> Dataset:
        def make(values: list[np.ndarray], rng: Any) -> PyIterator[list[np.ndarray]]:
            for k, e in enumerate(self._make(values, rng)):
                if 0 <= count <= k:
                    return
                yield e

        return Dataset(self._structure, self._specs, self._sources, make)

    def skip(self, count: int) -> Dataset:
        def make(values: list[np.ndarray], rng: Any) -> PyIterator[list[np.ndarray]]:
            for k, e in enumerate(self._make(values, rng)):
                if count < 0:
                    return
                if k >= count:
                    yield e

        return Dataset(self._structure, self._specs, self._sources, make)

    def prefetch(self, buffer_size: Any) -> Dataset:
        return self

    def cache(self, filename: str = "") -> Dataset:
        return self

    # -- iterators
    def make_one_shot_iterator(self) -> Iterator_:
        return Iterator_(self, initializable=False)

    def make_initializable_iterator(self, shared_name: str | None = None) -> Iterator_:
        return Iterator_(self, initializable=True)

    @property
    def output_types(self) -> Any:
        return _pack(self._structure, [d for _, d in self._specs])

    @property
    def output_shapes(self) -> Any:
        return _pack(self._structure, [s for s, _ in self._specs])


class Iterator_:  # noqa: N801 - TF's class is tf.data.Iterator; the trailing _ keeps typing's Iterator apart
    """Pulls elements of a dataset into the graph: ``get_next()`` (and ``initializer`` when initializable)."""

    def __init__(self, dataset: Dataset, initializable: bool) -> None:
        self._ds = dataset
        s1, s2 = get_seed(None)  # shuffles draw from the op's generator: the graph seed makes them repeat
        self._seeds = {"seed": s1, "seed2": s2}
        attrs = {"dataset": dataset, "specs": tuple(dataset._specs), **self._seeds}
        self._handle = apply_op("IteratorInit", list(dataset._sources), attrs, "Iterator")
        self._initializable = initializable
        self._key = self._handle.name

    @property
    def initializer(self) -> Any:
        if not self._initializable:
            raise InvalidArgumentError(
                "a one-shot iterator has no initializer (use make_initializable_iterator)"
            )
        return self._handle

    def get_next(self, name: str | None = None) -> Any:
        attrs = {
            "key": self._key,
            "specs": tuple(self._ds._specs),
            "one_shot": not self._initializable,
            **self._seeds,
        }
        deps = [] if self._initializable else list(self._ds._sources)
        outs = apply_op("IteratorGetNext", deps, {**attrs, "dataset": self._ds}, name or "IteratorGetNext")
        outs = [outs] if isinstance(outs, Tensor) else list(outs)
        return _pack(self._ds._structure, outs)

    @property
    def output_types(self) -> Any:
        return self._ds.output_types

    @property
    def output_shapes(self) -> Any:
        return self._ds.output_shapes


Iterator = Iterator_


def make_one_shot_iterator(dataset: Dataset) -> Iterator_:
    return dataset.make_one_shot_iterator()


def make_initializable_iterator(dataset: Dataset, shared_name: str | None = None) -> Iterator_:
    return dataset.make_initializable_iterator()


# ---- the two ops ---------------------------------------------------------------------------------------
def _state(ctx: Any) -> dict[str, Any]:
    """The iterators of the session that runs the kernel."""
    return ctx.session.__dict__.setdefault("_data_iterators", {})


def _start(ctx: Any, dataset: Dataset, values: list[Any]) -> PyIterator[list[np.ndarray]]:
    host = [np.asarray(v.get() if hasattr(v, "get") else v) for v in values]
    return dataset._make(host, ctx.rng)


def _init_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return []


def _init_kernel(ctx: Any, *values: Any) -> None:
    _state(ctx)[ctx.op.name] = _start(ctx, ctx.attrs["dataset"], list(values))


register("IteratorInit", shape=_init_shape, kernel=_init_kernel, not_differentiable=True, stateful=True)


def _next_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return list(attrs["specs"])


def _next_kernel(ctx: Any, *sources: Any) -> Any:
    a = ctx.attrs
    its = _state(ctx)
    it = its.get(a["key"])
    if it is None:
        if not a["one_shot"]:
            raise FailedPreconditionError(
                f"{ctx.op.name}: GetNext() failed because the iterator has not been initialized (run its "
                "initializer first)"
            )
        it = its[a["key"]] = _start(ctx, a["dataset"], list(sources))
    try:
        elem = next(it)
    except StopIteration:
        raise OutOfRangeError(f"{ctx.op.name}: End of sequence") from None
    outs = []
    for v, (shape, dtype) in zip(elem, a["specs"], strict=True):
        arr = np.asarray(v, dtype=dtype.np)
        if shape.dims is not None and not TensorShape(list(arr.shape)).is_compatible_with(shape):
            raise InvalidArgumentError(f"{ctx.op.name}: element of shape {list(arr.shape)}, expected {shape}")
        outs.append(upload(ctx, arr))
    return outs[0] if len(outs) == 1 else tuple(outs)


register("IteratorGetNext", shape=_next_shape, kernel=_next_kernel, not_differentiable=True, stateful=True)


# ---- helpers -----------------------------------------------------------------------------------------
def _skeleton(structure: Any) -> Any:
    """``structure`` with its leaves replaced by None (a single tensor gives None)."""
    if not nest.is_sequence(structure):
        return None
    return nest.pack_sequence_as(structure, [None] * len(nest.flatten(structure)))


def _pack(structure: Any, flat: list[Any]) -> Any:
    return flat[0] if structure is None else nest.pack_sequence_as(structure, flat)


class _Traced:
    """A dataset function traced once on placeholders in a private graph, run by a private session."""

    def __init__(self, fn: Callable[..., Any], structure: Any, specs: list[Spec], what: str) -> None:
        self._graph = Graph()
        with self._graph.as_default():
            self._inputs = [placeholder(d, s, name=f"arg{i}") for i, (s, d) in enumerate(specs)]
            arg = _pack(structure, self._inputs)
            res = fn(*arg) if isinstance(arg, tuple) and not hasattr(arg, "_fields") else fn(arg)
            self.out_structure = _skeleton(res)
            self._outputs = [convert_to_tensor(r) for r in nest.flatten(res)]
        self.out_specs = [(as_shape(t.shape), t.dtype) for t in self._outputs]
        self._session = Session(graph=self._graph)
        self._what = what

    def __call__(self, elem: list[np.ndarray]) -> list[np.ndarray]:
        return list(self._session.run(self._outputs, dict(zip(self._inputs, elem, strict=True))))
