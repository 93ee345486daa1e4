"""The Session: where a graph's values live and where it runs.

``sess.run(fetches, feed_dict)`` does three things:

1. **Check the feeds** before anything runs: each key is a tensor of this graph,
   each value fits its shape and dtype. A bad feed raises and changes nothing.
2. **Plan.** Walk back from the fetches to what they need, stopping at fed tensors,
   and order those ops as the graph created them (creation order is topological:
   an op's inputs exist before it). The plan for a (fetches, fed tensors) pair is
   made once and cached, so a training loop pays for it on its first step only.
3. **Execute** the plan in a tight loop over a flat list of values, and hand back
   the fetched ones in the structure they were asked in (a tensor, a list, a dict...).

Variable values live in ``self._variables`` for the session's life; all other
values are dropped when ``run`` returns.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable

import numpy as np

from minigraph import dtypes
from minigraph.graph import Graph, Operation, Tensor, format_shape, get_default_graph, shape_fits, tensor_or_none
from minigraph.ops.array import Placeholder
from minigraph.ops.state import FailedPreconditionError, Variable


class InvalidArgumentError(ValueError):
    """A value given to, or computed in, a run does not fit (TF's error of that name)."""


def _tf_shape(shape) -> str:
    """(None, 784) -> '[?,784]', as TF's messages print shapes."""
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


class _Plan:
    """The ops one kind of run needs, in order, wired to slots of a value list."""

    def __init__(self, steps, feed_slots, fetch_slots, size):
        self.steps = steps  # (op, kernel, input slots, output slot)
        self.feed_slots = feed_slots  # fed tensor -> slot
        self.fetch_slots = fetch_slots  # one slot per fetch; None for ops without output
        self.size = size

    def execute(self, feeds: dict) -> list:
        values: list[Any] = [None] * self.size
        for tensor, slot in self.feed_slots.items():
            values[slot] = feeds[tensor]
        step = None
        try:
            for step in self.steps:
                _, kernel, inputs, out = step
                values[out] = kernel(*[values[i] for i in inputs])
        except FailedPreconditionError:
            raise
        except Exception as error:
            op, _, inputs, _ = step
            shapes = ", ".join(str(np.shape(values[i])) for i in inputs)
            raise InvalidArgumentError(
                f"{op.type_name} '{op.name}' failed on inputs of shape {shapes}: {error}"
            ) from error
        return [None if slot is None else values[slot] for slot in self.fetch_slots]


class Session:
    """Runs a graph; owns the values of its variables."""

    def __init__(self, graph: Graph | None = None):
        self.graph = graph or get_default_graph()
        self._variables: dict[Operation, np.ndarray] = {}
        self._plans: dict[tuple, _Plan] = {}
        self._closed = False

    # --- the public API ---------------------------------------------------------------
    def run(self, fetches, feed_dict=None):
        """Computes `fetches` (a tensor, an op, or a nested list/tuple/dict of them)."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        flat: list = []
        rebuild = _flatten(fetches, flat, self._resolve_fetch)
        feeds = self._check_feeds(feed_dict)
        key = (tuple(flat), frozenset(feeds))  # the order of feed_dict doesn't matter
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._make_plan(flat, feeds)
        # the caller owns what run returns: never a variable's stored array or a constant
        values = [np.array(v) if isinstance(v, np.ndarray) else v for v in plan.execute(feeds)]
        return rebuild(iter(values))

    @property
    def closed(self) -> bool:
        """True once `close()` has run; a closed session refuses to run."""
        return self._closed

    def close(self) -> None:
        self._closed = True
        self._variables.clear()

    def __enter__(self) -> "Session":
        _default_sessions.stack.append(self)
        self._graph_context = self.graph.as_default()
        self._graph_context.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._graph_context.__exit__(*exc)
        _default_sessions.stack.remove(self)
        self.close()

    def as_default(self):
        """`with sess.as_default():` makes tensor.eval() and op.run() use this session."""
        return _DefaultSession(self)

    # --- variables, for Keras-style get/set_weights -------------------------------
    def variable_value(self, variable: Variable) -> np.ndarray:
        """A copy of the variable's value in this session."""
        return np.array(variable.op.forward(self._variables))

    def set_variable_value(self, variable: Variable, value) -> None:
        """Writes a variable's value directly, checking shape and dtype first."""
        array = np.asarray(value)
        if array.shape != tuple(variable.shape):
            raise ValueError(
                f"Cannot set variable {variable.op.name} of shape {format_shape(variable.shape)} "
                f"to a value of shape {array.shape}"
            )
        # a copy: changing the caller's array afterwards must not change the variable
        self._variables[variable.op] = np.array(_as_dtype_or_raise(array, variable.dtype, variable))

    def is_initialized(self, variable: Variable) -> bool:
        return variable.op in self._variables

    # --- steps of run ---------------------------------------------------------------
    def _resolve_fetch(self, fetch) -> Tensor | Operation:
        if isinstance(fetch, str):
            fetch = self.graph.get_tensor_by_name(fetch) if ":" in fetch else self.graph.get_operation_by_name(fetch)
        if isinstance(fetch, Variable):
            fetch = fetch.read
        if not isinstance(fetch, (Tensor, Operation)):
            raise TypeError(
                f"Fetch argument {fetch!r} has invalid type {type(fetch).__name__}: "
                "must be a Tensor, an Operation or a string name"
            )
        if fetch.graph is not self.graph:
            raise ValueError(f"Fetch argument {fetch!r} is not an element of this session's graph")
        return fetch

    def _check_feeds(self, feed_dict) -> dict[Tensor, np.ndarray]:
        """Validates every feed before anything runs; returns {tensor: array}."""
        feeds: dict[Tensor, np.ndarray] = {}
        for key, value in (feed_dict or {}).items():
            tensor = self._resolve_feed_key(key)
            array = np.asarray(value) if not isinstance(value, np.ndarray) else value
            if not shape_fits(array.shape, tensor.shape):
                raise ValueError(
                    f"Cannot feed value of shape {array.shape} for Tensor {tensor.name}, "
                    f"which has shape {format_shape(tensor.shape)}"
                )
            feeds[tensor] = _as_dtype_or_raise(array, tensor.dtype, tensor)
        return feeds

    def _resolve_feed_key(self, key) -> Tensor:
        tensor = self.graph.get_tensor_by_name(key) if isinstance(key, str) else tensor_or_none(key)
        if tensor is None:
            raise TypeError(
                f"Cannot interpret feed_dict key {key!r} as a Tensor: feed keys must be tensors "
                "(placeholders) of the session's graph"
            )
        if tensor.graph is not self.graph:
            raise ValueError(
                f"Cannot interpret feed_dict key as Tensor: {tensor!r} is not an element of this graph."
            )
        return tensor

    def _make_plan(self, fetches: list, feeds: dict) -> _Plan:
        """Orders the ops the fetches need, stopping at fed tensors."""
        needed: set[Operation] = set()
        stack = [f if isinstance(f, Operation) else f.op for f in fetches]
        while stack:
            op = stack.pop()
            if op in needed or (op.outputs and op.outputs[0] in feeds):
                continue
            if isinstance(op, Placeholder):
                raise _unfed_placeholder(op)
            needed.add(op)
            stack.extend(t.op for t in op.value_inputs)
            stack.extend(op.control_inputs)

        slots: dict[Tensor, int] = {tensor: i for i, tensor in enumerate(feeds)}
        steps = []
        for op in sorted(needed, key=lambda op: op.index):
            inputs = tuple(slots[t] for t in op.value_inputs)
            kernel: Callable = op.forward
            if op.stateful:
                kernel = functools.partial(op.forward, self._variables)
            out = len(slots)
            if op.outputs:
                slots[op.outputs[0]] = out
            steps.append((op, kernel, inputs, out))
        fetch_slots = [slots[f] if isinstance(f, Tensor) else None for f in fetches]
        feed_slots = {tensor: slots[tensor] for tensor in feeds}
        return _Plan(steps, feed_slots, fetch_slots, len(slots) + 1)


def _unfed_placeholder(op: Placeholder) -> InvalidArgumentError:
    shape = op.attrs["shape"]
    shape_text = "" if shape is None else f" and shape {_tf_shape(shape)}"
    return InvalidArgumentError(
        f"You must feed a value for placeholder tensor '{op.name}' with dtype "
        f"{dtypes.tf_name(op.attrs['dtype'])}{shape_text}"
    )


def _as_dtype_or_raise(array: np.ndarray, dtype: np.dtype, tensor) -> np.ndarray:
    """`array` as `dtype` when that loses no kind of meaning (no float -> int, no str -> float)."""
    if array.dtype == dtype:
        return array
    if array.dtype.kind not in "biuf" or not np.can_cast(array.dtype, dtype, casting="same_kind"):
        example = f" (e.g. {array.flat[0]!r})" if array.size else ""
        raise TypeError(
            f"Cannot feed a value of dtype {array.dtype.name}{example} "
            f"to {tensor!r}, which has dtype {dtype.name}"
        )
    return array.astype(dtype)


def _flatten(fetches, flat: list, resolve) -> Callable:
    """Appends the leaves of `fetches` to `flat`; returns how to rebuild the structure."""
    if isinstance(fetches, dict):
        keys = list(fetches)
        parts = [_flatten(fetches[k], flat, resolve) for k in keys]
        return lambda values: type(fetches)((k, part(values)) for k, part in zip(keys, parts))
    if isinstance(fetches, (list, tuple)):
        parts = [_flatten(f, flat, resolve) for f in fetches]
        if hasattr(fetches, "_fields"):  # namedtuple
            return lambda values: type(fetches)(*(part(values) for part in parts))
        return lambda values: type(fetches)(part(values) for part in parts)
    flat.append(resolve(fetches))
    return next


# --- the default session (for tensor.eval() and op.run()) --------------------------


class _DefaultSessions(threading.local):
    def __init__(self):
        self.stack: list[Session] = []


_default_sessions = _DefaultSessions()


class _DefaultSession:
    def __init__(self, session: Session):
        self.session = session

    def __enter__(self) -> Session:
        _default_sessions.stack.append(self.session)
        return self.session

    def __exit__(self, *exc) -> None:
        _default_sessions.stack.pop()


def get_default_session() -> Session:
    if not _default_sessions.stack:
        raise ValueError(
            "Cannot evaluate without a session: no default session is registered. Use "
            "`with mg.Session():` or pass session=sess."
        )
    return _default_sessions.stack[-1]


class InteractiveSession(Session):
    """A session that makes itself the default at once (for notebooks and shells)."""

    def __init__(self, graph: Graph | None = None):
        super().__init__(graph)
        _default_sessions.stack.append(self)

    def close(self) -> None:
        if self in _default_sessions.stack:
            _default_sessions.stack.remove(self)
        super().close()
