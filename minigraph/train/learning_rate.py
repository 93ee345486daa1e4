"""Learning-rate schedules: a learning rate that is a tensor of the global step.

An optimizer's learning rate is an input of its update ops, computed by the graph in
the same run (see ``updates.py``). So a schedule is just a small graph over the
global step, the counter ``minimize(loss, global_step=step)`` adds 1 to after every
update::

    step = mg.train.get_or_create_global_step()
    rate = mg.train.exponential_decay(0.1, step, decay_steps=1000, decay_rate=0.96)
    train_op = mg.train.GradientDescentOptimizer(rate).minimize(loss, global_step=step)

Each run reads the step before the updates add 1 to it, so the first step uses the
initial rate, as in TF1. ``sess.run(rate)`` shows the rate the next step will use.
"""

from __future__ import annotations

from minigraph.graph import Tensor, get_default_graph, tensor_or_none
from minigraph.ops import math as math_ops
from minigraph.ops.array import cast, constant, convert_to_tensor
from minigraph.ops.piecewise import floor


def _as_dtype_of(value, like: Tensor, name: str) -> Tensor:
    """A number as a constant of `like`'s dtype; a tensor cast to it (TF casts both)."""
    tensor = tensor_or_none(value)
    if tensor is None:
        return constant(value, dtype=like.dtype, name=name)
    return tensor if tensor.dtype == like.dtype else cast(tensor, like.dtype)


def exponential_decay(learning_rate, global_step, decay_steps, decay_rate, staircase: bool = False,
                      name: str | None = None) -> Tensor:
    """learning_rate * decay_rate ^ (global_step / decay_steps): the rate shrinks by
    `decay_rate` every `decay_steps` steps, smoothly, or all at once at each multiple of
    `decay_steps` when `staircase` (the exponent is then floor(global_step / decay_steps))."""
    if global_step is None:
        raise ValueError("global_step is required for exponential_decay.")
    step = tensor_or_none(global_step)
    graph = step.graph if step is not None else get_default_graph()
    with graph.as_default(), graph.name_scope(name or "ExponentialDecay") as scope:
        rate = convert_to_tensor(learning_rate, name="initial_learning_rate")
        if rate.dtype.kind != "f":
            raise TypeError(f"exponential_decay's learning_rate must be a float, got {learning_rate!r}")
        step = _as_dtype_of(global_step, rate, "global_step")
        exponent = math_ops.divide(step, _as_dtype_of(decay_steps, rate, "decay_steps"))
        if staircase:
            exponent = floor(exponent)
        decay = math_ops.pow(_as_dtype_of(decay_rate, rate, "decay_rate"), exponent)
        return math_ops.multiply(rate, decay, name=scope)
