"""The Session: where a graph's values live and where it runs.

``sess.run(fetches, feed_dict)`` does three things:

1. **Check the feeds** before anything runs: each key is a tensor of this graph,
   each value fits its shape and dtype. A bad feed raises and changes nothing.
2. **Plan and compile.** Walk back from the fetches to what they need, stopping at
   fed tensors, and order those ops as the graph created them (creation order is
   topological: an op's inputs exist before it). Then the compiler's passes rewrite
   that plan (``minigraph/passes``: a softmax computed twice is computed once,
   constants are computed ahead, Adam's updates run as one kernel); the session's
   ``config`` says which. The plan for a (fetches, fed tensors) pair is made once
   and cached, so a training loop pays for it on its first step only.
3. **Execute** the plan (``plan.py``): a list holds the run's values, and each
   ``Step`` calls one op's kernel on values at known positions of that list and
   stores its result at another. A plan that runs again is compiled to one Python
   function, a line per step (``sess.plan_source(fetches)`` prints it). The fetched
   values are handed back in the structure they were asked in (a tensor, a list, a
   dict...: see ``nest.py``).

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
import functools
import threading
from typing import Callable

import numpy as np

from minigraph import collector, compiled_callable, nest
from minigraph.graph import Graph, Operation, Tensor, default_session, get_default_graph, tensor_or_none
from minigraph.ops.state import Variable
from minigraph.passes import ConfigProto, compile_program, default_config
from minigraph.passes.program import Constant, OpState, VariableHandle, build_program
from minigraph.plan import Plan
from minigraph.shapes import fits, format_shape
from minigraph.variable_store import VariableStore


class Session:
    """Runs a graph; owns the values of its variables. `config` chooses the compiler's
    passes (``mg.ConfigProto``; see ``minigraph/passes``); by default all of them run."""

    def __init__(self, graph: Graph | None = None, config: ConfigProto | None = None):
        self.graph = graph or get_default_graph()
        self.config = config if config is not None else default_config()
        if not isinstance(self.config, ConfigProto):
            raise TypeError(f"config must be a mg.ConfigProto, got {config!r}")
        self._store = VariableStore()
        self._plans: dict[tuple, Plan] = {}
        self._feed_checks: dict[Tensor, Callable] = {}  # fed tensor -> its check (_feed_check), made once
        self._closed = False
        self._contexts = contextlib.ExitStack()
        self._lock = threading.Lock()  # one run at a time (see the module docstring)

    # --- the public API ---------------------------------------------------------------
    def run(self, fetches, feed_dict=None):
        """Computes `fetches` (a tensor, an op, or a nested list/tuple/dict of them)."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        single = type(fetches) is Tensor and fetches.graph is self.graph  # the common case, made short
        flat = [fetches] if single else [self._resolve_fetch(fetch) for fetch in nest.flatten(fetches)]
        feeds = self._check_feeds(feed_dict)
        plan = self._plan_for(flat, feeds)
        values = self._execute(plan, [feeds[feed.tensor] for feed in plan.program.fed])
        return values[0] if single else nest.pack_sequence_as(fetches, values)

    def make_callable(self, fetches, feed_list=()):
        """TF1's ``sess.make_callable``: a function that runs `fetches`, fed the values it is
        called with, one per tensor of `feed_list`. Fetches, feed tensors, the plan and each
        feed's check are resolved once, so a call checks its values and runs the plan: a
        training loop's step with no dictionary to build or look up."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        flat = [self._resolve_fetch(fetch) for fetch in nest.flatten(fetches)]
        fed = [self._resolve_feed_key(key) for key in feed_list]
        if len(set(fed)) != len(fed):
            raise ValueError(f"make_callable(): feed_list names a tensor twice: {[t.name for t in fed]}")
        plan = self._plan_for(flat, dict.fromkeys(fed))
        # what a call does around the plan, written out once as Python (compiled_callable.py)
        return compiled_callable.make_callable(self, plan, fed, fetches, flat,
                                               {tensor: self._feed_check(tensor) for tensor in fed})

    def describe_plan(self, fetches, feed_list=()) -> str:
        """The steps a run of `fetches` takes in this session, after its passes: one per line."""
        return self._plan_of(fetches, feed_list).program.listing()

    def plan_source(self, fetches, feed_list=()) -> str:
        """The Python function a run of `fetches` is compiled to (``minigraph/plan.py``)."""
        return self._plan_of(fetches, feed_list).source

    def _plan_of(self, fetches, feed_list) -> Plan:
        flat = [self._resolve_fetch(fetch) for fetch in nest.flatten(fetches)]
        fed = [self._resolve_feed_key(key) for key in feed_list]
        return self._plan_for(flat, dict.fromkeys(fed))

    def _plan_for(self, fetches: list, feeds: dict) -> Plan:
        """The cached plan for these fetches and fed tensors (made on first use)."""
        key = (tuple(fetches), frozenset(feeds))  # the order of the feeds doesn't matter
        plan = self._plans.get(key)
        if plan is None:
            with self._lock:
                plan = self._plans.get(key)
                if plan is None:
                    plan = self._plans[key] = self._make_plan(fetches, feeds)
        return plan

    def _execute(self, plan: Plan, fed_values: list) -> list:
        """Runs `plan` under the session's lock, all or nothing; returns the caller's copies."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        with self._lock:
            if plan.writes_variables:
                with self._store.transaction():
                    values = plan.execute(fed_values)
            else:
                values = plan.execute(fed_values)
        # the caller owns what run returns: never a variable's stored array or a constant
        return [np.array(v) if type(v) is np.ndarray else v for v in values]

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
        checks = self._feed_checks
        for key, value in (feed_dict or {}).items():
            check = checks.get(key) if type(key) is Tensor else None  # a tensor fed before: its check is made
            if check is None:
                tensor = self._resolve_feed_key(key)
                check = checks[tensor] = self._feed_check(tensor)
            else:
                tensor = key
            feeds[tensor] = check(value)
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

    def _feed_check(self, tensor: Tensor) -> Callable:
        """`_check_feed` for one tensor, made once: an array of the right dtype and rank
        whose known dimensions match passes with a few comparisons, written out as Python
        (``compiled_callable.feed_check``); anything else takes the full check."""
        return compiled_callable.feed_check(tensor, functools.partial(self._check_feed, tensor))

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
        """The compiled plan: the ops the fetches need, stopping at fed tensors
        (``build_program``), rewritten by the config's passes, then laid out in one
        list of values (``Plan.lay_out``): each source gets a position, each node a step."""
        with collector.paused():  # thousands of small objects, none of them garbage: see collector.py
            program = compile_program(build_program(fetches, list(feeds)), self.config)
            return Plan.lay_out(program, self._initial_value, compiles=self.config.compiles_plans)

    def _initial_value(self, source):
        """What a position holds before a run: a constant's value, a VariableRef, an op's
        state; None for what the run computes or is fed."""
        if isinstance(source, Constant):
            return source.value
        if isinstance(source, VariableHandle):
            return self._store.ref(source.storage)
        if isinstance(source, OpState):
            return self._store.op_state(source.op)
        return None


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

    def __init__(self, graph: Graph | None = None, config: ConfigProto | None = None):
        super().__init__(graph, config)
        self._contexts.enter_context(self.as_default())

    def close(self) -> None:
        self._contexts.close()
        super().close()
