"""A case's derivatives, built with either library and run in a session.

For a case with output y, the checks differentiate

    loss = sum(y * weights)                   weights: fixed random, so softmax's
                                              gradient is not trivially zero
    grads = d loss / d inputs
    hvps = d s / d inputs,  s = sum_k(grads_k * directions_k)   (Hessian-vector products)

``gradient_check`` compares grads and hvps with central differences (float64, through
``minigraph.testing.check_gradients``); test_ops.py compares all three with TensorFlow
(support/tensorflow.py) in float64 and float32.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import minigraph as mg
from minigraph.testing import check_gradients
from support.op_cases import Case, case_arrays


@dataclass
class Derivatives:
    """The graph of one case: y, loss, first gradients, s = sum(grads * directions), hvps."""

    placeholders: list
    y: object
    loss: object
    grads: list
    s: object
    hvps: list


def build_derivatives(
    case: Case, lib, gradients, placeholder, xs, weights, directions, known_shapes: bool = True
) -> Derivatives:
    """Builds y = case(xs) and its derivatives in the default graph, with `lib`'s ops.
    Without `known_shapes` the placeholders have unknown rank: shapes are learnt at run time."""
    placeholders = [placeholder(x.dtype.name, x.shape if known_shapes else None) for x in xs]
    y = case.build(lib, *placeholders)
    if not case.differentiable:
        return Derivatives(placeholders, y, None, gradients(y, placeholders), None, [])
    loss = lib.reduce_sum(y * lib.constant(weights))
    grads = gradients(loss, placeholders)
    terms = [lib.reduce_sum(g * lib.constant(v)) for g, v in zip(grads, directions) if g is not None]
    s = terms[0]
    for term in terms[1:]:
        s = s + term
    return Derivatives(placeholders, y, loss, grads, s, gradients(s, placeholders))


def fetch(session, tensors: list, feed: dict) -> list:
    """session.run of a list that may hold None (a disconnected gradient): None stays None."""
    present = [t for t in tensors if t is not None]
    values = iter(session.run(present, feed) if present else [])
    return [None if t is None else next(values) for t in tensors]


def run(d: Derivatives, session, xs) -> dict:
    """{'y': value, 'grads': [...], 'hvps': [...]} with the placeholders fed `xs`."""
    feed = dict(zip(d.placeholders, xs))
    y, *grads = fetch(session, [d.y] + d.grads, feed)
    hvps = fetch(session, d.hvps, feed)
    return {"y": y, "grads": grads, "hvps": hvps}


def run_minigraph(case: Case, xs, weights, directions, known_shapes: bool = True) -> dict:
    with mg.Graph().as_default():
        d = build_derivatives(case, mg, mg.gradients, mg.placeholder, xs, weights, directions, known_shapes)
        with mg.Session() as session:
            return run(d, session, xs)


def gradient_check(case: Case, xs=None, rtol: float = 1e-6) -> None:
    """mg.gradients (first and second order) against central differences, in float64.

    The static shapes and dtypes must be what the run gives; the first gradients are
    checked against differences of the loss, the second (Hessian-vector products)
    against differences of s, the scalar whose symbolic gradient they are.
    """
    xs, weights, directions = case_arrays(case, xs=xs)
    with mg.Graph().as_default():
        d = build_derivatives(case, mg, mg.gradients, mg.placeholder, xs, weights, directions)
        feed = dict(zip(d.placeholders, xs))
        with mg.Session() as session:
            y = session.run(d.y, feed)
            assert np.shape(y) == d.y.shape and y.dtype == d.y.dtype, "static shape/dtype differ from the run's"
            for k, (x, grad) in enumerate(zip(xs, d.grads)):
                assert grad is not None, f"no gradient for input {k}"
                assert grad.shape == x.shape and grad.dtype == x.dtype, f"gradient {k}: {grad} for an input {x.shape}"
            check_gradients(d.loss, d.placeholders, feed, session=session, rtol=rtol)
            check_gradients(d.s, d.placeholders, feed, session=session, rtol=rtol)
