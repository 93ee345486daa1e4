"""Checking gradients with numbers: the test every autodiff library ships.

A symbolic gradient is right when it agrees with *central differences*: nudge one
element x_i of the input by ±eps and watch the output move,

    df/dx_i  ~  (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

The error of this estimate shrinks like eps², where the one-sided
(f(x + eps e_i) - f(x)) / eps only shrinks like eps; and rounding adds about
machine-epsilon·|f| / eps. In float64, eps = 1e-6 balances the two: the estimate
is good to about 1e-9 relative for smooth functions. In float32 it is good to 1e-3
at best, so check gradients on float64 graphs.

- ``numeric_gradient(f, x)``: the estimate for any numpy function f.
- ``check_gradients(ys, xs, feed_dict)``: builds ``mg.gradients(ys, xs)``, runs it,
  compares it with central differences of ``sum(ys)`` (the quantity mg.gradients
  differentiates) and raises ``AssertionError`` naming the worst input and element.

Checking a gradient's gradient works the same way: pass ``s = sum(grad * v)`` as ys,
and the check compares ``mg.gradients(s, xs)`` (a Hessian-vector product) with
differences of s.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from minigraph.gradients import gradients
from minigraph.graph import Tensor
from minigraph.session import Session
from minigraph.shapes import format_shape


def numeric_gradient(f: Callable[[np.ndarray], object], x, eps: float = 1e-6) -> np.ndarray:
    """Central differences of f at x, in float64.

    f maps an array shaped like x to a scalar or an array. The result has the shape
    ``np.shape(f(x)) + np.shape(x)``: x's shape for a scalar f, the Jacobian otherwise.
    """
    x = np.array(x, dtype=np.float64)  # our copy: its elements are nudged one at a time
    output_shape = np.shape(f(x.copy()))
    result = np.zeros(output_shape + x.shape)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + eps
        plus = np.asarray(f(x.copy()), dtype=np.float64)
        x[i] = original - eps
        minus = np.asarray(f(x.copy()), dtype=np.float64)
        x[i] = original
        result[(Ellipsis,) + i] = (plus - minus) / (2 * eps)
    return result


def check_gradients(ys, xs, feed_dict: dict, session: Session | None = None, eps: float = 1e-6,
                    rtol: float = 1e-6, atol: float | None = None) -> None:
    """Asserts that ``mg.gradients(ys, xs)`` matches central differences of sum(ys).

    Each x must be fed: its value is ``feed_dict[x]``, and the differences nudge that
    value. An element passes when |symbolic - numeric| <= atol + rtol·|numeric|;
    `atol` defaults to rtol times the largest |numeric| of that x (at least rtol), so an
    element that cancels to about 0 is judged on the array's scale. A disconnected
    gradient (None) counts as zeros. `session` runs the graph (a new one, with every
    variable initialised, when not given).
    """
    ys = list(ys) if isinstance(ys, (list, tuple)) else [ys]
    xs = list(xs) if isinstance(xs, (list, tuple)) else [xs]
    graph = ys[0].graph
    for x in xs:
        if x not in feed_dict:
            raise ValueError(f"check_gradients: {x.name} must be fed: it is not a key of feed_dict")
    with graph.as_default():
        symbolic_grads = gradients(ys, xs)
    if session is None:
        session = Session(graph)
        if graph.variables:
            session.run([v.initializer for v in graph.variables])
    feed = {key: np.asarray(value) for key, value in feed_dict.items()}

    def sum_of_ys(x: Tensor, value: np.ndarray) -> float:
        """sum(ys) when x is fed `value` instead (in x's fed dtype)."""
        values = session.run(ys, {**feed, x: value.astype(feed[x].dtype)})
        return sum(float(np.sum(v, dtype=np.float64)) for v in values)

    worst = None  # (how far over its tolerance, what to say)
    for x, grad in zip(xs, symbolic_grads):
        fed = feed[x]
        symbolic = np.zeros(fed.shape) if grad is None else np.asarray(session.run(grad, feed), np.float64)
        if symbolic.shape != fed.shape:
            raise AssertionError(
                f"the gradient for {x.name} has shape {format_shape(symbolic.shape)}, "
                f"but {x.name} was fed shape {format_shape(fed.shape)}"
            )
        numeric = numeric_gradient(lambda value: sum_of_ys(x, value), fed, eps)
        scale_tolerance = rtol * max(1.0, float(np.max(np.abs(numeric), initial=0.0))) if atol is None else atol
        tolerance = scale_tolerance + rtol * np.abs(numeric)
        excess = np.abs(symbolic - numeric) - tolerance
        if excess.size == 0 or excess.max() <= 0:
            continue
        i = np.unravel_index(np.argmax(excess), excess.shape)
        where = f"{x.name}[{', '.join(map(str, i))}]" if i else x.name
        message = (
            f"gradient of sum({', '.join(y.name for y in ys)}) with respect to {where}: "
            f"symbolic {symbolic[i]:.6g}, numeric {numeric[i]:.6g} "
            f"(difference {abs(symbolic[i] - numeric[i]):.3g} > tolerance {tolerance[i]:.3g})"
            + ("; mg.gradients found no path from it to ys" if grad is None else "")
        )
        if worst is None or excess[i] > worst[0]:
            worst = (excess[i], message)
    if worst is not None:
        raise AssertionError(worst[1])
