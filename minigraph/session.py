"""The Session: where a graph's values live and where it runs.

``sess.run(fetches, feed_dict)`` does three things:

1. **Check the feeds** before anything runs: each key is a tensor of this graph,
   each value fits its shape and dtype. A bad feed raises and changes nothing.
2. **Plan.** Walk back from the fetches to what they need, stopping at fed tensors,
   and order those ops as the graph created them (creation order is topological:
   an op's inputs exist before it). The plan for a (fetches, fed tensors) pair is
   made once and cached, so a training loop pays for it on its first step only.
3. **Execute** the plan: a list holds the run's values, and each ``Step`` calls one
   op's kernel on values at known positions of that list and stores its result at
   another. The fetched values are handed back in the structure they were asked in
   (a tensor, a list, a dict...: see ``nest.py``).

Variable values live in the session's ``VariableStore`` for the session's life.
Every other value is dropped as soon as the last op that reads it has run, so a long
chain holds only the values still ahead of it, not all it has computed.

What a run promises:

- **All or nothing.** A run that fails (a bad feed, a kernel's error) changes no
  variable: its writes are undone (``VariableStore.transaction``).
- **Threads take turns.** Several threads may call ``run`` on one session; their
  runs are serialized by a lock, so each run sees the variables as a whole and no
  update is lost. (TF runs independent ops of concurrent steps in parallel; a
  numpy engine gains little from that, and a lost update is the kind of bug a
  student can't find.)
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from minigraph import dtypes, nest
from minigraph.errors import InvalidArgumentError, OpError
from minigraph.graph import (
    Graph,
    Operation,
    Tensor,
    default_session,
    get_default_graph,
    run_dependencies,
    tensor_or_none,
    walk,
)
from minigraph.ops.array import Placeholder
from minigraph.ops.state import Variable
from minigraph.shapes import fits, format_shape
from minigraph.variable_store import VariableStore

# What a kernel raises when the values it was given can't work (a matmul whose
# run-time shapes don't line up, an index out of range). They become
# InvalidArgumentError naming the op. Anything else (an AttributeError, a KeyError)
# is a bug in minigraph and is left as it is, so its traceback points at the bug.
BAD_VALUE_ERRORS = (ValueError, IndexError, ArithmeticError)


@dataclass(frozen=True)
class Step:
    """One op of a plan: call `kernel` on the values at `arguments`, store at `result`,
    then drop the values at `frees` (this step was the last to need them)."""

    op: Operation
    kernel: Callable
    arguments: tuple[int, ...]  # positions in the run's value list, one per input
    result: int | None  # where the output goes; None for ops without output
    frees: tuple[int, ...] = ()


class Plan:
    """What one kind of run does: the steps in order, where the feeds go, where the
    fetches come from. Positions index one list of values, made afresh for each run
    from `initial_values` (which holds what stateful ops get: VariableRefs, a random op's generator)."""

    def __init__(self, steps: list[Step], feed_positions: dict, fetch_positions: list, initial_values: list):
        self.steps = steps
        self.feed_positions = feed_positions  # fed tensor -> position
        self.fetch_positions = fetch_positions  # one per fetch; None for an op
        self.initial_values = initial_values
        self.writes_variables = any(step.op.writes_variables for step in steps)

    def execute(self, feeds: dict) -> list:
        values: list[Any] = list(self.initial_values)
        for tensor, position in self.feed_positions.items():
            values[position] = feeds[tensor]
        for step in self.steps:
            arguments = [values[i] for i in step.arguments]
            try:
                result = step.kernel(*arguments)
            except OpError:
                raise
            except BAD_VALUE_ERRORS as error:
                raise _failed(step.op, arguments, error) from error
            if step.result is not None:
                values[step.result] = result
            for position in step.frees:
                values[position] = None
        return [None if position is None else values[position] for position in self.fetch_positions]


def _failed(op: Operation, arguments: list, error: Exception) -> InvalidArgumentError:
    shapes = ", ".join(str(np.shape(a)) for a in arguments if isinstance(a, np.ndarray))
    return InvalidArgumentError(f"{op.type_name} '{op.name}' failed on inputs of shape {shapes}: {error}", op=op)


class Session:
    """Runs a graph; owns the values of its variables."""

    def __init__(self, graph: Graph | None = None):
        self.graph = graph or get_default_graph()
        self._store = VariableStore()
        self._plans: dict[tuple, Plan] = {}
        self._closed = False
        self._contexts = contextlib.ExitStack()
        self._lock = threading.Lock()  # one run at a time (see the module docstring)

    # --- the public API ---------------------------------------------------------------
    def run(self, fetches, feed_dict=None):
        """Computes `fetches` (a tensor, an op, or a nested list/tuple/dict of them)."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        flat = [self._resolve_fetch(fetch) for fetch in nest.flatten(fetches)]
        feeds = self._check_feeds(feed_dict)
        return nest.pack_sequence_as(fetches, self._execute(self._plan_for(flat, feeds), feeds))

    def make_callable(self, fetches, feed_list=()):
        """TF1's ``sess.make_callable``: a function that runs `fetches`, fed the values it is
        called with, one per tensor of `feed_list`. Fetches, feed tensors and the plan are
        resolved once, so each call only checks its values and runs the plan: a training
        loop's step with no dictionary to build or look up."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        flat = [self._resolve_fetch(fetch) for fetch in nest.flatten(fetches)]
        fed = [self._resolve_feed_key(key) for key in feed_list]
        if len(set(fed)) != len(fed):
            raise ValueError(f"make_callable(): feed_list names a tensor twice: {[t.name for t in fed]}")
        plan = self._plan_for(flat, dict.fromkeys(fed))

        def run_plan(*values):
            if len(values) != len(fed):
                raise TypeError(f"this callable takes {len(fed)} values, one for each of "
                                f"{[t.name for t in fed]}, got {len(values)}")
            feeds = {tensor: self._check_feed(tensor, value) for tensor, value in zip(fed, values)}
            return nest.pack_sequence_as(fetches, self._execute(plan, feeds))

        return run_plan

    def _plan_for(self, fetches: list, feeds: dict) -> Plan:
        """The cached plan for these fetches and fed tensors (made on first use)."""
        key = (tuple(fetches), frozenset(feeds))  # the order of the feeds doesn't matter
        with self._lock:
            plan = self._plans.get(key)
            if plan is None:
                plan = self._plans[key] = self._make_plan(fetches, feeds)
        return plan

    def _execute(self, plan: Plan, feeds: dict) -> list:
        """Runs `plan` under the session's lock, all or nothing; returns the caller's copies."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        with self._lock:
            if plan.writes_variables:
                with self._store.transaction():
                    values = plan.execute(feeds)
            else:
                values = plan.execute(feeds)
        # the caller owns what run returns: never a variable's stored array or a constant
        return [np.array(v) if isinstance(v, np.ndarray) else v for v in values]

    @property
    def closed(self) -> bool:
        """True once `close()` has run; a closed session refuses to run."""
        return self._closed

    def close(self) -> None:
        self._closed = True
        self._store.clear()

    def as_default(self):
        """`with sess.as_default():` makes tensor.eval() and op.run() use this session."""
        return default_session(self)

    def __enter__(self) -> "Session":
        self._contexts.enter_context(self.graph.as_default())
        self._contexts.enter_context(self.as_default())
        return self

    def __exit__(self, *exc) -> None:
        self._contexts.close()
        self.close()

    # --- variables, for Keras-style get/set_weights -------------------------------
    def variable_value(self, variable: Variable) -> np.ndarray:
        """A copy of the variable's value in this session."""
        return np.array(self._store.read(variable.op))

    def set_variable_value(self, variable: Variable, value) -> None:
        """Writes a variable's value directly, checking shape and dtype first."""
        array = np.asarray(value)
        if array.shape != tuple(variable.shape):
            raise ValueError(
                f"Cannot set variable {variable.op.name} of shape {format_shape(variable.shape)} "
                f"to a value of shape {array.shape}"
            )
        # a copy: changing the caller's array afterwards must not change the variable
        value = np.array(_as_dtype_or_raise(array, variable.dtype, variable))
        with self._lock:
            self._store.write(variable.op, value)

    def is_initialized(self, variable: Variable) -> bool:
        return self._store.is_initialized(variable.op)

    # --- steps of run ---------------------------------------------------------------
    def _resolve_fetch(self, fetch) -> Tensor | Operation:
        if not isinstance(fetch, (str, Operation)) and tensor_or_none(fetch) is None:
            raise TypeError(
                f"Fetch argument {fetch!r} has invalid type {type(fetch).__name__}: "
                "must be a Tensor, an Operation or a string name"
            )
        try:
            element = self.graph.as_graph_element(fetch)
        except ValueError:
            raise ValueError(f"Fetch argument {fetch!r} is not an element of this session's graph") from None
        if isinstance(element, Operation):
            return element
        return tensor_or_none(element)  # 'Variable:0' names the variable: fetch its read

    def _check_feeds(self, feed_dict) -> dict[Tensor, np.ndarray]:
        """Validates every feed before anything runs; returns {tensor: array}."""
        if feed_dict is not None and not isinstance(feed_dict, dict):
            raise TypeError(f"feed_dict must be a dict from tensors to values, got {type(feed_dict).__name__}")
        feeds: dict[Tensor, np.ndarray] = {}
        for key, value in (feed_dict or {}).items():
            tensor = self._resolve_feed_key(key)
            feeds[tensor] = self._check_feed(tensor, value)
        return feeds

    def _check_feed(self, tensor: Tensor, value) -> np.ndarray:
        """`value` as an array that fits `tensor`'s static shape and dtype, or a clear error."""
        array = _as_array(value, tensor)
        if not fits(array.shape, tensor.shape):
            raise ValueError(
                f"Cannot feed value of shape {array.shape} for Tensor {tensor.name}, "
                f"which has shape {format_shape(tensor.shape)}"
            )
        return _as_dtype_or_raise(array, tensor.dtype, tensor)

    def _resolve_feed_key(self, key) -> Tensor:
        if not isinstance(key, str) and tensor_or_none(key) is None:
            raise TypeError(
                f"Cannot interpret feed_dict key {key!r} as a Tensor: feed keys must be tensors "
                "(placeholders) of the session's graph"
            )
        try:
            return self.graph.as_graph_element(key, allow_operation=False)
        except ValueError:
            raise ValueError(
                f"Cannot interpret feed_dict key as Tensor: {key!r} is not an element of this graph."
            ) from None

    def _make_plan(self, fetches: list, feeds: dict) -> Plan:
        """Orders the ops the fetches need, stopping at fed tensors."""
        fed = frozenset(feeds)
        start = [f if isinstance(f, Operation) else f.op for f in fetches if f not in fed]
        needed = walk(start, lambda op: run_dependencies(op, fed))
        for op in needed:
            if isinstance(op, Placeholder):
                raise _unfed_placeholder(op)

        positions: dict[Tensor, int] = {tensor: i for i, tensor in enumerate(feeds)}
        initial_values: list[Any] = [None] * len(feeds)
        ordered = sorted(needed, key=lambda op: op.index)
        wiring = []  # (op, argument positions, result position) per step
        for op in ordered:
            arguments = []
            if op.keeps_state:  # its own state in this session comes first (a random op's generator)
                arguments.append(len(initial_values))
                initial_values.append(self._store.op_state(op))
            for i, tensor in enumerate(op.inputs):
                if i in op.ref_inputs:  # the kernel gets a handle on the variable
                    arguments.append(len(initial_values))
                    initial_values.append(self._store.ref(tensor.op))
                else:
                    arguments.append(positions[tensor])
            result = None
            if op.outputs:
                result = positions[op.outputs[0]] = len(initial_values)
                initial_values.append(None)
            wiring.append((op, tuple(arguments), result))
        fetch_positions = [positions[f] if isinstance(f, Tensor) else None for f in fetches]

        # a value is dropped after the last step that reads it; a fetched one is kept
        last_reader = {}
        for index, (_, arguments, result) in enumerate(wiring):
            if result is not None:
                last_reader[result] = index  # nobody reads it: drop it at once
            for position in arguments:
                last_reader[position] = index
        for position in fetch_positions:
            last_reader.pop(position, None)
        frees: list[list[int]] = [[] for _ in wiring]
        for position, index in last_reader.items():
            frees[index].append(position)
        steps = [Step(op, op.forward, arguments, result, tuple(frees[index]))
                 for index, (op, arguments, result) in enumerate(wiring)]
        return Plan(steps, {tensor: positions[tensor] for tensor in feeds}, fetch_positions, initial_values)


def _unfed_placeholder(op: Placeholder) -> InvalidArgumentError:
    shape = op.attrs["shape"]
    shape_text = "" if shape is None else " and shape [" + ",".join("?" if d is None else str(d) for d in shape) + "]"
    return InvalidArgumentError(
        f"You must feed a value for placeholder tensor '{op.name}' with dtype "
        f"{dtypes.tf_name(op.attrs['dtype'])}{shape_text}",
        op=op,
    )


def _as_array(value, tensor: Tensor) -> np.ndarray:
    """A fed value as an array; a ragged list is refused with the tensor's name."""
    if isinstance(value, np.ndarray):
        return value
    try:
        return np.asarray(value)
    except ValueError as error:
        raise ValueError(
            f"Cannot feed {tensor!r}: the value is not a regular array (rows of different lengths?): {error}"
        ) from None


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


class InteractiveSession(Session):
    """A session that makes itself the default at once (for notebooks and shells)."""

    def __init__(self, graph: Graph | None = None):
        super().__init__(graph)
        self._contexts.enter_context(self.as_default())

    def close(self) -> None:
        self._contexts.close()
        super().close()
