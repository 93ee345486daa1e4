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
        with lock:
            store._before = NOTHING_WRITTEN
            try:
                loss_0, metrics_Sum_0, metrics_ReducedSize_0, adam, = execute(
                    [dense_input, activation_1_target, activation_1_sample_weights])
            except BaseException:
                store._undo()
                raise
            finally:
                store._before = None
        return [(loss_0 if type(loss_0) is not ndarray else array(loss_0)), ..., None]

Every line is what ``Session.run`` does on each call (``session.py``), with the
decisions taken once: a feed whose dtype, rank and known dimensions match passes on
four comparisons written in line (anything else goes to the full check, which
converts, casts, or raises naming the tensor); the transaction is the store's
(``variable_store.py``), entered only for a plan that writes; a fetched array is
copied so the caller never holds a value the session keeps (a numpy scalar is
immutable: it is handed back as it is). The transaction's lines are ``VariableStore.transaction``'s own,
written in line. ``callable.source`` is the text. It saves two of the five
microseconds minigraph itself spends on a training step.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from minigraph import nest
from minigraph.graph import Tensor
from minigraph.plan import Plan, PythonNames, compile_function
from minigraph.variable_store import NOTHING_WRITTEN


def make_callable(session, plan: Plan, fed: list[Tensor], fetches, flat: list,
                  checks: dict[Tensor, Callable]) -> Callable:
    """The function that runs `plan` fed values for `fed` (in the caller's order) and returns
    `fetches`' values in their structure (`flat`: the tensors and ops, flattened, as the plan
    fetches them). `checks` holds each fed tensor's full check (``Session._feed_check``)."""
    names = PythonNames()
    for reserved in ("call", "values", "ndarray", "session", "lock", "store", "execute", "array", "pack",
                     "closed", "wrong_count", "NOTHING_WRITTEN"):
        names.new(reserved)
    argument = {tensor: names.new(tensor.op.name) for tensor in fed}
    outer = {"ndarray": np.ndarray, "session": session, "lock": session._lock, "store": session._store,
             "execute": plan.execute, "array": np.array, "NOTHING_WRITTEN": NOTHING_WRITTEN,
             "closed": lambda: RuntimeError("Attempted to use a closed Session."),
             "wrong_count": lambda count: TypeError(f"this callable takes {len(fed)} values, one for each of "
                                                    f"{[t.name for t in fed]}, got {count}")}
    lines = ["def call(*values):",
             f"    if len(values) != {len(fed)}:",
             "        raise wrong_count(len(values))"]
    if fed:
        lines.append(f"    {', '.join(argument[t] for t in fed)}, = values")
    for tensor in fed:
        lines += _check_lines(tensor, argument[tensor], names, outer, checks[tensor])
    fetched = [names.new(fetch.name) for fetch in flat]
    in_plan_order = ", ".join(argument[feed.tensor] for feed in plan.program.fed)
    run = f"{', '.join(fetched)}, = execute([{in_plan_order}])" if fetched else f"execute([{in_plan_order}])"
    lines += ["    if session._closed:",
              "        raise closed()",
              "    with lock:"]
    if plan.writes_variables:
        lines += ["        store._before = NOTHING_WRITTEN",
                  "        try:",
                  f"            {run}",
                  "        except BaseException:",
                  "            store._undo()",
                  "            raise",
                  "        finally:",
                  "            store._before = None"]
    else:
        lines.append(f"        {run}")
    values = [f"({name} if type({name}) is not ndarray else array({name}))" if position is not None else "None"
              for name, position in zip(fetched, plan.fetch_positions)]
    lines.append(f"    return {_packed(fetches, values, outer)}")
    source = "\n".join(lines)
    function = compile_function(source, "call", list(outer.items()), f"<callable of {len(plan.steps)} steps>")
    function.source = source
    return function


def _check_lines(tensor: Tensor, name: str, names: PythonNames, outer: dict, check: Callable) -> list[str]:
    """The lines that let a fitting array through and hand anything else to `check`."""
    check_name = names.new(f"check_{name}")
    outer[check_name] = check
    if tensor.shape is None:  # nothing known to test: the full check every time
        return [f"    {name} = {check_name}({name})"]
    dtype_name = names.new(f"dtype_{name}")
    outer[dtype_name] = tensor.dtype
    tests = [f"type({name}) is ndarray", f"{name}.dtype == {dtype_name}", f"{name}.ndim == {len(tensor.shape)}"]
    tests += [f"{name}.shape[{axis}] == {size}" for axis, size in enumerate(tensor.shape) if size is not None]
    return [f"    if not ({' and '.join(tests)}):",
            f"        {name} = {check_name}({name})"]


def _packed(fetches, values: list[str], outer: dict) -> str:
    """The expression that gives the values in the structure of `fetches`."""
    if not nest.is_nested(fetches):
        return values[0]
    if type(fetches) is list and not any(nest.is_nested(f) for f in fetches):
        return f"[{', '.join(values)}]"
    outer["pack"] = lambda flat: nest.pack_sequence_as(fetches, flat)
    return f"pack([{', '.join(values)}])"
