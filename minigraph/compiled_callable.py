"""``sess.make_callable``'s function, written out as Python like the plan it runs.

A training loop calls its step thousands of times: ``step(x_batch, y_batch, w_batch)``.
Each call has the same work to do around the plan itself, and all of it is known when
the callable is made: which tensors are fed and in what order, what dtype and shape
each must have, whether the plan writes variables (then the run is a transaction),
how the fetched values are handed back. So ``make_callable`` writes that work out as
one Python function, the way the plan is written out (``plan.py``), and compiles it.
For the worksheet's training step it reads::

    def call(*values):
        if len(values) != 3:
            raise wrong_count(len(values))
        dense_input, activation_1_target, activation_1_sample_weights, = values
        if not (type(dense_input) is ndarray and dense_input.dtype == dtype_dense_input
                and dense_input.ndim == 2 and dense_input.shape[1] == 60):
            dense_input = check_dense_input(dense_input)
        ...                                          (the same for the other two)
        if session._closed:
            raise closed()
        with lock, transaction:
            loss_0, metrics_Sum_0, metrics_ReducedSize_0, adam, = execute(
                [dense_input, activation_1_target, activation_1_sample_weights])
        return [(loss_0 if type(loss_0) is not ndarray else array(loss_0)), ..., None]

Every line is what ``Session.run`` does on each call (``session.py``), with the
decisions taken once: a feed whose dtype, rank and known dimensions match passes on
four comparisons written in line, the test ``Session.run``'s own feed check makes
(``feed_check`` below writes both); anything else goes to that check in full, which
converts, casts, or raises naming the tensor. A plan that writes variables runs inside
the store's transaction (``variable_store.py``), one made for the callable and entered
on every call. A fetched array is copied so the caller never holds a value the session
keeps (a numpy scalar is immutable: it is handed back as it is). ``callable.source`` is
the text. It saves a microsecond and a half of the five minigraph itself spent on a
training step.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from minigraph import nest
from minigraph.graph import Tensor
from minigraph.plan import Plan, PythonNames, compile_function


def make_callable(session, plan: Plan, fed: list[Tensor], fetches, flat: list,
                  checks: dict[Tensor, Callable]) -> Callable:
    """The function that runs `plan` fed values for `fed` (in the caller's order) and returns
    `fetches`' values in their structure (`flat`: the tensors and ops, flattened, as the plan
    fetches them). `checks` holds each fed tensor's check (``feed_check``)."""
    names = PythonNames()
    for reserved in ("call", "values", "ndarray", "session", "lock", "transaction", "execute", "array", "pack",
                     "closed", "wrong_count"):
        names.new(reserved)
    argument = {tensor: names.new(tensor.op.name) for tensor in fed}
    outer = {"ndarray": np.ndarray, "session": session, "lock": session._lock,
             "transaction": session._store.transaction(), "execute": plan.execute, "array": np.array,
             "closed": lambda: RuntimeError("Attempted to use a closed Session."),
             "wrong_count": lambda count: TypeError(f"this callable takes {len(fed)} values, one for each of "
                                                    f"{[t.name for t in fed]}, got {count}")}
    lines = ["def call(*values):",
             f"    if len(values) != {len(fed)}:",
             "        raise wrong_count(len(values))"]
    if fed:
        lines.append(f"    {', '.join(argument[t] for t in fed)}, = values")
    for tensor in fed:
        name, check = argument[tensor], names.new(f"check_{argument[tensor]}")
        outer[check] = checks[tensor]
        test = _passes_as_it_is(tensor, name, names, outer)
        lines += ([f"    if not ({test}):", f"        {name} = {check}({name})"] if test
                  else [f"    {name} = {check}({name})"])  # nothing known to test: the full check every time
    fetched = [names.new(fetch.name) for fetch in flat]
    in_plan_order = ", ".join(argument[feed.tensor] for feed in plan.program.fed)
    run = f"{', '.join(fetched)}, = execute([{in_plan_order}])" if fetched else f"execute([{in_plan_order}])"
    lines += ["    if session._closed:",
              "        raise closed()",
              f"    with lock{', transaction' if plan.writes_variables else ''}:",
              f"        {run}"]
    values = [f"({name} if type({name}) is not ndarray else array({name}))" if position is not None else "None"
              for name, position in zip(fetched, plan.fetch_positions)]
    lines.append(f"    return {_packed(fetches, values, outer)}")
    source = "\n".join(lines)
    function = compile_function(source, "call", list(outer.items()), f"<callable of {len(plan.steps)} steps>")
    function.source = source
    return function


def feed_check(tensor: Tensor, full_check: Callable) -> Callable:
    """The check of a value fed for `tensor`, written out once: an array that fits passes
    on a few comparisons, a numpy scalar for a scalar placeholder becomes a 0-d array, and
    anything else goes to `full_check` (conversion, casting, the error message)."""
    names = PythonNames()
    for reserved in ("check", "value", "ndarray", "generic", "asarray", "full_check"):
        names.new(reserved)
    outer = {"ndarray": np.ndarray, "generic": np.generic, "asarray": np.asarray, "full_check": full_check}
    test = _passes_as_it_is(tensor, "value", names, outer)
    lines = ["def check(value):"]
    if test:
        lines += [f"    if {test}:", "        return value"]
    if tensor.shape is not None and len(tensor.shape) == 0:
        dtype = names.new("dtype")
        outer[dtype] = tensor.dtype
        lines += [f"    if isinstance(value, generic) and value.dtype == {dtype}:",
                  "        return asarray(value)"]
    lines.append("    return full_check(value)")
    return compile_function("\n".join(lines), "check", list(outer.items()), f"<check of {tensor.name}>")


def _passes_as_it_is(tensor: Tensor, name: str, names: PythonNames, outer: dict) -> str | None:
    """The test that value `name` is an array fed as it is for `tensor`: its dtype, rank and
    known dimensions (None when the shape is unknown: nothing to test quickly)."""
    if tensor.shape is None:
        return None
    dtype = names.new(f"dtype_{name}")
    outer[dtype] = tensor.dtype
    tests = [f"type({name}) is ndarray", f"{name}.dtype == {dtype}", f"{name}.ndim == {len(tensor.shape)}"]
    tests += [f"{name}.shape[{axis}] == {size}" for axis, size in enumerate(tensor.shape) if size is not None]
    return " and ".join(tests)


def _packed(fetches, values: list[str], outer: dict) -> str:
    """The expression that gives the values in the structure of `fetches`."""
    if not nest.is_nested(fetches):
        return values[0]
    if type(fetches) is list and not any(nest.is_nested(f) for f in fetches):
        return f"[{', '.join(values)}]"
    outer["pack"] = lambda flat: nest.pack_sequence_as(fetches, flat)
    return f"pack([{', '.join(values)}])"
