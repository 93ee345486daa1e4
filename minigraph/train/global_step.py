"""The global step: one counter per graph of the training steps taken.

TF1 programs count their steps in a variable, the *global step*, an int64 scalar
named ``global_step``. ``minimize(loss, global_step=step)`` adds 1 to it once the
step's updates have run; learning-rate schedules (``exponential_decay``) read it;
a checkpoint's file name carries it (``saver.save(sess, path, global_step=step)``).
It is not trained (``trainable=False``), but it is saved and restored with the model,
so a resumed run carries on counting.

TF keeps the graph's global step in a collection of the graph; minigraph keeps it in
a table from graph to variable below. A variable the program made itself with the
name ``global_step`` counts too, as in TF.
"""

from __future__ import annotations

import weakref

from minigraph import dtypes
from minigraph.graph import Graph, Tensor, get_default_graph
from minigraph.initializers import Zeros
from minigraph.variable_scope import get_variable

_global_steps: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # graph -> its global step


def get_global_step(graph: Graph | None = None) -> Tensor | None:
    """The graph's global step (made by create_global_step, or any tensor named
    'global_step:0'), or None if it has none."""
    graph = graph or get_default_graph()
    if graph in _global_steps:
        return _global_steps[graph]
    try:
        step = graph.get_tensor_by_name("global_step:0")
    except KeyError:
        return None
    if step.dtype.kind not in "iu" or step.shape != ():
        raise TypeError(f'Existing "global_step" must be an integer scalar, got {step!r}')
    return step


def create_global_step(graph: Graph | None = None) -> Tensor:
    """Makes the graph's global step: an int64 scalar variable 'global_step', starting at 0."""
    graph = graph or get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError('"global_step" already exists.')
    with graph.as_default():
        step = get_variable("global_step", shape=(), dtype=dtypes.int64, initializer=Zeros(),
                            trainable=False)
    _global_steps[graph] = step
    return step


def get_or_create_global_step(graph: Graph | None = None) -> Tensor:
    """The graph's global step, made first if it has none."""
    step = get_global_step(graph)
    return step if step is not None else create_global_step(graph)
